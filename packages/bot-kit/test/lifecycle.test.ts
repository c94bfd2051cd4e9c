// Shutting down: bot.close() answers new deliveries with 503 and Retry-After, processes everything it acknowledged
// before it resolves, stops waiting on invites, and leaves the store's client to the caller, so that closing Redis
// after it neither hangs nor fails.
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createInviteClient, inviteBody, userParticipant } from "@graph-invite/client";
import { type Simulator, start } from "@graph-invite/simulator";
import { skipRedisTests, startRedis } from "@graph-invite/test-support/redis";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Bot, type BotStore, createBot, MemoryStore, type RefusedDelivery } from "../src/index.js";
import { nodeHandler } from "../src/node/index.js";
import { RedisStore } from "../src/redis/index.js";
import { recordingLogger, rosterOf, signedHeaders } from "./harness.js";

let sim: Simulator;
beforeAll(async () => {
  sim = await start();
});
afterAll(() => sim.close());

/** A memory store whose roster writes take 300 ms, as a remote store's may: processing is still running at close. */
class SlowRosterStore extends MemoryStore {
  override async putRoster(...args: Parameters<MemoryStore["putRoster"]>): Promise<boolean> {
    await new Promise((resolve) => setTimeout(resolve, 300));
    return super.putRoster(...args);
  }
}

async function served(store: BotStore): Promise<{ bot: Bot; url: string; server: Server }> {
  const bot = createBot({
    client: createInviteClient({ credential: sim.credential(), baseUrl: sim.graphUrl }),
    auth: { appId: sim.app.appId, openIdConfigurationUrl: sim.openIdConfigurationUrl },
    store,
    selfCheck: false,
    logger: recordingLogger().logger,
  });
  const server = createServer(nodeHandler(bot));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { bot, server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/calls` };
}

function stop(server: Server): void {
  server.close();
  server.closeAllConnections();
}

describe("bot.close()", () => {
  test("processes what it acknowledged before it resolves, then answers new deliveries 503 with Retry-After", async () => {
    const store = new SlowRosterStore();
    const { bot, server, url } = await served(store);
    const refused: RefusedDelivery[] = [];
    bot.on("refused", (refusal) => refused.push(refusal));
    try {
      const callId = randomUUID();
      const before = await fetch(url, { method: "POST", headers: await signedHeaders(sim), body: rosterOf(callId) });
      expect(before.status).toBe(202);
      await bot.close();
      // Read from the store itself: the roster was written before close() resolved.
      expect(Object.keys((await store.roster(callId))?.members ?? {})).toHaveLength(1);

      const after = await fetch(url, {
        method: "POST",
        headers: await signedHeaders(sim),
        body: rosterOf(randomUUID()),
      });
      expect(after.status).toBe(503);
      expect(after.headers.get("retry-after")).toBe("5");
      expect(await after.json()).toMatchObject({ error: { code: "shuttingDown" } });
      expect(refused.map((refusal) => refusal.reason)).toEqual(["shuttingDown"]);
    } finally {
      stop(server);
    }
  });

  test("stops waiting: an invite still waiting rejects, and no timer keeps the process alive", async () => {
    const { bot, server } = await served(new MemoryStore());
    try {
      // Graph's notifications go nowhere, so the invite waits for its deadline.
      const call = sim.createCall({ kind: "group", callbackUri: "http://127.0.0.1:9/api/calls" });
      const waiting = bot.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())), { timeoutMs: 60_000 });
      const outcome = waiting.then(
        () => "resolved",
        (error: unknown) => String(error),
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      await bot.close();
      expect(await outcome).toMatch(/the bot closed before the invite ended/);
    } finally {
      stop(server);
    }
  });
});

describe.skipIf(skipRedisTests)("bot.close() with Redis", () => {
  test("then redis.quit() neither hangs nor fails, with deliveries and an invite in flight", async () => {
    const redisServer = await startRedis();
    const redis = createClient({ url: redisServer.url });
    const redisErrors: unknown[] = [];
    redis.on("error", (error) => redisErrors.push(error));
    await redis.connect();
    const { bot, server, url } = await served(new RedisStore({ client: redis, prefix: `close-${randomUUID()}:` }));
    const errors: unknown[] = [];
    bot.on("error", (error) => errors.push(error));
    try {
      const call = sim.createCall({ kind: "group", callbackUri: url });
      expect((await bot.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())))).status).toBe("completed");
      const lost = sim.createCall({ kind: "group", callbackUri: "http://127.0.0.1:9/api/calls" });
      const waiting = bot
        .inviteAndWait(lost.id, inviteBody(userParticipant(randomUUID())), { timeoutMs: 60_000 })
        .catch(() => "closed");
      // Acknowledged, and still being processed when close() is called.
      const calls = Array.from({ length: 30 }, () => randomUUID());
      const answers = await Promise.all(
        calls.map(async (callId) => {
          const headers = { ...(await signedHeaders(sim)), "X-Microsoft-Skype-Message-Id": randomUUID() };
          return (await fetch(url, { method: "POST", headers, body: rosterOf(callId) })).status;
        }),
      );
      expect(answers.every((status) => status === 202)).toBe(true);

      await bot.close();
      const quitting = Date.now();
      await redis.quit();
      expect(Date.now() - quitting).toBeLessThan(2000);
      expect(await waiting).toBe("closed");
      // Whatever the bot left running would meet the closed client within the next second.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(errors).toEqual([]);
      expect(redisErrors).toEqual([]);
      // Every roster acknowledged was written before the client closed.
      const check = createClient({ url: redisServer.url });
      await check.connect();
      const written = await Promise.all(calls.map((callId) => check.keys(`*${callId}*`)));
      check.destroy();
      expect(written.filter((keys) => keys.length === 0)).toEqual([]);
    } finally {
      stop(server);
      if (redis.isOpen) redis.destroy();
      await redisServer.stop();
    }
  });
});
