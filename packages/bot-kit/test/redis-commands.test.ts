// The small pieces the Redis store talks to Redis with, each on its own: a command sent again while the connection
// fails (how often, how far apart, until when), a script run by its digest with its text sent only when the server
// lacks it, on one server and on a cluster, the scripts as loaded, and replies read as text or JSON.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import {
  type RedisCluster,
  type RedisServer,
  skipRedisTests,
  startRedis,
  startRedisCluster,
} from "@graph-invite/test-support/redis";
import { ClientClosedError, ClientOfflineError, createClient, createCluster, ErrorReply } from "redis";
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from "vitest";
import { inboxLifetime, parsed, retried, serialise, writeToken } from "../src/redis/commands.js";
import { type AnyRedisConnection, Script, senderOf, text, texts } from "../src/redis/connection.js";
import { loadScript, scripts } from "../src/redis/scripts.js";

describe("retried", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A command that fails with each of `failures` in turn, then answers `"OK"`; with the clock's time of each try. */
  function failing(failures: readonly unknown[]) {
    const triedAt: number[] = [];
    const command = async () => {
      triedAt.push(Date.now());
      const failure = failures[triedAt.length - 1];
      if (failure !== undefined) throw failure;
      return "OK";
    };
    return { command, triedAt };
  }

  const gaps = (times: readonly number[]) => times.slice(1).map((time, index) => time - (times[index] as number));

  test("sends a command again while the connection fails, 25 ms after the first failure, doubling up to 250 ms", async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const { command, triedAt } = failing(Array.from({ length: 6 }, () => new ClientOfflineError()));
    const reply = retried(command, 15_000);
    await vi.runAllTimersAsync();
    await expect(reply).resolves.toBe("OK");
    expect(gaps(triedAt)).toEqual([25, 50, 100, 200, 250, 250]);
  });

  test("gives up with the connection's error once its time is spent, trying once more at that very moment", async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const last = new ClientOfflineError();
    // Tries at 0, 25, 75 and 175 ms; the fourth failure, at the 175 ms given, is the last.
    const { command, triedAt } = failing([
      new ClientOfflineError(),
      new ClientOfflineError(),
      new ClientOfflineError(),
      last,
    ]);
    const reply = retried(command, 175);
    const settled = reply.catch((error: unknown) => error);
    await vi.runAllTimersAsync();
    expect(await settled).toBe(last);
    expect(triedAt.map((at) => at - 1_000_000)).toEqual([0, 25, 75, 175]);
  });

  test("one try more while a moment remains", async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const { command, triedAt } = failing([
      new ClientOfflineError(),
      new ClientOfflineError(),
      new ClientOfflineError(),
    ]);
    const reply = retried(command, 176);
    await vi.runAllTimersAsync();
    await expect(reply).resolves.toBe("OK");
    expect(triedAt).toHaveLength(4);
  });

  test.each<[string, unknown]>([
    ["a closed client", new ClientClosedError()],
    ["a refused command", new ErrorReply("NOREPLICAS Not enough good replicas to write.")],
    ["any other failure", new TypeError("not the connection's")],
  ])("fails at once on %s", async (_, failure) => {
    const { command, triedAt } = failing([failure]);
    await expect(retried(command, 15_000)).rejects.toBe(failure);
    expect(triedAt).toHaveLength(1);
  });

  test("answers at once when the first try succeeds", async () => {
    const { command, triedAt } = failing([]);
    await expect(retried(command, 0)).resolves.toBe("OK");
    expect(triedAt).toHaveLength(1);
  });
});

describe("replies", () => {
  test("text reads a RESP2 string and a RESP3 buffer alike, and nothing else", () => {
    expect(text("é ok")).toBe("é ok");
    expect(text(Buffer.from("é ok"))).toBe("é ok");
    expect(text(new TextEncoder().encode("é ok"))).toBe("é ok");
    expect(text(7)).toBeUndefined();
    expect(text(null)).toBeUndefined();
    expect(text(["a"])).toBeUndefined();
  });

  test("texts reads a list, dropping nil entries, and anything else as none", () => {
    expect(texts(["a", null, Buffer.from("b"), 3])).toEqual(["a", "b"]);
    expect(texts("a")).toEqual([]);
    expect(texts(null)).toEqual([]);
  });

  test("parsed reads JSON from either kind of text, and nil as nothing", () => {
    expect(parsed(`{"a":[1,"x"]}`)).toEqual({ a: [1, "x"] });
    expect(parsed(Buffer.from(`{"a":null}`))).toEqual({ a: null });
    expect(parsed(null)).toBeUndefined();
  });
});

describe("what the store writes", () => {
  const entry = { at: "2026-12-07T00:00:00.000Z", callId: "c", reason: "r", notification: { a: 1 } };

  test("an unmatched notification is kept as its JSON", () => {
    expect(JSON.parse(serialise(entry))).toEqual(entry);
  });

  test("one nested deeper than JSON can follow is kept as a note of what it was, with the rest of its entry", () => {
    let deep: unknown = {};
    for (let depth = 0; depth < 200_000; depth++) deep = { deep };
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    expect(JSON.parse(serialise({ ...entry, notification: deep }))).toEqual({
      ...entry,
      notification: "(a notification nested too deeply to store as JSON)",
    });
  });

  test("an inbox outlives its instance's last sign of life by ten heartbeats, and by a minute at least", () => {
    expect(inboxLifetime(3_000)).toBe(60_000);
    expect(inboxLifetime(6_000)).toBe(60_000);
    expect(inboxLifetime(6_001)).toBe(60_010);
  });

  test("a write's token is 64 random bits in hex", () => {
    const tokens = new Set(Array.from({ length: 1000 }, writeToken));
    expect(tokens.size).toBe(1000);
    for (const token of tokens) expect(token).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe.skipIf(skipRedisTests)("scripts on a real server", () => {
  let server: RedisServer;
  let cluster: RedisCluster;
  let replicated: RedisCluster;
  const clients: Array<{ destroy(): unknown }> = [];
  beforeAll(async () => {
    [server, cluster, replicated] = await Promise.all([
      startRedis(),
      startRedisCluster(),
      startRedisCluster({ replicasPerPrimary: 1 }),
    ]);
  });
  afterAll(async () => {
    for (const client of clients) client.destroy();
    await Promise.all([server?.stop(), cluster?.stop(), replicated?.stop()]);
  });

  async function connected<Client extends AnyRedisConnection & { connect(): Promise<unknown> }>(client: Client) {
    clients.push(client);
    await client.connect();
    return client;
  }

  /** The calls of EVAL and EVALSHA the server has run, from INFO commandstats. */
  async function evals(node: RedisServer) {
    const stats = await node.command("INFO", "commandstats");
    const calls = (name: string) => Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
    return { eval: calls("eval"), evalsha: calls("evalsha") };
  }

  // Answers with what it was given, so that the test sees the keys and arguments arrive in their places.
  const echo = new Script("return {#KEYS, #ARGV, KEYS[1], KEYS[2], ARGV[1], ARGV[2]}");

  test("a script the server lacks is sent once as text, then run by its digest", async () => {
    const client = await connected(createClient({ url: server.url }));
    await server.command("SCRIPT", "FLUSH");
    const before = await evals(server);
    const send = senderOf(client);
    const reply = await echo.run(send, ["{t}a", "{t}b"], ["x", "y"]);
    expect(reply).toEqual([2, 2, "{t}a", "{t}b", "x", "y"]);
    expect(await echo.run(send, ["{t}a"], [])).toEqual([1, 0, "{t}a"]);
    const after = await evals(server);
    expect({ eval: after.eval - before.eval, evalsha: after.evalsha - before.evalsha }).toEqual({
      eval: 1,
      evalsha: 2,
    });
  });

  test("a script's own error is its caller's, not sent again as text", async () => {
    const client = await connected(createClient({ url: server.url }));
    const failing = new Script("return redis.error_reply('WRONG the script says no')");
    await server.command("SCRIPT", "LOAD", failing.source);
    const before = await evals(server);
    await expect(failing.run(senderOf(client), ["{t}a"], [])).rejects.toThrow("WRONG the script says no");
    const after = await evals(server);
    expect({ eval: after.eval - before.eval, evalsha: after.evalsha - before.evalsha }).toEqual({
      eval: 0,
      evalsha: 1,
    });
  });

  test("on a cluster, each script goes to the primary that serves its first key", async () => {
    const client = await connected(createCluster({ rootNodes: [...cluster.rootNodes] }));
    const send = senderOf(client);
    const runs = async (node: RedisServer) => {
      const counted = await evals(node);
      return counted.eval + counted.evalsha;
    };
    for (const tag of ["a", "b", "c", "d", "e", "f"]) {
      const key = `{${tag}}key`;
      const serving = await cluster.nodeFor(key);
      const before = await Promise.all(cluster.nodes.map(runs));
      expect(await echo.run(send, [key], [tag])).toEqual([1, 1, key]);
      const after = await Promise.all(cluster.nodes.map(runs));
      const ran = cluster.nodes.filter((_, index) => (after[index] as number) > (before[index] as number));
      expect(ran).toEqual([serving]);
    }
  });

  test("on a cluster client that reads from replicas, every script still goes to a primary, where it may write", async () => {
    // Managed clusters have replicas, and a client made with useReplicas sends what it is told is read-only to them,
    // in turn with the primary; a replica refuses a script's writes.
    const client = await connected(createCluster({ rootNodes: [...replicated.rootNodes], useReplicas: true }));
    const gets = async (node: RedisServer) =>
      Number(/cmdstat_get:calls=(\d+)/.exec(await node.command("INFO", "commandstats"))?.[1] ?? 0);
    const sum = (counts: readonly number[]) => counts.reduce((total, count) => total + count, 0);
    const write = new Script("redis.call('SET', KEYS[1], ARGV[1]) return redis.call('GET', KEYS[1])");
    const send = senderOf(client);
    for (const tag of ["a", "b", "c", "d", "e", "f"]) {
      const key = `{${tag}}written`;
      for (const value of ["first", "second"]) {
        expect(await write.run(send, [key], [`${tag}-${value}`])).toBe(`${tag}-${value}`);
        expect(await (await replicated.nodeFor(key)).command("GET", key)).toBe(`${tag}-${value}`);
      }
    }
    // The client does read from the replicas: what it is told is read-only reaches them (a slot's primary and its
    // replica in turn).
    const before = sum(await Promise.all(replicated.replicas.map(gets)));
    for (const tag of ["a", "a", "b", "b"])
      await client.sendCommand(`{${tag}}written`, true, ["GET", `{${tag}}written`]);
    expect(replicated.replicas).toHaveLength(3);
    expect(sum(await Promise.all(replicated.replicas.map(gets)))).toBeGreaterThan(before);
  });

  test("every script of the store compiles as loaded, its includes put in, and is known by its digest", async () => {
    // One script for each file of the scripts' folder, the shared functions of lib/ aside.
    const files = readdirSync(new URL("../src/redis/lua/", import.meta.url)).filter((file) => file.endsWith(".lua"));
    const fileOf = (source: string) => files.find((file) => source === loadScript(file.slice(0, -4)).source);
    expect(
      Object.values(scripts)
        .map(({ source }) => fileOf(source))
        .sort(),
    ).toEqual(files.sort());
    for (const [name, script] of Object.entries(scripts)) {
      expect(script.source, name).not.toMatch(/--@include/);
      const digest = await server.command("SCRIPT", "LOAD", script.source);
      expect(digest, name).toBe(createHash("sha1").update(script.source).digest("hex"));
    }
    // An include is put in where its line was: the shared functions are in the script that names them.
    const library = readFileSync(new URL("../src/redis/lua/lib/waiting.lua", import.meta.url), "utf8");
    expect(loadScript("put-operation").source).toContain(library);
  });
});
