#!/usr/bin/env node
// `pnpm demo:instances`: the sample bot as a company runs it. Three instances share one Redis behind a load balancer
// (a round-robin proxy on loopback), a simulated Graph spreads each call's notifications over all of them, and one
// instance is killed with SIGKILL and restarted mid-run. Each invite is started on a random instance; the table says
// which instances took its notifications and how soon the instance that started it had the outcome.
import { startRedis } from "@graph-invite/test-support/redis";
import { describeVerdict, drive, judge, startScaleOut, waves } from "../dist/index.js";

const print = (line = "") => process.stdout.write(`${line}\n`);
const seed = Number(process.env.SCALE_OUT_SEED ?? Date.now() % 100_000);

print("Starting redis-server (appendonly, in a temporary folder), a simulated Graph, a round-robin proxy and three");
print("sample-bot processes (GRAPH_INVITE_REDIS_URL set to that Redis)...");
const redis = await startRedis({ persistent: true });
let world;
try {
  world = await startScaleOut({ instances: 3, redis, inviteTimeoutMs: 10_000 });
  print(`  Redis ${redis.url}; load balancer ${world.callbackUri}`);
  for (const bot of world.bots)
    print(`  ${bot.label}: notifications at ${bot.origin}, control API at ${bot.controlUrl}`);
  const victim = world.bots[1];
  print();
  print(
    `${waves.length} waves of 6 concurrent invites (seed ${seed}); ${victim.label} is killed and restarted in wave 2.`,
  );
  const result = await drive(world, {
    waves,
    invitesPerWave: 6,
    seed,
    disruption: {
      name: `SIGKILL ${victim.label}`,
      wave: 1,
      afterMs: 100,
      async run() {
        await victim.kill();
        await victim.restart();
      },
    },
  });
  const verdict = await judge(world, result, { killed: 1 });
  print();
  /** The instances that answered 202 to the call's notifications, as the load balancer routed them. */
  const takenBy = (callId) => {
    const messages = new Set(
      world.simulator
        .deliveries()
        .filter((delivery) => delivery.callId === callId)
        .map((delivery) => delivery.messageId),
    );
    const targets = world.proxy.routed
      .filter((route) => route.status === 202 && messages.has(route.messageId))
      .map((route) => world.bots[route.target]?.label);
    return [...new Set(targets)].sort().join(", ");
  };
  for (const invite of result.invites) {
    const outcome = invite.outcome;
    const code = outcome?.resultInfo?.code === undefined ? "" : ` ${outcome.resultInfo.code}`;
    const how = invite.reattached ? ", re-attached after the kill" : "";
    print(
      `  ${invite.wave.padEnd(24)} ${invite.answer.padEnd(9)} started on ${world.bots[invite.instance]?.label}, ` +
        `notifications taken by ${takenBy(invite.callId)}: ` +
        `${outcome === undefined ? "no outcome" : `${outcome.status}${code}`}${how}`,
    );
  }
  print();
  for (const line of describeVerdict("Three instances, one Redis", verdict)) print(line);
  const failed = [verdict.lost, verdict.stuck, verdict.wrong, verdict.duplicateRosterEvents, verdict.missingJoins];
  if (failed.some((list) => list.length > 0)) process.exitCode = 1;
} finally {
  await world?.close();
  await redis.stop();
}
