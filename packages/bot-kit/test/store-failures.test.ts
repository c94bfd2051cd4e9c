// A 202 is a promise even when the store refuses writes for a while, as during a failover: the instance that took the
// delivery tries its work again until the store takes it, reporting each failure. The refusal is a real server's:
// `min-replicas-to-write 1` on a server with no replica makes every write fail with NOREPLICAS until it is set back.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { createInviteClient } from "@graph-invite/client";
import { type Simulator, start } from "@graph-invite/simulator";
import { deltaRosterBody } from "@graph-invite/test-support/notifications";
import { type RedisServer, skipRedisTests, startRedis } from "@graph-invite/test-support/redis";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startBot } from "../src/node/index.js";
import { RedisStore } from "../src/redis/index.js";
import { participantNamed, postNotification, signedHeaders } from "./harness.js";
import { until } from "./store-contract.js";

type Admin = { sendCommand(args: string[]): Promise<unknown> };

/** Makes the server refuse every write with NOREPLICAS, for `ms`. */
async function refuseWritesFor(admin: Admin, ms: number): Promise<void> {
  await admin.sendCommand(["CONFIG", "SET", "min-replicas-to-write", "1"]);
  setTimeout(() => void admin.sendCommand(["CONFIG", "SET", "min-replicas-to-write", "0"]), ms);
}

/** Refuses writes from the moment a delivery has been claimed, for `refuseForMs`: after the 202, before the work. */
class RefusingAfterClaim extends RedisStore {
  refuseForMs = 0;
  admin: Admin | undefined;

  override async claimDelivery(key: string, body?: Uint8Array): Promise<boolean> {
    const claimed = await super.claimDelivery(key, body);
    if (this.refuseForMs > 0 && this.admin !== undefined) {
      await refuseWritesFor(this.admin, this.refuseForMs);
      this.refuseForMs = 0;
    }
    return claimed;
  }
}

/** Refuses writes from the moment it has taken over another instance's unfinished deliveries, for `refuseForMs`. */
class RefusingAfterTakeOver extends RedisStore {
  refuseForMs = 0;
  admin: Admin | undefined;

  override async takeUnfinishedDeliveries(claimedBeforeMs?: number) {
    const taken = await super.takeUnfinishedDeliveries(claimedBeforeMs);
    if (taken.length > 0 && this.refuseForMs > 0 && this.admin !== undefined) {
      await refuseWritesFor(this.admin, this.refuseForMs);
      this.refuseForMs = 0;
    }
    return taken;
  }
}

describe.skipIf(skipRedisTests)("a store that refuses writes after the 202", () => {
  let redis: RedisServer;
  let sim: Simulator;
  beforeAll(async () => {
    [redis, sim] = await Promise.all([startRedis(), start()]);
  });
  afterAll(async () => {
    await sim?.close();
    await redis?.stop();
  });

  const connect = async () => {
    const client = createClient({ url: redis.url });
    client.on("error", () => {});
    await client.connect();
    return client;
  };

  test("the delivery is processed once the store takes writes again, each failure reported", async () => {
    const [client, admin] = [await connect(), await connect()];
    const prefix = `refusing-${randomUUID()}:`;
    // The store's own retries are for the connection's failures; NOREPLICAS is the server's answer, final to it.
    const store = new RefusingAfterClaim({ client, prefix, retryForMs: 200 });
    store.admin = admin;
    const bot = await startBot({
      client: createInviteClient({ credential: sim.credential(), baseUrl: sim.graphUrl }),
      auth: { appId: sim.app.appId, openIdConfigurationUrl: sim.openIdConfigurationUrl },
      store,
    });
    const errors: unknown[] = [];
    bot.on("error", (error) => errors.push(error));
    try {
      const callId = `call-${randomUUID()}`;
      store.refuseForMs = 1500;
      const body = deltaRosterBody(callId, 1, [participantNamed("p-1")]);
      const answered = Date.now();
      const headers = { ...(await signedHeaders(sim)), "X-Microsoft-Skype-Message-Id": randomUUID() };
      expect((await postNotification(bot, body, headers)).status).toBe(202);
      await until(() => errors.length > 0);
      // Refused, reported, and not given up on: once the server takes writes again, the roster is stored.
      expect(String(errors[0])).toMatch(/NOREPLICAS/);
      await until(async () => (await bot.roster(callId)).participants.length === 1, 10_000);
      expect(Date.now() - answered).toBeGreaterThanOrEqual(1500 - 100);
      await bot.idle();
      expect(errors.length).toBeGreaterThanOrEqual(2);
      expect(errors.every((error) => /NOREPLICAS/.test(String(error)))).toBe(true);
      // The delivery is finished: nothing is left for another instance to take over.
      await sleep(400);
      expect(await redis.command("ZCARD", `{${prefix}}unfinished`)).toBe("0");
    } finally {
      await admin.sendCommand(["CONFIG", "SET", "min-replicas-to-write", "0"]);
      await bot.close();
      client.destroy();
      admin.destroy();
    }
  });

  test("a delivery taken over from a stopped instance that the parser refuses is kept as unmatched, store failures retried", async () => {
    const [stoppedClient, client, admin] = [await connect(), await connect(), await connect()];
    const prefix = `taken-over-${randomUUID()}:`;
    // The stopped instance claimed the delivery, keeping its body, and stopped before it kept it as unmatched.
    const stopped = new RedisStore({ client: stoppedClient, prefix, heartbeatMs: 300 });
    expect(await stopped.claimDelivery("message:refused", new TextEncoder().encode('{"value":"x"}'))).toBe(true);
    stoppedClient.destroy();
    const store = new RefusingAfterTakeOver({ client, prefix, heartbeatMs: 300, retryForMs: 200 });
    store.admin = admin;
    store.refuseForMs = 1500;
    const bot = await startBot({
      client: createInviteClient({ credential: sim.credential(), baseUrl: sim.graphUrl }),
      auth: { appId: sim.app.appId, openIdConfigurationUrl: sim.openIdConfigurationUrl },
      store,
      recheckIntervalMs: 200,
    });
    const errors: unknown[] = [];
    bot.on("error", (error) => errors.push(error));
    try {
      await until(() => errors.length > 0, 10_000);
      expect(String(errors[0])).toMatch(/NOREPLICAS/);
      // Kept once the server takes writes again, with the parser's pointer and rule.
      await until(async () => (await bot.unmatched()).length > 0, 10_000);
      const [kept, ...others] = await bot.unmatched();
      expect(others).toEqual([]);
      expect(kept?.reason).toBe(
        'a delivery taken over from a stopped instance, which the parser refused: /value: must be an array, not "x" (string)',
      );
      expect(kept?.notification).toBe('{"value":"x"}');
      await bot.idle();
      await sleep(400);
      expect(await redis.command("ZCARD", `{${prefix}}unfinished`)).toBe("0");
    } finally {
      await admin.sendCommand(["CONFIG", "SET", "min-replicas-to-write", "0"]);
      await bot.close();
      client.destroy();
      admin.destroy();
    }
  });
});
