// The Redis store's inbox (the changes an instance follows) when its reader loses its connection and cannot get it back for a while,
// as behind a failing proxy: the changes written meanwhile by other instances all reach it once it is back, in order
// and none skipped, and it reports a resync, so that whoever waits reads the store again in case entries were trimmed.
// The reader is held off by a password set on the server after every other connection authenticated: a real server
// refusing only the new connection. And a reader stopped while it waits on the server ends there.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { type RedisServer, skipRedisTests, startRedis } from "@graph-invite/test-support/redis";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { StoreChange } from "../src/index.js";
import { FeedReader } from "../src/redis/feed.js";
import { RedisStore } from "../src/redis/index.js";
import { operation, until } from "./store-contract.js";

describe.skipIf(skipRedisTests)("the change feed across a lost connection", () => {
  let server: RedisServer;
  const clients: Array<{ destroy(): unknown }> = [];
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    for (const client of clients) client.destroy();
    await server?.stop();
  });

  async function connect() {
    const client = createClient({ url: server.url });
    client.on("error", () => {});
    await client.connect();
    clients.push(client);
    return client;
  }

  test("neither skips the entries written while the reader was away nor fails to report a resync", async () => {
    const admin = await connect();
    const prefix = `feed-${randomUUID()}:`;
    const reading = new RedisStore({ client: await connect(), prefix, feedBlockMs: 200 });
    const writing = new RedisStore({ client: await connect(), prefix });
    const changes: StoreChange[] = [];
    const stop = reading.watch((change) => changes.push(change));
    try {
      // The reader starts from the stream's end as it finds it: once it has seen a change, it is in place.
      await until(async () => {
        const record = operation("call");
        await reading.follow({ clientContext: record.clientContext });
        await writing.putOperation(record);
        await sleep(50);
        return changes.length > 0;
      });
      await sleep(300);
      changes.length = 0;

      // Only the reader blocks in XREAD: cut its connection, and refuse it a new one.
      const list = String(await admin.sendCommand(["CLIENT", "LIST"]));
      const reader = list.split("\n").find((line) => / cmd=xread\b/.test(line));
      const id = /\bid=(\d+)/.exec(reader ?? "")?.[1];
      expect(id).toBeDefined();
      await admin.sendCommand(["CONFIG", "SET", "requirepass", randomUUID()]);
      try {
        await admin.sendCommand(["CLIENT", "KILL", "ID", String(id)]);
        const meanwhile = [1, 2, 3, 4, 5].map(() => operation("call"));
        for (const record of meanwhile) {
          // Followed on the reading instance's own connection, which stays up: only its inbox reader is cut off.
          await reading.follow({ clientContext: record.clientContext });
          await writing.putOperation(record);
        }
        // Long enough for several attempts to reconnect: none gets through, so nothing arrives.
        await sleep(600);
        expect(changes).toEqual([]);
        await admin.sendCommand(["CONFIG", "SET", "requirepass", ""]);
        await until(() => changes.filter((change) => change.kind === "operation").length >= meanwhile.length);
        await sleep(300);
        const seen = changes.flatMap((change) => (change.kind === "operation" ? [change.clientContext] : []));
        expect(seen).toEqual(meanwhile.map((record) => record.clientContext));
        expect(changes).toContainEqual({ kind: "resync" });
      } finally {
        await admin.sendCommand(["CONFIG", "SET", "requirepass", ""]);
      }
    } finally {
      stop();
    }
  });

  test("a reader stopped while it waits on the server ends its loop and gives up its connection", async () => {
    const admin = await connect();
    const key = `feed-${randomUUID()}`;
    const reader = new FeedReader({ connection: admin, key, origin: "me", onChange: () => {}, blockMs: 10_000 });
    const reading = async () => / cmd=xread\b/.test(String(await admin.sendCommand(["CLIENT", "LIST"])));
    await until(reading);
    // A loop that went on would try its destroyed connection again and again, and stop() would never resolve.
    const stopped = reader.stop().then(() => "stopped");
    expect(await Promise.race([stopped, sleep(2000, "still reading")])).toBe("stopped");
    await until(async () => !(await reading()));
  });
});
