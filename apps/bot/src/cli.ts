// graph-invite-bot: `serve` runs the bot; the other commands drive the running bot through its control API.
import { parseArgs } from "node:util";
import type { OperationRecord, Roster } from "@graph-invite/bot-kit";
import {
  applicationParticipant,
  guestParticipant,
  type IdentityDetails,
  inviteBody,
  movingParticipant,
  phoneParticipant,
  replacingCall,
  userParticipant,
} from "@graph-invite/client";
import type { InvitationParticipantInfo } from "@graph-invite/types";
import type { CallKind } from "@graph-invite/validator";
import { type BotConfig, ConfigError, envName, loadConfig } from "./config.js";
import { type InviteCommand, startControl } from "./control.js";
import { ControlClient } from "./control-client.js";
import { formatOutcome, formatRoster, formatRosterEvent, formatStep } from "./format.js";
import { startRuntime } from "./runtime.js";

export const usage = `Usage: graph-invite-bot <command> [options]

Commands:
  serve                                  run the bot until interrupted (in simulator mode, with a simulator)
  call --kind group|meeting|p2p          create a call in the simulator whose callback is the bot
  invite <who> <id> --call <id>          invite someone and wait for the outcome
  replace <who> <id> --call <id> --replaces <p2p call id>
                                         invite someone in place of a peer-to-peer call, which then ends
  move <who> <id> --call <id> --from <meeting id> --participant <participant id>
                                         move a participant from another meeting of the same app
  roster --call <id>                     show who is in a call
  operations [--call <id>]               show the invites and how each ended

  <who> is user, guest, phone or app; <id> is an object id, an E.164 number or an app id.

Options:
  --config <file>     settings as JSON (see the README); GRAPH_INVITE_* variables override them
  --name <text>       display name (required for a guest)
  --tenant <id>       the invitee's tenant, for a user of another tenant
  --call-kind <kind>  group, meeting or p2p: checks the reference page's rules before sending
  --context <text>    the clientContext to send (default: a new UUID)
  --timeout <ms>      how long to wait for the outcome (default 180000)
  --json              print JSON instead of text
  --help              show this help

Without credentials the bot runs against a simulator it starts. With GRAPH_INVITE_TENANT_ID, GRAPH_INVITE_APP_ID
and GRAPH_INVITE_APP_SECRET it talks to Microsoft Graph; with GRAPH_INVITE_SIMULATOR_URL as well, to a simulator
running there (graph-invite-sim).
`;

export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readFile(path: string): string;
  write(text: string): void;
  error(text: string): void;
}

/** A bot that `serve` started, for the caller to close on a signal. */
export interface Served {
  close(): Promise<void>;
}

const options = {
  config: { type: "string" },
  call: { type: "string" },
  kind: { type: "string" },
  name: { type: "string" },
  tenant: { type: "string" },
  replaces: { type: "string" },
  from: { type: "string" },
  participant: { type: "string" },
  "call-kind": { type: "string" },
  context: { type: "string" },
  timeout: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean" },
} as const;

type Flags = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>["values"];

class UsageError extends Error {}

/** Runs a command; resolves with its exit code, or with the served bot for `serve`. */
export async function run(argv: readonly string[], io: CliIo): Promise<number | Served> {
  let flags: Flags;
  let positionals: string[];
  try {
    ({ values: flags, positionals } = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true }));
  } catch (error) {
    io.error(`graph-invite-bot: ${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    return 2;
  }
  const [command, ...rest] = positionals;
  if (flags.help === true || command === undefined) {
    (command === undefined && flags.help !== true ? io.error : io.write)(usage);
    return flags.help === true ? 0 : 2;
  }
  try {
    const config = readConfig(flags, io);
    if (command === "serve") return await serve(config, io);
    const control = new ControlClient(`http://127.0.0.1:${config.controlPort}`);
    switch (command) {
      case "invite":
      case "replace":
      case "move":
        return await invite(command, rest, flags, control, io);
      case "call":
        return show(io, flags, await control.createCall({ kind: callKind(flags.kind, "--kind") }), (call) => [
          `created ${(call as { kind: string }).kind} call ${(call as { id: string }).id}`,
        ]);
      case "roster":
        return show(io, flags, await control.roster(required(flags.call, "--call")), (roster) =>
          formatRoster(roster as Roster),
        );
      case "operations": {
        return show(io, flags, await control.operations(flags.call), (records) =>
          (records as OperationRecord[]).length === 0
            ? ["no invites yet"]
            : (records as OperationRecord[]).flatMap(describeRecord),
        );
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.error(`graph-invite-bot: ${error.message}\n\n${usage}`);
      return 2;
    }
    if (error instanceof ConfigError || error instanceof RangeError) {
      io.error(`graph-invite-bot: ${error.message}\n`);
      return 2;
    }
    io.error(`graph-invite-bot: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

function readConfig(flags: Flags, io: CliIo): BotConfig {
  const path = flags.config ?? io.env[envName("config")];
  if (path === undefined) return loadConfig(io.env);
  let text: string;
  try {
    text = io.readFile(path);
  } catch (error) {
    throw new ConfigError(path, error instanceof Error ? error.message : String(error));
  }
  return loadConfig(io.env, { path, text });
}

async function serve(config: BotConfig, io: CliIo): Promise<Served> {
  const runtime = await startRuntime(config);
  const { bot } = runtime;
  let control: { url: string; close(): Promise<void> };
  try {
    control = await startControl(runtime, config.controlPort);
  } catch (error) {
    await runtime.close();
    throw error;
  }
  bot.on("operation", ({ record, step }) => io.write(`operation ${record.clientContext}  ${formatStep(step)}\n`));
  bot.on("roster", (event) => io.write(`call ${event.callId}  ${formatRosterEvent(event)}\n`));
  bot.on("call", (event) => io.write(`call ${event.callId}  ${event.changeType} ${event.state ?? ""}\n`));
  bot.on("refused", (refusal) => io.write(`refused  ${refusal.status} ${refusal.reason}: ${refusal.message}\n`));
  bot.on("duplicate", ({ messageId }) => io.write(`duplicate  ${messageId}: delivered again, not processed\n`));
  bot.on("unmatched", (entry) => io.write(`unmatched  ${entry.reason}\n`));
  bot.on("error", (error) => io.error(`error  ${error instanceof Error ? error.message : String(error)}\n`));
  io.write(
    [
      `graph-invite-bot: ${describeMode(runtime.config.mode)}`,
      `  notifications  ${bot.callbackUrl}`,
      `  control        ${control.url} (loopback only)`,
      ...(runtime.simulatorUrl !== undefined ? [`  simulator      ${runtime.simulatorUrl}`] : []),
      "",
      "",
    ].join("\n"),
  );
  return {
    async close() {
      await control.close();
      await runtime.close();
    },
  };
}

function describeMode(mode: BotConfig["mode"]): string {
  if (mode === "graph") return "talking to Microsoft Graph";
  return mode === "simulator" ? "talking to a simulator in this process" : "talking to a simulator";
}

async function invite(
  command: "invite" | "replace" | "move",
  rest: string[],
  flags: Flags,
  control: ControlClient,
  io: CliIo,
) {
  const [who, id] = rest;
  if (who === undefined || id === undefined) throw new UsageError(`${command} needs <who> and <id>`);
  let participant = invitee(who, id, flags);
  if (command === "replace") participant = replacingCall(participant, required(flags.replaces, "--replaces"));
  if (command === "move") {
    participant = movingParticipant(participant, {
      participantId: required(flags.participant, "--participant"),
      replacesCallId: required(flags.from, "--from"),
    });
  }
  const timeoutMs = flags.timeout === undefined ? undefined : positiveInteger(flags.timeout, "--timeout");
  const request: InviteCommand = {
    callId: required(flags.call, "--call"),
    body: inviteBody(participant, flags.context),
    options: {
      ...(flags["call-kind"] !== undefined && { callKind: callKind(flags["call-kind"], "--call-kind") }),
      ...(timeoutMs !== undefined && { timeoutMs }),
    },
  };
  const { outcome, roster } = (await control.invite(request)) as { outcome: OperationRecord; roster: Roster };
  show(io, flags, { outcome, roster }, () => [...describeRecord(outcome), ...formatRoster(roster)]);
  return outcome.status === "completed" ? 0 : 1;
}

function invitee(who: string, id: string, flags: Flags): InvitationParticipantInfo {
  const details: IdentityDetails = {
    ...(flags.name !== undefined && { displayName: flags.name }),
    ...(flags.tenant !== undefined && { tenantId: flags.tenant }),
  };
  switch (who) {
    case "user":
      return userParticipant(id, details);
    case "guest":
      return guestParticipant(id, required(flags.name, "--name"));
    case "phone":
      return phoneParticipant(id, details);
    case "app":
      return applicationParticipant(id, details);
    default:
      throw new UsageError(`<who> is user, guest, phone or app, not "${who}"`);
  }
}

function describeRecord(record: OperationRecord): string[] {
  return [
    `invite ${record.clientContext} into call ${record.callId}: ${formatOutcome(record)}`,
    ...record.history.map((step) => `  ${step.at.slice(11, 23)}  ${formatStep(step)}`),
  ];
}

function show(io: CliIo, flags: Flags, value: unknown, lines: (value: unknown) => string[]): number {
  io.write(flags.json === true ? `${JSON.stringify(value, null, 2)}\n` : `${lines(value).join("\n")}\n`);
  return 0;
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value === "") throw new UsageError(`${flag} is required`);
  return value;
}

function callKind(value: string | undefined, flag: string): CallKind {
  if (value === "group" || value === "meeting" || value === "p2p") return value;
  throw new UsageError(`${flag} is group, meeting or p2p`);
}

function positiveInteger(value: string, flag: string): number {
  if (!/^\d+$/.test(value) || Number(value) === 0) throw new UsageError(`${flag} is a positive number of milliseconds`);
  return Number(value);
}
