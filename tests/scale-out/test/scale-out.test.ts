// The proof that the sample bot runs as several instances behind a load balancer: real bot processes, a real
// redis-server, a simulated Graph whose notifications the round-robin proxy spreads over every instance.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisServer, skipRedisTests, startRedis } from "../../../test-support/redis.js";
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

  it("brings every invite to its outcome, with no duplicate roster event, within 1 s of Graph's notification", async () => {
    if (world === undefined) throw new Error("the world did not start");
    await proveOn(world, "1 instance, MemoryStore");
    expect(world.proxy.stats.failed).toBe(0);
  });
});

describe.skipIf(skipRedisTests)("three instances on one Redis, behind the proxy", () => {
  const started: Array<{ close(): Promise<void> }> = [];
  afterAll(async () => {
    await Promise.allSettled(started.splice(0).map((part) => part.close()));
  });
  const world = async (redis: RedisServer, inviteTimeoutMs?: number) => {
    const scaleOut = await startScaleOut({
      instances: 3,
      redis,
      ...(inviteTimeoutMs !== undefined && { inviteTimeoutMs }),
    });
    started.push(scaleOut);
    return scaleOut;
  };
  const redisServer = async (persistent = false) => {
    const redis = await startRedis({ persistent });
    started.push({ close: () => redis.stop() });
    return redis;
  };

  it("brings every invite to its outcome on the instance that started it, with notifications on any", async () => {
    const redis = await redisServer();
    const scaleOut = await world(redis);
    await proveOn(scaleOut, "3 instances, one Redis");
    // The state is in Redis, not in the instances.
    expect(Number(await redis.command("DBSIZE"))).toBeGreaterThan(0);
  });

  it("loses nothing when an instance is killed with SIGKILL mid-run and restarted", async () => {
    const redis = await redisServer();
    // An invite registered but never sent before the kill ends at its stored deadline: keep that short.
    const scaleOut = await world(redis, 5000);
    const victim = scaleOut.bots[1];
    if (victim === undefined) throw new Error("no second instance");
    const verdict = await proveOn(
      scaleOut,
      "3 instances, one killed and restarted",
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

  it("loses nothing when Redis restarts mid-run", async () => {
    const redis = await redisServer(true);
    const scaleOut = await world(redis);
    await proveOn(
      scaleOut,
      "3 instances, Redis restarted",
      { disruption: { name: "Redis restart", wave: 2, afterMs: 100, run: () => redis.restart() } },
      // A terminal notification sent while Redis is down cannot be stored before it is back: its outcome is judged
      // from then.
      { outage: true },
    );
  });
});
