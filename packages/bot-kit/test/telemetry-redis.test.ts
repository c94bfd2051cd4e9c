// The Redis store's metrics, read back through OpenTelemetry's SDK, on a real redis-server: commands sent again after
// their connection failed, and deliveries taken over from an instance that stopped before processing them.
import { randomUUID } from "node:crypto";
import { createInviteClient, inviteBody, userParticipant } from "@graph-invite/client";
import { type Simulator, start } from "@graph-invite/simulator";
import { type RedisServer, skipRedisTests, startRedis } from "@graph-invite/test-support/redis";
import { createClient, SocketClosedUnexpectedlyError } from "redis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { OperationRecord } from "../src/index.js";
import { type StartedBot, startBot } from "../src/node/index.js";
import { type RedisConnection, RedisStore, type RedisStoreOptions } from "../src/redis/index.js";
import { sharedTelemetry } from "../src/telemetry.js";
import { until } from "./store-contract.js";
import { count, useSdk } from "./telemetry-sdk.js";

useSdk();

/** Claims and answers deliveries, then never writes what they say: an instance killed at that moment. */
class FrozenStore extends RedisStore {
  override putOperation(record: OperationRecord): Promise<boolean> {
    return record.revision === 0 ? super.putOperation(record) : new Promise(() => {});
  }

  override putRoster(): Promise<boolean> {
    return new Promise(() => {});
  }
}

describe.skipIf(skipRedisTests)("Redis metrics", () => {
  let redis: RedisServer;
  let sim: Simulator;
  const prefix = `telemetry-${randomUUID()}:`;
  const clients: Array<{ destroy(): unknown }> = [];

  beforeAll(async () => {
    [redis, sim] = await Promise.all([startRedis(), start()]);
  });
  afterAll(async () => {
    for (const client of clients) client.destroy();
    await sim?.close();
    await redis?.stop();
  });

  async function connected() {
    const client = createClient({ url: redis.url });
    client.on("error", () => {});
    await client.connect();
    clients.push(client);
    return client;
  }

  test("a command whose connection failed under it is sent again, and counted", async () => {
    const real = await connected();
    let failNext = 0;
    // The real connection, but the next command fails, when told, as a socket closed under it would.
    const flaky: RedisConnection = {
      sendCommand: (args) =>
        failNext-- > 0 ? Promise.reject(new SocketClosedUnexpectedlyError()) : real.sendCommand(args),
      duplicate: () => real.duplicate(),
      connect: () => real.connect(),
      destroy: () => real.destroy(),
      on: (event, listener) => real.on(event, listener),
    };
    const store = new RedisStore({ client: flaky, prefix });
    const before = await count("graph_invite.redis.retries", {});
    // The store loads OpenTelemetry's API when it is made (startBot waits for the same load).
    await sharedTelemetry().ready();
    failNext = 1;
    expect(await store.operations()).toEqual([]);
    expect(failNext).toBe(-1);
    expect(await count("graph_invite.redis.retries", {})).toBe(before + 1);
  });

  test("a delivery taken over from a stopped instance is counted", async () => {
    const instance = async (frozen: boolean): Promise<StartedBot> => {
      const options: RedisStoreOptions = { client: await connected(), prefix, feedBlockMs: 500, heartbeatMs: 600 };
      return startBot({
        client: createInviteClient({ credential: sim.credential(), baseUrl: sim.graphUrl }),
        auth: { appId: sim.app.appId, openIdConfigurationUrl: sim.openIdConfigurationUrl },
        store: frozen ? new FrozenStore(options) : new RedisStore(options),
      });
    };
    const [waiting, dying] = [await instance(false), await instance(true)];
    try {
      const before = await count("graph_invite.delivery.take_overs", {});
      const user = randomUUID();
      sim.setScenario({ answers: { [user]: { kind: "accept", afterMs: 50 } } });
      const call = sim.createCall({ kind: "group", callbackUri: dying.callbackUrl });
      const outcome = waiting.inviteAndWait(call.id, inviteBody(userParticipant(user)));
      await until(() =>
        sim.deliveries().some((delivery) => delivery.kind === "operation" && delivery.outcome === "delivered"),
      );
      dying.stopWaiting();
      expect((await outcome).status).toBe("completed");
      await waiting.idle();
      expect(await count("graph_invite.delivery.take_overs", {})).toBeGreaterThan(before);
    } finally {
      await waiting.close();
      void dying.close();
    }
  });
});
