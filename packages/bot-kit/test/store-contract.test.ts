// The BotStore contract, run against both stores the kit ships: MemoryStore, and RedisStore on a real redis-server
// started for this file. Each Redis test gets a prefix of its own, so tests share the server but not their data.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type RedisServer, skipRedisTests, startRedis } from "../../../test-support/redis.js";
import { type BotStore, emptyRoster, MemoryStore, type RetentionOverrides } from "../src/index.js";
import { RedisStore } from "../src/redis/index.js";
import { operation, storeContract, update } from "./store-contract.js";

storeContract("MemoryStore", {
  open: async (retention?: RetentionOverrides) => new MemoryStore(retention === undefined ? {} : { retention }),
  another: async (store: BotStore) => store,
  shared: false,
});

if (!skipRedisTests) {
  let server: RedisServer;
  const clients: Array<{ destroy(): unknown }> = [];
  const connect = async () => {
    const client = createClient({ url: server.url });
    client.on("error", () => {});
    await client.connect();
    clients.push(client);
    return client;
  };
  const prefixes = new WeakMap<BotStore, string>();

  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    for (const client of clients) client.destroy();
    await server?.stop();
  });

  storeContract("RedisStore", {
    async open(retention?: RetentionOverrides) {
      const prefix = `test-${randomUUID()}:`;
      const store = new RedisStore({ client: await connect(), prefix, ...(retention && { retention }) });
      prefixes.set(store, prefix);
      return store;
    },
    async another(store: BotStore, retention?: RetentionOverrides) {
      const prefix = prefixes.get(store) ?? "";
      return new RedisStore({ client: await connect(), prefix, ...(retention && { retention }) });
    },
    shared: true,
  });
}

describe.skipIf(skipRedisTests)("RedisStore's keys", () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(() => server?.stop());

  test("stay under the prefix, each with a time to live but the feed (bounded by length) and one counter", async () => {
    const client = createClient({ url: server.url });
    client.on("error", () => {});
    await client.connect();
    try {
      const prefix = `keys-${randomUUID()}:`;
      const store = new RedisStore({
        client,
        prefix,
        feedLength: 50,
        retention: { operations: { maxCount: 20 }, deliveries: { maxCount: 20 }, rosters: { maxCount: 5 } },
      });
      for (let index = 0; index < 200; index++) {
        const record = operation(`call-${index % 7}`, { operationId: `op-${index}`, status: "completed" });
        await store.putOperation(record);
        await store.claimDelivery(`message:${index}`);
        await store.putRoster(emptyRoster(`call-${index}`), []);
        await store.recordUnmatched({
          at: new Date().toISOString(),
          callId: undefined,
          reason: "r",
          notification: index,
        });
      }
      const keys = (await server.command("KEYS", "*")).split("\n").filter((key) => key !== "");
      expect(keys.every((key) => key.startsWith(prefix))).toBe(true);
      // 20 operations with their id index, 7 calls' indexes, 20 deliveries, 5 rosters and the index of each kind,
      // the unmatched list and its byte count, the pending index (emptied, so gone), the counter and the feed.
      expect(keys.length).toBeLessThanOrEqual(20 * 2 + 7 + 20 + 5 + 3 + 2 + 2);
      const withoutExpiry: string[] = [];
      for (const key of keys) if (Number(await server.command("PTTL", key)) < 0) withoutExpiry.push(key);
      expect(withoutExpiry.sort()).toEqual([`${prefix}changes`, `${prefix}op-order`]);
      expect(Number(await server.command("XLEN", `${prefix}changes`))).toBeLessThanOrEqual(50 + 100);
    } finally {
      client.destroy();
    }
  });
});

describe.skipIf(skipRedisTests)("RedisStore when connections drop", () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(() => server?.stop());

  test("racing writers and claimers lose no update and claim once while the server cuts every connection", async () => {
    const prefix = `drops-${randomUUID()}:`;
    const handles = await Promise.all(
      [1, 2].map(async () => {
        const client = createClient({ url: server.url });
        client.on("error", () => {});
        await client.connect();
        return { client, store: new RedisStore({ client, prefix }) };
      }),
    );
    const [first, second] = handles.map((handle) => handle.store) as [RedisStore, RedisStore];
    const record = operation("call-1", { history: [] });
    await first.putOperation(record);
    let cutting = true;
    let cuts = 0;
    const cutter = (async () => {
      while (cutting) {
        cuts += Number(await server.command("CLIENT", "KILL", "TYPE", "normal"));
        await sleep(15);
      }
    })();
    try {
      const writers = Array.from({ length: 40 }, (_, index) => `writer-${index}`);
      const key = randomUUID();
      const [, claims] = await Promise.all([
        Promise.all(
          writers.map((writer, index) =>
            update(index % 2 === 0 ? first : second, record.clientContext, (current) => {
              current.history.push({ at: new Date().toISOString(), event: "notification", detail: writer });
            }),
          ),
        ),
        Promise.all(Array.from({ length: 20 }, (_, index) => (index % 2 === 0 ? first : second).claimDelivery(key))),
      ]);
      cutting = false;
      await cutter;
      expect(cuts).toBeGreaterThan(0);
      const final = await first.operationByContext(record.clientContext);
      expect(final?.history.map((step) => step.detail).sort()).toEqual([...writers].sort());
      expect(claims.filter(Boolean)).toHaveLength(1);
    } finally {
      cutting = false;
      await cutter;
      for (const { client } of handles) client.destroy();
    }
  });
});
