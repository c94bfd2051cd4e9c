// What the bot's tests share: a simulator and a bot wired to each other over loopback, closed after the test or
// the group, and raw notification requests with real tokens.
import { readFileSync } from "node:fs";
import { createInviteClient } from "@graph-invite/client";
import { type Simulator, type SimulatorOptions, start } from "@graph-invite/simulator";
import { afterAll, afterEach, beforeAll } from "vitest";
import { type BotOptions, clientSecretTokens, type StartedBot, startBot } from "../src/index.js";

const examples = new URL("../../../openapi/examples/", import.meta.url);

/** A file of `openapi/examples/`, parsed. */
export function example<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, examples), "utf8")) as T;
}

/** A simulator and a bot that authenticates the simulator's notifications and invites through it. */
export interface World {
  readonly sim: Simulator;
  readonly bot: StartedBot;
}

export type BotOverrides = Partial<Omit<BotOptions, "client" | "auth">> & { auth?: Partial<BotOptions["auth"]> };

export async function startWorld(simulator: SimulatorOptions = {}, overrides: BotOverrides = {}): Promise<World> {
  const sim = await start(simulator);
  const client = createInviteClient({
    credential: clientSecretTokens({ tokenUrl: sim.tokenUrl(), clientId: sim.app.appId, clientSecret: sim.app.secret }),
    baseUrl: sim.graphUrl,
  });
  const { auth, ...rest } = overrides;
  const bot = await startBot({
    client,
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
