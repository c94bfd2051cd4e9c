// The running bot's control API, on loopback only: the CLI's commands reach the bot process through it, because
// that process holds the notification endpoint, the pending invites and the rosters.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  ClientContextInUse,
  type InviteAndWaitOptions,
  type InviteOutcome,
  type RosterEvent,
  UnknownInvite,
} from "@graph-invite/bot-kit";
import type { InviteParticipantsRequest } from "@graph-invite/types";
import type { CallKind } from "@graph-invite/validator";
import type { Runtime } from "./runtime.js";

/** What `POST /invite` takes. */
export interface InviteCommand {
  readonly callId: string;
  readonly body: InviteParticipantsRequest;
  readonly options?: Pick<InviteAndWaitOptions, "callKind" | "botInCall" | "ignoredParticipants" | "timeoutMs">;
  /**
   * Default true: the answer waits for the notifications that follow the outcome (the roster), up to 3 s. false:
   * the answer goes as soon as the outcome is known, for a caller that times outcomes.
   */
  readonly settle?: boolean;
}

/** One roster event a listener of this instance received, as `GET /events/roster` lists it. */
export interface RosterEventEntry {
  /** When the listener received it (ISO 8601). */
  readonly at: string;
  readonly type: RosterEvent["type"];
  readonly callId: string;
  readonly key: string;
}

/** What `GET /stats` answers: this process's CPU time and what it received, for the benches. */
export interface ControlStats {
  readonly cpuUsage: NodeJS.CpuUsage;
  /** Deliveries accepted and processed, and the notifications they carried. */
  readonly deliveries: number;
  readonly notifications: number;
  /** Requests refused, duplicates included. */
  readonly refused: number;
  /** The commands the bot's store sent to Redis, each a round trip; null without Redis. */
  readonly redisCommands: number | null;
}

/** What `POST /calls` takes (simulator modes only). */
export interface CallCommand {
  readonly kind: CallKind;
  readonly participants?: ReadonlyArray<{ readonly id?: string; readonly identity: unknown }>;
}

class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const maxControlBody = 64 * 1024;

/** The roster events `GET /events/roster` keeps: the latest, so that a long-running bot does not grow. */
const maxRosterLog = 10_000;

/** What this instance's listeners saw, for `GET /events/roster` and `GET /stats`. */
class Observed {
  /** When this instance's listeners started: an event from before cannot be in its log. */
  readonly since = new Date().toISOString();
  readonly roster: RosterEventEntry[] = [];
  rosterDropped = 0;
  deliveries = 0;
  notifications = 0;
  refused = 0;
  readonly stop: () => void;

  constructor(bot: Runtime["bot"]) {
    const stops = [
      bot.on("roster", ({ type, callId, key }) => {
        this.roster.push({ at: new Date().toISOString(), type, callId, key });
        if (this.roster.length > maxRosterLog) {
          this.roster.shift();
          this.rosterDropped++;
        }
      }),
      bot.on("delivery", (delivery) => {
        this.deliveries++;
        this.notifications += delivery.notifications.length;
      }),
      bot.on("refused", () => {
        this.refused++;
      }),
      bot.on("duplicate", () => {
        this.refused++;
      }),
    ];
    this.stop = () => {
      for (const stop of stops) stop();
    };
  }
}

export async function startControl(runtime: Runtime, port: number): Promise<{ url: string; close(): Promise<void> }> {
  const observed = new Observed(runtime.bot);
  const server: Server = createServer((request, response) => {
    Promise.resolve()
      .then(() => {
        refuseBrowsers(request, port === 0 ? (server.address() as AddressInfo).port : port);
        return route(runtime, observed, request);
      })
      .then((body) => send(response, 200, body))
      .catch((error: unknown) => send(response, statusOf(error), { error: messageOf(error) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        observed.stop();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Loopback is not enough: any web page the developer opens can POST to 127.0.0.1, and a DNS-rebinding page can read
 * the answers. Browsers mark such requests with `Origin` and a foreign `Host`, and cannot send a JSON content type
 * across origins without a preflight, which this server does not answer.
 */
function refuseBrowsers(request: IncomingMessage, port: number): void {
  if (request.headers.origin !== undefined) throw new ControlError(403, "the control API does not answer web pages");
  const host = request.headers.host ?? "";
  if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
    throw new ControlError(403, `the control API answers only to 127.0.0.1:${port}, not to ${host || "no Host"}`);
  }
  const type = (request.headers["content-type"] ?? "").split(";", 1)[0]?.trim().toLowerCase();
  if (request.method === "POST" && type !== "application/json") {
    throw new ControlError(415, "the control API takes application/json");
  }
}

function statusOf(error: unknown): number {
  if (error instanceof ControlError) return error.status;
  if (error instanceof ClientContextInUse) return 409;
  if (error instanceof UnknownInvite) return 404;
  if (error instanceof RangeError || error instanceof URIError) return 400;
  return 500;
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function route(runtime: Runtime, observed: Observed, request: IncomingMessage): Promise<unknown> {
  const { bot } = runtime;
  if (!URL.canParse(request.url ?? "/", "http://control.invalid")) throw new ControlError(400, "not a path");
  const url = new URL(request.url ?? "/", "http://control.invalid");
  const key = `${request.method} ${url.pathname}`;
  if (key === "GET /status") {
    return { mode: runtime.config.mode, callbackUrl: bot.callbackUrl, simulatorUrl: runtime.simulatorUrl ?? null };
  }
  if (key === "POST /invite") {
    const command = (await readJson(request)) as InviteCommand;
    if (typeof command?.callId !== "string" || typeof command.body !== "object" || command.body === null) {
      throw new ControlError(400, "POST /invite takes {callId, body, options?}");
    }
    const outcome = await bot.inviteAndWait(command.callId, command.body, command.options ?? {});
    if (command.settle === false) return { outcome: outcome.record };
    await settle(bot, outcome);
    return { outcome: outcome.record, roster: await bot.roster(command.callId) };
  }
  const reattach = /^GET \/operations\/([^/]+)\/outcome$/.exec(key);
  if (reattach !== null)
    return { outcome: (await waitFor(bot, decodeURIComponent(reattach[1] ?? ""), request)).record };
  if (key === "GET /events/roster")
    return { since: observed.since, events: observed.roster, dropped: observed.rosterDropped };
  if (key === "GET /stats") {
    const { deliveries, notifications, refused } = observed;
    const redisCommands = runtime.redisCommands() ?? null;
    const stats: ControlStats = { cpuUsage: process.cpuUsage(), deliveries, notifications, refused, redisCommands };
    return stats;
  }
  if (key === "GET /operations") {
    return bot.operations(url.searchParams.get("callId") ?? undefined);
  }
  if (key === "GET /unmatched") return bot.unmatched();
  const roster = /^GET \/calls\/([^/]+)\/roster$/.exec(key);
  if (roster !== null) return bot.roster(decodeURIComponent(roster[1] ?? ""));
  if (key === "POST /calls") return createCall(runtime, (await readJson(request)) as CallCommand);
  throw new ControlError(404, `no route ${key}`);
}

/**
 * Waits for the outcome of the invite with this clientContext, wherever it was started: after a restart, the caller
 * of an interrupted `POST /invite` asks again here. Stops waiting when the caller goes away.
 */
async function waitFor(bot: Runtime["bot"], clientContext: string, request: IncomingMessage): Promise<InviteOutcome> {
  const gone = new AbortController();
  const onClose = () => gone.abort(new Error("the caller went away"));
  request.socket.once("close", onClose);
  try {
    return await bot.waitFor(clientContext, { signal: gone.signal });
  } finally {
    request.socket.off("close", onClose);
  }
}

/**
 * Waits for the notifications that follow an invite's outcome (the roster, the end of a replaced call), so that the
 * roster shown with the outcome includes them: they are taken to be over once none has come for half a second, or
 * after 3 s. An invite that timed out or was refused has nothing to wait for.
 */
async function settle(bot: Runtime["bot"], outcome: InviteOutcome): Promise<void> {
  if (outcome.status === "completed" || outcome.status === "failed") {
    let last = Date.now();
    const stop = bot.on("delivery", () => {
      last = Date.now();
    });
    const deadline = last + 3000;
    while (Date.now() - last < 500 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    stop();
  }
  await bot.idle();
}

/** Creates a call in the simulator whose callback is this bot; Graph's calls are created elsewhere. */
async function createCall(runtime: Runtime, command: CallCommand): Promise<unknown> {
  if (runtime.simulatorUrl === undefined) {
    throw new ControlError(
      400,
      "calls can be created only in the simulator; with Graph, pass the id of an existing call",
    );
  }
  const seed = { ...command, callbackUri: runtime.bot.callbackUrl };
  const response = await fetch(`${runtime.simulatorUrl}/simulator/calls`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(seed),
  });
  const body: unknown = await response.json();
  if (!response.ok) throw new ControlError(400, `the simulator refused the call: ${JSON.stringify(body)}`);
  return body;
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  let text = "";
  for await (const chunk of request as AsyncIterable<Buffer>) {
    text += chunk.toString("utf8");
    if (text.length > maxControlBody) throw new ControlError(413, "the command is too large");
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ControlError(400, "the command is not JSON");
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
  });
  response.end(text);
}
