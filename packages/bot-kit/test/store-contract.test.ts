// The BotStore contract, run against both stores the kit ships: MemoryStore, and RedisStore on a real redis-server
// started for this file. Each Redis test gets a prefix of its own, so tests share the server but not their data.
import { randomUUID } from "node:crypto";
import { createClient } from "redis";
import { afterAll, beforeAll } from "vitest";
import { type RedisServer, skipRedisTests, startRedis } from "../../../test-support/redis.js";
import { type BotStore, MemoryStore, type RetentionOverrides } from "../src/index.js";
import { RedisStore } from "../src/redis/index.js";
import { storeContract } from "./store-contract.js";

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
