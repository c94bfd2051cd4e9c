// The BotStore contract, run against both stores the kit ships: MemoryStore, and RedisStore on a real redis-server
// and on a real three-primary Redis Cluster, each started for this file. Each Redis test gets a prefix of its own, so tests share the server but not their data.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { type RedisServer, skipRedisTests, startRedis, startRedisCluster } from "@graph-invite/test-support/redis";
import { ClientClosedError, createClient, createCluster, SocketClosedUnexpectedlyError } from "redis";
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from "vitest";
import {
  type BotStore,
  MemoryStore,
  type OperationRecord,
  type RetentionOverrides,
  type RosterEvent,
  type StoreChange,
} from "../src/index.js";
import { type AnyRedisConnection, type RedisConnection, RedisStore } from "../src/redis/index.js";
import { emptyRoster, redisStoreInstruments } from "../src/testing.js";
import { operation, type StoreUnderTest, storeContract, until, update } from "./store-contract.js";

storeContract("MemoryStore", {
  open: async (retention?: RetentionOverrides) => new MemoryStore(retention === undefined ? {} : { retention }),
  another: async (store: BotStore) => store,
  shared: false,
});

if (!skipRedisTests) {
  storeContract(
    "RedisStore",
    onRedis(async () => {
      const server = await startRedis();
      return { connect: () => createClient({ url: server.url }), stop: () => server.stop() };
    }),
  );
  storeContract(
    "RedisStore on a three-primary Redis Cluster",
    onRedis(async () => {
      const cluster = await startRedisCluster();
      return { connect: () => createCluster({ rootNodes: [...cluster.rootNodes] }), stop: () => cluster.stop() };
    }),
  );
}

/**
 * RedisStore as the contract suite opens it, on a server (or cluster) started for the suite: each store under a
 * prefix of its own, so tests share the server but not their data.
 */
function onRedis(
  start: () => Promise<{ connect: () => AnyRedisConnection & { destroy(): unknown }; stop: () => Promise<void> }>,
): StoreUnderTest {
  let started: Promise<{ connect: () => AnyRedisConnection & { destroy(): unknown }; stop: () => Promise<void> }>;
  const clients: Array<{ destroy(): unknown }> = [];
  const connect = async () => {
    started ??= start();
    const client = (await started).connect();
    client.on("error", () => {});
    await client.connect();
    clients.push(client);
    return client;
  };
  const prefixes = new WeakMap<BotStore, string>();
  afterAll(async () => {
    for (const client of clients) client.destroy();
    await (await started)?.stop();
  });
  return {
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
  };
}

describe.skipIf(skipRedisTests)("RedisStore's keys", () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(() => server?.stop());

  test("stay under the prefix, each with a time to live but one counter", async () => {
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
      const finishing: Array<Promise<void>> = [];
      for (let index = 0; index < 200; index++) {
        const record = operation(`call-${index % 7}`, { operationId: `op-${index}`, status: "completed" });
        await store.putOperation(record);
        // With its body, as the receiver claims a delivery: the body is kept until the delivery is finished.
        const key = `message:${index}`;
        await store.claimDelivery(key, new TextEncoder().encode(`{"value":[${index}]}`));
        // The last three stay unfinished, as if their instance had stopped: their bodies must still expire.
        // Not awaited: a finished delivery rides on the next claim.
        if (index < 197) finishing.push(store.finishDelivery(key));
        await store.putRoster(emptyRoster(`call-${index}`), []);
        await store.recordUnmatched({
          at: new Date().toISOString(),
          callId: undefined,
          reason: "r",
          notification: index,
        });
      }
      await Promise.all(finishing);
      const keys = (await server.command("KEYS", "*")).split("\n").filter((key) => key !== "");
      // Under the prefix, as a hash tag: on Redis Cluster, one slot.
      const space = `{${prefix}}`;
      expect(keys.every((key) => key.startsWith(space))).toBe(true);
      // 20 operations with their id index, 7 calls' indexes, 20 deliveries, 5 rosters and the index of each kind,
      // the unmatched list and its byte count, the pending index (emptied, so gone), this instance's heartbeat, the
      // counter and the feed, and the three unfinished deliveries' bodies with their index.
      expect(keys.length).toBeLessThanOrEqual(20 * 2 + 7 + 20 + 5 + 3 + 2 + 1 + 2 + 3 + 1);
      // The bodies of the unfinished deliveries and their index are there, so the check below covers them.
      expect(keys.filter((key) => key.startsWith(`${space}unfinished`)).sort()).toEqual(
        [`${space}unfinished`, ...[197, 198, 199].map((index) => `${space}unfinished-body:message:${index}`)].sort(),
      );
      const withoutExpiry: string[] = [];
      for (const key of keys) if (Number(await server.command("PTTL", key)) < 0) withoutExpiry.push(key);
      expect(withoutExpiry.sort()).toEqual([`${space}op-order`]);
    } finally {
      client.destroy();
    }
  });
});

describe.skipIf(skipRedisTests)("RedisStore's inboxes", () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(() => server?.stop());

  test("stay within their bytes: twenty 1 MiB roster swaps broadcast keep an inbox within inboxBytes", async () => {
    const connect = async () => {
      const client = createClient({ url: server.url });
      client.on("error", () => {});
      await client.connect();
      onTestFinished(() => {
        client.destroy();
      });
      return client;
    };
    const prefix = `inbox-bytes-${randomUUID()}:`;
    const inboxBytes = 1024 * 1024;
    const [writer, reader] = [
      new RedisStore({ client: await connect(), prefix, inboxBytes }),
      new RedisStore({ client: await connect(), prefix, inboxBytes }),
    ];
    const heard: StoreChange[] = [];
    const stop = reader.watch((change) => heard.push(change), { broadcast: true });
    onTestFinished(stop);
    await sleep(200);
    const callId = `call-${randomUUID()}`;
    let roster = emptyRoster(callId);
    for (let swap = 0; swap < 20; swap++) {
      // Everyone leaves and 64 others of 16 KiB each join: events of 1 MiB and more.
      const participant = (n: number) => ({ id: `p-${swap}-${n}`, bulk: "x".repeat(16 * 1024) });
      const events: RosterEvent[] = Array.from({ length: 64 }, (_, n) => ({
        type: "joined",
        callId,
        key: `p-${swap}-${n}`,
        participant: participant(n) as never,
      }));
      const members = Object.fromEntries(
        events.map((event) => [event.key, { participant: event.participant, version: null }]),
      );
      expect(await writer.putRoster({ ...roster, members }, events)).toBe(true);
      roster = (await writer.roster(callId)) ?? roster;
    }
    await until(() => heard.length >= 20);
    // Each change was too large for an entry: the reader hears that it was, not the megabytes.
    expect(heard.every((change) => change.kind === "roster" && change.tooLarge === true)).toBe(true);
    const inbox = `{${prefix}}inbox:${redisStoreInstruments(reader).origin}`;
    const entries = (await server.command("XRANGE", inbox, "-", "+")).length;
    expect(entries).toBeLessThanOrEqual(inboxBytes);
    expect(Number(await server.command("MEMORY", "USAGE", inbox))).toBeLessThanOrEqual(inboxBytes);
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

describe.skipIf(skipRedisTests)("RedisStore's deliveries and retried writes", () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(() => server?.stop());

  async function connected() {
    const client = createClient({ url: server.url });
    client.on("error", () => {});
    await client.connect();
    onTestFinished(() => {
      client.destroy();
    });
    return client;
  }

  test("a delivery claimed by an instance that stops is taken over by another, once, with its body", async () => {
    const prefix = `inbox-${randomUUID()}:`;
    const options = { prefix, heartbeatMs: 300 };
    const [stopping, taking] = [
      new RedisStore({ client: await connected(), ...options }),
      new RedisStore({ client: await connected(), ...options }),
    ];
    const body = new TextEncoder().encode('{"value":[]}');
    expect(await stopping.claimDelivery("message:1", body)).toBe(true);
    expect(await stopping.claimDelivery("message:2", body)).toBe(true);
    // A claim without a body (a store's own user may make one) leaves nothing to take over.
    expect(await stopping.claimDelivery("message:3")).toBe(true);
    await stopping.finishDelivery("message:2");
    // Its claimant is alive for 300 ms after its last sign of life.
    expect(await taking.takeUnfinishedDeliveries(0)).toEqual([]);
    await sleep(450);
    expect(await taking.takeUnfinishedDeliveries(0)).toEqual([{ key: "message:1", body: '{"value":[]}' }]);
    // Taken: it is the taker's now, and the taker is alive.
    expect(await stopping.takeUnfinishedDeliveries(0)).toEqual([]);
    await taking.finishDelivery("message:1");
    expect(await server.command("ZCARD", `{${prefix}}unfinished`)).toBe("0");
    expect(await server.command("EXISTS", `{${prefix}}unfinished:message:1`)).toBe("0");
    // The keys themselves stay claimed for the deliveries' retention: a copy sent again is a duplicate.
    expect(await taking.claimDelivery("message:1", body)).toBe(false);
  });

  test("a finished delivery's body goes with the next claim, at no round trip of its own, or alone when none comes", async () => {
    const client = await connected();
    const prefix = `finish-${randomUUID()}:`;
    const store = new RedisStore({ client, prefix });
    const body = new TextEncoder().encode("{}");
    // The server learns both scripts first, so that each command below is one round trip.
    await store.claimDelivery("message:0", body);
    await store.finishDelivery("message:0");
    const before = redisStoreInstruments(store).commandsSent;
    await store.claimDelivery("message:1", body);
    const finished = store.finishDelivery("message:1");
    await store.claimDelivery("message:2", body);
    await finished;
    expect(redisStoreInstruments(store).commandsSent - before).toBe(2);
    expect(await server.command("ZRANGE", `{${prefix}}unfinished`, "0", "-1")).toBe("message:2");
    // No claim follows this one: it is written on its own, a moment later.
    await store.finishDelivery("message:2");
    expect(redisStoreInstruments(store).commandsSent - before).toBe(3);
    expect(await server.command("ZCARD", `{${prefix}}unfinished`)).toBe("0");
  });

  test("errors are told apart by class: a closed client fails at once, a refused command is not sent again", async () => {
    const client = createClient({ url: server.url });
    client.on("error", () => {});
    await client.connect();
    const store = new RedisStore({ client, prefix: `closed-${randomUUID()}:`, retryForMs: 15_000 });
    await store.putOperation(operation("call-1"));
    // A command refused by the server (here: the roster's key holds a string) is final whatever its retry budget.
    const wrongType = new RedisStore({ client, prefix: "wrongtype:", retryForMs: 15_000 });
    await client.sendCommand(["SET", "{wrongtype:}roster:call-1", "not a hash"]);
    const sentBefore = redisStoreInstruments(wrongType).commandsSent;
    await expect(wrongType.roster("call-1")).rejects.toThrow(/WRONGTYPE/);
    expect(redisStoreInstruments(wrongType).commandsSent - sentBefore).toBe(1);
    await client.sendCommand(["DEL", "{wrongtype:}roster:call-1"]);
    client.destroy();
    const started = Date.now();
    await expect(store.putOperation(operation("call-1"))).rejects.toBeInstanceOf(ClientClosedError);
    await expect(store.operationByContext("any")).rejects.toBeInstanceOf(ClientClosedError);
    // Retried until the budget ran out, it would take 15 s.
    expect(Date.now() - started).toBeLessThan(1000);
  });

  test("a write or a claim whose reply was lost, sent again, is recognised as done, not as another's", async () => {
    let dropNext = 0;
    const lossy = lossyConnection(await connected(), async () => {
      if (dropNext === 0) return false;
      dropNext--;
      return true;
    });
    const store = new RedisStore({ client: lossy, prefix: `lossy-${randomUUID()}:` });
    const record = operation("call-1");
    dropNext = 1;
    expect(await store.putOperation(record)).toBe(true);
    dropNext = 1;
    expect(await store.putOperation({ ...record, status: "running", revision: 1 })).toBe(true);
    expect(await store.operationByContext(record.clientContext)).toMatchObject({ status: "running", revision: 2 });
    dropNext = 1;
    expect(await store.putRoster(emptyRoster("call-1"), [])).toBe(true);
    dropNext = 1;
    expect(await store.claimDelivery("message:lost-reply")).toBe(true);
    // Another writer's stale write is still refused.
    expect(await store.putOperation(record)).toBe(false);
  });

  test("a write whose reply was lost is recognised as done even after another writer has written over it", async () => {
    const prefix = `overtaken-${randomUUID()}:`;
    const rival = new RedisStore({ client: await connected(), prefix });
    let overtake: (() => Promise<void>) | undefined;
    // Loses the reply of the next script, and before it is sent again lets the rival write over the record, as
    // another instance may in the moments a dropped connection takes to come back.
    const lossy = lossyConnection(await connected(), async () => {
      const between = overtake;
      if (between === undefined) return false;
      overtake = undefined;
      await between();
      return true;
    });
    const store = new RedisStore({ client: lossy, prefix });
    const record = operation("call-1", { history: [] });
    expect(await store.putOperation(record)).toBe(true);
    const step = (detail: string) => ({ at: new Date().toISOString(), event: "notification" as const, detail });
    overtake = async () => {
      const current = (await rival.operationByContext(record.clientContext)) as OperationRecord;
      expect(await rival.putOperation({ ...current, history: [...current.history, step("rival")] })).toBe(true);
    };
    // The write is applied, its reply lost, the rival writes, and the write is sent again: it was done, not refused.
    expect(await store.putOperation({ ...record, revision: 1, history: [step("first")] })).toBe(true);
    const final = await store.operationByContext(record.clientContext);
    expect(final?.history.map((entry) => entry.detail)).toEqual(["first", "rival"]);
    expect(final?.revision).toBe(3);
  });
});

/**
 * A connection that carries each command to the server, and loses the reply of a script when `loseReply` says so
 * (after doing what it likes meanwhile), as a connection cut after the server answered would.
 */
function lossyConnection(client: RedisConnection, loseReply: () => Promise<boolean>): RedisConnection {
  return {
    sendCommand: async (args) => {
      const reply = await client.sendCommand(args);
      if (args[0] === "EVALSHA" && (await loseReply())) throw new SocketClosedUnexpectedlyError();
      return reply;
    },
    duplicate: () => client.duplicate(),
    connect: () => client.connect(),
    destroy: () => client.destroy(),
    on: (event, listener) => client.on(event, listener),
  };
}
