// The proof that the sample bot runs as several instances behind a load balancer: real bot processes, a real
// redis-server or a real three-primary Redis Cluster, a simulated Graph whose notifications the round-robin proxy spreads over every instance.

import {
  type RedisCluster,
  type RedisServer,
  skipRedisTests,
  startRedis,
  startRedisCluster,
} from "@graph-invite/test-support/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DriveOptions, drive, waves } from "../src/driver.js";
import { type ScaleOut, startScaleOut } from "../src/harness.js";
import { describeVerdict, type JudgeOptions, judge, type Verdict } from "../src/verdict.js";

/** Printed with every run, so that a failure can be repeated with the same instances and answer times. */
const seed = Number(process.env["SCALE_OUT_SEED"] ?? Date.now() % 100_000);
const invitesPerWave = 30;

function holds(title: string, verdict: Verdict): void {
  process.stdout.write(`${describeVerdict(`${title} (seed ${seed})`, verdict).join("\n")}\n`);
  expect(verdict.invites).toBe(waves.length * invitesPerWave);
  expect(verdict.lost).toEqual([]);
  expect(verdict.stuck).toEqual([]);
  expect(verdict.wrong).toEqual([]);
  expect(verdict.duplicateRosterEvents).toEqual([]);
  expect(verdict.missingJoins).toEqual([]);
  expect(verdict.late).toEqual([]);
  // Latency is measured on the invites that were not interrupted: most of them.
  expect(verdict.latencies.length).toBeGreaterThan(verdict.invites / 2);
}

async function proveOn(
  world: ScaleOut,
  title: string,
  options: Partial<DriveOptions> = {},
  judging: JudgeOptions = {},
): Promise<Verdict> {
  // Not judged: each bot fetches the simulator's signing keys and its own token at its first notification and its
  // first invite, and compiles its code paths; the proof is about instances that are up, not about their first second.
  await drive(world, { waves: [{ name: "warm-up" }], invitesPerWave: 3 * world.bots.length, seed });
  const result = await drive(world, { waves, invitesPerWave, seed, ...options });
  const verdict = await judge(world, result, judging);
  holds(title, verdict);
  return verdict;
}

describe("one instance on its MemoryStore, behind the proxy", () => {
  let world: ScaleOut | undefined;
  beforeAll(async () => {
    world = await startScaleOut({ instances: 1 });
  });
  afterAll(async () => {
    await world?.close();
  });

  it("brings every invite to its outcome, with no duplicate roster event, woken by Graph's notification rather than the re-read", async () => {
    if (world === undefined) throw new Error("the world did not start");
    await proveOn(world, "1 instance, MemoryStore");
    expect(world.proxy.stats.failed).toBe(0);
  });
});

/** Where the instances' store lives: one server, or a cluster of three primaries. */
interface Shared {
  readonly target: RedisServer | RedisCluster;
  /** The server holding the store's keys (the sample bot's default prefix): the only one, or a cluster primary. */
  holding(): Promise<RedisServer>;
  close(): Promise<void>;
}

const backends: Array<{ label: string; start: (persistent: boolean) => Promise<Shared> }> = [
  {
    label: "one Redis",
    async start(persistent) {
      const redis = await startRedis({ persistent });
      return { target: redis, holding: async () => redis, close: () => redis.stop() };
    },
  },
  {
    label: "a three-primary Redis Cluster",
    async start(persistent) {
      const cluster = await startRedisCluster({ persistent });
      return { target: cluster, holding: () => cluster.nodeFor("{graph-invite:}"), close: () => cluster.stop() };
    },
  },
];

describe.skipIf(skipRedisTests).each(backends)("three instances on $label, behind the proxy", ({ label, start }) => {
  const started: Array<{ close(): Promise<void> }> = [];
  afterAll(async () => {
    await Promise.allSettled(started.splice(0).map((part) => part.close()));
  });
  const world = async (shared: Shared, inviteTimeoutMs?: number) => {
    const scaleOut = await startScaleOut({
      instances: 3,
      redis: shared.target,
      ...(inviteTimeoutMs !== undefined && { inviteTimeoutMs }),
    });
    started.push(scaleOut);
    return scaleOut;
  };
  const redisServer = async (persistent = false) => {
    const shared = await start(persistent);
    started.push(shared);
    return shared;
  };

  it("brings every invite to its outcome on the instance that started it, with notifications on any", async () => {
    const shared = await redisServer();
    const scaleOut = await world(shared);
    await proveOn(scaleOut, `3 instances, ${label}`);
    // The state is in Redis, not in the instances.
    expect(Number(await (await shared.holding()).command("DBSIZE"))).toBeGreaterThan(0);
  });

  it("loses nothing when an instance is killed with SIGKILL mid-run and restarted", async () => {
    const shared = await redisServer();
    // An invite registered but never sent before the kill ends at its stored deadline: keep that short.
    const scaleOut = await world(shared, 5000);
    const victim = scaleOut.bots[1];
    if (victim === undefined) throw new Error("no second instance");
    const verdict = await proveOn(
      scaleOut,
      `3 instances on ${label}, one killed and restarted`,
      {
        disruption: {
          name: "SIGKILL",
          wave: 1,
          afterMs: 100,
          async run() {
            await victim.kill();
            await victim.restart();
          },
        },
      },
      // Notifications the killed instance had answered 202 are taken over by another once its heartbeat lapses.
      { killed: 1 },
    );
    expect(verdict.reattached).toBeGreaterThan(0);
  });

  // On the cluster: the primary that holds the store, restarted from its append-only file.
  it("loses nothing when the Redis holding the store restarts mid-run from its append-only file", async () => {
    const shared = await redisServer(true);
    const scaleOut = await world(shared);
    const holding = await shared.holding();
    await proveOn(
      scaleOut,
      `3 instances on ${label}, the Redis holding the store restarted`,
      { disruption: { name: "Redis restart", wave: 2, afterMs: 100, run: () => holding.restart() } },
      // A terminal notification sent while Redis is down cannot be stored before it is back: its outcome is judged
      // from then.
      { outage: true },
    );
  });
});
