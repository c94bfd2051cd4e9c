// What the callback-auth tests share: tokens and the answers they get, stub servers standing in for an issuer's
// metadata, and bots whose auth a test configures. Each test file that uses them drains `cleanups` after each test.
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createInviteClient } from "@graph-invite/client";
import type { Simulator } from "@graph-invite/simulator";
import { expect } from "vitest";
import type { CallbackAuthOptions } from "../src/index.js";
import { type StartedBot, startBot } from "../src/node/index.js";
import {
  exampleMember,
  membersOf,
  postNotification,
  type RawAnswer,
  rosterOf,
  signedHeaders,
  watch,
} from "./harness.js";

export const cleanups: Array<() => Promise<void>> = [];

export const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

export const now = () => Math.floor(Date.now() / 1000);

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}`, "Content-Type": "application/json" });

/** The body and headers of a 401 that names `reason` and asks for a bearer token. */
export function expectUnauthorized(answer: RawAnswer, reason: string): void {
  expect(answer.status).toBe(401);
  expect(answer.body).toEqual({ error: { code: reason, message: expect.any(String) } });
  const challenge = answer.headers.get("www-authenticate");
  if (reason === "missing-token") expect(challenge).toMatch(/^Bearer\b/);
  else expect(challenge).toBe(`Bearer error="invalid_token", error_description="${reason}"`);
  expect(answer.headers.get("connection")).toBe("close");
}

/**
 * Posts the example roster of a new call with `headers`; expects 401 `reason` and nothing processed: no delivery,
 * no roster event, an empty roster. Then posts the same body with a valid token, which must be processed: a refused
 * request leaves no trace that would make the genuine notification count as a duplicate.
 */
export async function expectRefusedAndUnprocessed(
  sim: Simulator,
  bot: StartedBot,
  headers: Record<string, string>,
  reason: string,
): Promise<void> {
  const callId = randomUUID();
  const seen = watch(bot);
  expectUnauthorized(await postNotification(bot, rosterOf(callId), headers), reason);
  expect(await membersOf(bot, callId)).toEqual([]);
  expect(seen.deliveries).toEqual([]);
  expect(seen.rosters).toEqual([]);
  // A refusal that configuration can cause also names the setting, and what was expected and received.
  expect(seen.refusals).toEqual([expect.objectContaining({ status: 401, reason, message: expect.any(String) })]);

  const retried = await postNotification(bot, rosterOf(callId), await signedHeaders(sim));
  expect(retried.status).toBe(202);
  expect(await membersOf(bot, callId)).toEqual([exampleMember]);
  expect(seen.deliveries).toHaveLength(1);
  expect(seen.errors).toEqual([]);
}

export type StubReply = { readonly status: number; readonly body?: unknown } | "hang";

/** A loopback server that answers each request with `reply(path, origin)`; closed after the test. */
export async function startStub(reply: (path: string, origin: string) => StubReply | Promise<StubReply>) {
  const paths: string[] = [];
  let origin = "";
  const server = createServer((request, response) => {
    const path = request.url ?? "/";
    paths.push(path);
    void Promise.resolve(reply(path, origin)).then(
      (answer) => {
        if (answer === "hang") return;
        const text = answer.body === undefined ? "" : JSON.stringify(answer.body);
        response.writeHead(answer.status, { "Content-Type": "application/json" }).end(text);
      },
      () => response.writeHead(502).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { origin, paths };
}

/** A port nothing listens on: one that was just bound and released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The simulator's OpenID metadata and key set, served through a proxy whose two documents can be taken down (500),
 * hung (no answer), or (for the metadata) served without a `jwks_uri`. The metadata's `jwks_uri` names the proxy.
 */
export async function startMetadataProxy(sim: Simulator) {
  const state = {
    metadata: "up" as "up" | "down" | "hang" | "no-jwks-uri",
    keys: "up" as "up" | "down",
  };
  const { origin, paths } = await startStub(async (path, self): Promise<StubReply> => {
    if (path === "/openid") {
      if (state.metadata === "hang") return "hang";
      if (state.metadata === "down") return { status: 500, body: { error: "unavailable" } };
      const metadata = (await (await fetch(sim.openIdConfigurationUrl)).json()) as Record<string, unknown>;
      if (state.metadata === "no-jwks-uri") return { status: 200, body: { ...metadata, jwks_uri: undefined } };
      return { status: 200, body: { ...metadata, jwks_uri: `${self}/keys` } };
    }
    if (path === "/keys") {
      if (state.keys === "down") return { status: 500, body: { error: "unavailable" } };
      const { jwks_uri } = (await (await fetch(sim.openIdConfigurationUrl)).json()) as { jwks_uri: string };
      return { status: 200, body: await (await fetch(jwks_uri)).json() };
    }
    return { status: 404 };
  });
  return {
    state,
    openIdConfigurationUrl: `${origin}/openid`,
    /** How many times each document was fetched. */
    fetches: (path: "/openid" | "/keys") => paths.filter((seen) => seen === path).length,
  };
}

/** A bot of the simulator's app with its own authentication options, beside the harness's bot; closed after the test. */
export async function startBotFor(sim: Simulator, auth: Partial<CallbackAuthOptions>): Promise<StartedBot> {
  const bot = await startBot({
    client: createInviteClient({ credential: sim.credential(), baseUrl: sim.graphUrl }),
    auth: { appId: sim.app.appId, openIdConfigurationUrl: sim.openIdConfigurationUrl, ...auth },
    // These tests count the fetches of the metadata and the key set: the self-check's own would add to them.
    selfCheck: false,
  });
  cleanups.push(() => bot.close());
  return bot;
}
