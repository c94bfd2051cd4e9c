import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from "node:http";
import { createInviteClient } from "@graph-invite/client";
import { type Simulator, type SimulatorOptions, start } from "@graph-invite/simulator";
import { example } from "@graph-invite/test-support/examples";
import type { Participant } from "@graph-invite/types";
import { afterAll, afterEach, beforeAll, onTestFinished } from "vitest";
import type {
  AcceptedDelivery,
  BotOptions,
  DuplicateDelivery,
  Logger,
  RefusedDelivery,
  RosterEvent,
} from "../src/index.js";
import { type StartedBot, startBot } from "../src/node/index.js";

export { freePort } from "@graph-invite/test-support/ports";
export { example };

/** A simulator and a bot that authenticates the simulator's notifications and invites through it. */
export interface World {
  readonly sim: Simulator;
  readonly bot: StartedBot;
}

export type BotOverrides = Partial<Omit<BotOptions, "client" | "auth">> & { auth?: Partial<BotOptions["auth"]> };

export async function startWorld(simulator: SimulatorOptions = {}, overrides: BotOverrides = {}): Promise<World> {
  const sim = await start(simulator);
  const client = createInviteClient({
    credential: sim.credential(),
    baseUrl: sim.graphUrl,
  });
  const { auth, ...rest } = overrides;
  const bot = await startBot({
    client,
    // Tests count the fetches of the metadata and the key set, and the refusals: the self-check (its own tests in
    // self-check.test.ts) would add its fetches to them.
    selfCheck: false,
    ...rest,
    auth: { appId: sim.app.appId, openIdConfigurationUrl: sim.openIdConfigurationUrl, ...auth },
  });
  return { sim, bot };
}

async function stopWorld({ sim, bot }: World): Promise<void> {
  await bot.close();
  await sim.close();
}

/**
 * Worlds that close themselves: after the current test, or after the group for a shared one. Starting a simulator
 * generates two RSA keys, so groups of tests share one unless a test needs its own.
 */
export function lifecycle() {
  const worlds: World[] = [];
  afterEach(async () => {
    await Promise.all(worlds.splice(0).map(stopWorld));
  });
  return {
    /** A world closed after the current test. */
    async world(simulator: SimulatorOptions = {}, overrides: BotOverrides = {}): Promise<World> {
      const world = await startWorld(simulator, overrides);
      worlds.push(world);
      return world;
    },
    /** A world started before the group's tests and closed after them. */
    sharedWorld(simulator: SimulatorOptions = {}, overrides: BotOverrides = {}): () => World {
      let world: World | undefined;
      beforeAll(async () => {
        world = await startWorld(simulator, overrides);
      });
      afterAll(() => (world === undefined ? undefined : stopWorld(world)));
      return () => {
        if (world === undefined) throw new Error("the shared world has not started");
        return world;
      };
    },
  };
}

export interface RawAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

/** POSTs to the bot's notification endpoint as it is: any body, any headers. */
export async function postNotification(
  bot: StartedBot,
  body: string | Uint8Array,
  headers: Record<string, string>,
): Promise<RawAnswer> {
  // Copied into a plain Uint8Array: fetch's types take no Buffer, whose memory may be shared.
  const payload = typeof body === "string" ? body : new Uint8Array(body);
  const response = await fetch(bot.callbackUrl, { method: "POST", headers, body: payload });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === "" ? undefined : JSON.parse(text) };
}

/** Headers of a notification signed by the simulator as it signs its own, with claims or lifetime changed. */
export async function signedHeaders(
  sim: Simulator,
  claims: Parameters<Simulator["signNotificationToken"]>[0] = {},
  timing: Parameters<Simulator["signNotificationToken"]>[1] = {},
): Promise<Record<string, string>> {
  const token = await sim.signNotificationToken(claims, timing);
  return { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };
}

export interface RawExchange {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

/**
 * A request written by hand with node:http: the headers exactly as given (no Content-Type unless given, a
 * Content-Length that may promise a body that is never sent, or `Transfer-Encoding: chunked`) and the body in chunks.
 * `complete: false` sends the headers and the chunks and waits for an answer without ending the body.
 */
export function rawPost(
  url: string,
  headers: OutgoingHttpHeaders,
  chunks: ReadonlyArray<string | Buffer>,
  complete = true,
): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: "POST", headers, agent: false }, (response) => {
      const parts: Buffer[] = [];
      response.on("data", (chunk: Buffer) => parts.push(chunk));
      response.on("error", reject);
      response.on("end", () => {
        const text = Buffer.concat(parts).toString("utf8");
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: text === "" ? undefined : JSON.parse(text),
        });
        request.destroy();
      });
    });
    // Once the answer is in, the server may close a connection whose body was never finished: that is not a failure.
    request.on("error", reject);
    for (const chunk of chunks) request.write(chunk);
    if (complete) request.end();
    else request.flushHeaders();
  });
}

/** What the bot reported while the current test ran. */
export function watch(bot: StartedBot) {
  const seen = {
    deliveries: [] as AcceptedDelivery[],
    refusals: [] as RefusedDelivery[],
    duplicates: [] as DuplicateDelivery[],
    rosters: [] as RosterEvent[],
    errors: [] as unknown[],
  };
  const stops = [
    bot.on("delivery", (event) => seen.deliveries.push(event)),
    bot.on("refused", (event) => seen.refusals.push(event)),
    bot.on("duplicate", (event) => seen.duplicates.push(event)),
    bot.on("roster", (event) => seen.rosters.push(event)),
    bot.on("error", (event) => seen.errors.push(event)),
  ];
  onTestFinished(() => {
    for (const stop of stops) stop();
  });
  return seen;
}

/** Who is in the call's roster, as `kind:id` of their identity, once everything acknowledged so far is processed. */
export async function membersOf(bot: StartedBot, callId: string): Promise<string[]> {
  await bot.idle();
  return (await bot.roster(callId)).participants.map((member) => {
    const identity = member.participant.info?.identity as Record<string, { id?: string } | null> | undefined;
    const [kind, value] = Object.entries(identity ?? {}).find(([key]) => !key.startsWith("@")) ?? [];
    return `${kind}:${value?.id}`;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Bodies

export interface NotificationsBody {
  value: Array<{ resourceData: unknown } & Record<string, unknown>>;
}

export const exampleCallId = "ab6233a5-20b7-4c5e-bea2-ce56c9776429";
const exampleRoster = example<NotificationsBody>("example-1-invite-one-participant.roster-updated.json");
export const exampleParticipant = (
  exampleRoster.value[0]?.resourceData as Participant[] | undefined
)?.[0] as Participant;
/** The identity the reference page's roster lists, as {@link membersOf} names it. */
export const exampleMember = "application:278405a3-f568-4b3e-b684-009193463064";

/** The reference page's roster notification (example 1), about the call `callId`, listing `participants`. */
export function rosterOf(callId: string, participants?: readonly Participant[]): string {
  const body = structuredClone(exampleRoster);
  if (participants !== undefined && body.value[0] !== undefined) body.value[0].resourceData = participants;
  return JSON.stringify(body).replaceAll(exampleCallId, callId);
}

/**
 * The example's participant as someone else: their own participant id, which is then their roster key, and their own
 * application identity, `application:app-{id}` as {@link membersOf} lists it.
 */
export function participantNamed(id: string): Participant {
  return {
    ...structuredClone(exampleParticipant),
    id,
    info: { ...exampleParticipant.info, identity: { application: { id: `app-${id}` } } },
  } as Participant;
}

export interface LoggedLine {
  readonly level: "info" | "warn" | "error";
  readonly fields: Readonly<Record<string, unknown>>;
  readonly message: string;
}

/** A logger of pino's shape that keeps what it is told, for a test to read. */
export function recordingLogger(): { logger: Logger; lines: LoggedLine[] } {
  const lines: LoggedLine[] = [];
  const at =
    (level: LoggedLine["level"]) =>
    (fields: Readonly<Record<string, unknown>>, message: string): void => {
      lines.push({ level, fields, message });
    };
  return { lines, logger: { info: at("info"), warn: at("warn"), error: at("error") } };
}
