// What sharing one Redis costs the sample bot, and what more instances give back: notifications and invite outcomes
// per second for 1, 2 and 3 bot processes on one Redis, against one process on its MemoryStore, in one run; the bots'
// CPU time per notification; and the Redis round trips per notification: the commands each bot's store sent (GET
// /stats), over the whole run and over notifications posted alone (target: at most 3; exit status 1 above it),
// beside what the server counted (INFO commandstats).
//
// Each row is a fresh world from tests/scale-out's harness: the simulator, the round-robin proxy and the driver in
// this process, each bot in its own process, every call's notifications spread over the bots by the proxy.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeVerdict, drive, judge, percentile, startScaleOut } from "@graph-invite/scale-out-tests";
import { deltaRosterBody } from "@graph-invite/test-support/notifications";
import { startRedis, startRedisCluster } from "@graph-invite/test-support/redis";
import { print, printTable } from "../report.mjs";
import { measureSteps, printSteps } from "./steps.mjs";

const invites = Number(process.env.SCALE_OUT_INVITES ?? 300);
const warmUpInvites = 30;
const maxRoundTripsPerNotification = 3;
/** Server commands per notification (INFO commandstats, script internals included). */
const maxServerCommandsPerNotification = 12;
/** Bot CPU per notification with 3 instances, against 1 on the same Redis. */
const maxBotCpuRatio = 1.15;
const seed = 1;
/**
 * Each row is measured this many times, the rows of one backend in turn each round, and reported from its median
 * round by bot CPU: on two shared cores one row's CPU moves by a fifth from run to run, more than the ratio's margin.
 */
const rounds = Number(process.env.SCALE_OUT_ROUNDS ?? 3);
/**
 * With `--profile`, a pass after the measured rounds runs the 3-instance fleet and its control on one Redis again
 * with every bot under `--cpu-prof`, each row's profiles in a folder of its own: what the fleet pays beyond the control
 * shows there. The pass's figures are not reported: profiling costs CPU of its own.
 */
const profileDir = process.argv.includes("--profile")
  ? mkdtempSync(join(tmpdir(), "graph-invite-scale-out-profile-"))
  : undefined;
const profiled = (folder) => ["--cpu-prof", `--cpu-prof-dir=${join(profileDir ?? "", folder)}`];

/** `INFO commandstats` as calls per command, such as `{ get: 120, evalsha: 60 }`, summed over the servers. */
async function commandCalls(servers) {
  const calls = {};
  for (const server of servers) {
    for (const line of (await server.command("INFO", "commandstats")).split("\n")) {
      const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
      if (match !== null) calls[match[1]] = (calls[match[1]] ?? 0) + Number(match[2]);
    }
  }
  return calls;
}

/** The servers' CPU time so far (INFO cpu: used_cpu_sys + used_cpu_user), in µs, summed. */
async function redisCpuMicros(servers) {
  let total = 0;
  for (const server of servers) {
    const info = await server.command("INFO", "cpu");
    for (const field of ["used_cpu_sys", "used_cpu_user"]) {
      total += Number(new RegExp(`^${field}:([\\d.]+)`, "m").exec(info)?.[1] ?? 0) * 1e6;
    }
  }
  return total;
}

const cpuMicros = (usage) => usage.user + usage.system;

/** The bots' CPU µs and the notifications they took between two readings of their `GET /stats`, one per bot. */
function botsDelta(before, after) {
  let botCpu = 0;
  let received = 0;
  after.forEach((now, index) => {
    botCpu += cpuMicros(now.cpuUsage) - cpuMicros(before[index].cpuUsage);
    received += now.notifications - before[index].notifications;
  });
  return { botCpu, received };
}

/** How many signed roster notifications the processing-only measure posts, 20 at a time. */
const directNotifications = 300;

/** A participant who joins a call. */
function newcomer(sequence) {
  const id = `participant-${sequence}`;
  return {
    "@odata.type": "#microsoft.graph.participant",
    id,
    info: { identity: { user: { id, displayName: id } } },
    isInLobby: false,
    isMuted: false,
  };
}

/**
 * Redis round trips per notification, with no invite in the count: signed roster notifications posted through the
 * load balancer, each to a call of its own, and the bots' store commands counted until they stop changing.
 */
async function processingRoundTrips(world) {
  const sent = async () =>
    (await Promise.all(world.bots.map((bot) => bot.control.stats()))).map((now) => now.redisCommands ?? 0);
  const since = (before, after) => after.reduce((sum, count, index) => sum + count - before[index], 0);
  // What the instances send when nothing happens (each says it is alive and looks for deliveries to take over, once
  // a second), measured first so that it can be told apart from what the notifications cost.
  const idleFrom = await sent();
  const idleStarted = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const idlePerMs = since(idleFrom, await sent()) / (performance.now() - idleStarted);
  const started = performance.now();
  const before = await Promise.all(world.bots.map((bot) => bot.control.stats()));
  const token = await world.simulator.signNotificationToken();
  for (let sent = 0; sent < directNotifications; sent += 20) {
    const batch = Array.from({ length: Math.min(20, directNotifications - sent) }, (_, index) => sent + index + 1);
    const answers = await Promise.all(
      batch.map((sequence) =>
        fetch(world.callbackUri, {
          method: "POST",
          headers: {
            Authorization: `Bearer ${token}`,
            "Content-Type": "application/json",
            "X-Microsoft-Skype-Message-Id": crypto.randomUUID(),
          },
          body: deltaRosterBody(crypto.randomUUID(), sequence, [newcomer(sequence)]),
        }),
      ),
    );
    if (answers.some((answer) => answer.status !== 202)) throw new Error("a roster notification was not accepted");
  }
  const commands = async () =>
    (await Promise.all(world.bots.map((bot) => bot.control.stats()))).reduce(
      (sum, now, index) => sum + (now.redisCommands ?? 0) - (before[index].redisCommands ?? 0),
      0,
    );
  // Processing follows the 202; finished deliveries are written in batches a few milliseconds later.
  let last = -1;
  for (let current = await commands(); current !== last; current = await commands()) {
    last = current;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  const background = idlePerMs * (performance.now() - started);
  return { gross: last / directNotifications, net: (last - background) / directNotifications };
}

/** One row: a fresh world, a warm-up wave, then `invites` concurrent invites that the invitee accepts. */
async function measure(label, instances, shared, nodeArguments = []) {
  const redis = shared?.target;
  const servers = shared?.servers ?? [];
  const world = await startScaleOut({ instances, nodeArguments, ...(redis !== undefined && { redis }) });
  try {
    const plain = [{ name: "plain" }];
    // Not measured: the key set fetched, tokens cached, code compiled, connections open.
    await drive(world, { waves: plain, invitesPerWave: warmUpInvites, answers: ["accept"], seed });
    const deliveredBefore = world.simulator.deliveries().filter((delivery) => delivery.outcome === "delivered").length;
    const before = await Promise.all(world.bots.map((bot) => bot.control.stats()));
    for (const server of servers) await server.command("CONFIG", "RESETSTAT");
    const redisCpuBefore = await redisCpuMicros(servers);
    const loadCpuBefore = process.cpuUsage();
    const started = performance.now();
    const result = await drive(world, { waves: plain, invitesPerWave: invites, answers: ["accept"], seed: seed + 1 });
    const elapsedMs = performance.now() - started;
    const loadCpu = cpuMicros(process.cpuUsage(loadCpuBefore));
    const after = await Promise.all(world.bots.map((bot) => bot.control.stats()));
    const calls = redis === undefined ? {} : await commandCalls(servers);
    const redisCpu = (await redisCpuMicros(servers)) - redisCpuBefore;
    const delivered =
      world.simulator.deliveries().filter((delivery) => delivery.outcome === "delivered").length - deliveredBefore;
    const verdict = await judge(world, result, { latencyLimitMs: Number.POSITIVE_INFINITY });
    const processing = redis === undefined ? undefined : await processingRoundTrips(world);
    const { botCpu, received } = botsDelta(before, after);
    const commands = Object.values(calls).reduce((sum, count) => sum + count, 0);
    const roundTrips = after.reduce(
      (sum, now, index) => sum + (now.redisCommands ?? 0) - (before[index].redisCommands ?? 0),
      0,
    );
    return {
      label,
      verdict,
      notificationsPerSecond: delivered / (elapsedMs / 1000),
      outcomesPerSecond: invites / ((result.waveMs[0] ?? elapsedMs) / 1000),
      cpuPerNotification: botCpu / received,
      loadCpuPerNotification: loadCpu / delivered,
      commandsPerNotification: redis === undefined ? undefined : commands / received,
      redisCpuPerNotification: redis === undefined ? undefined : redisCpu / received,
      backend: shared?.kind,
      instances,
      roundTripsPerNotification: redis === undefined ? undefined : roundTrips / received,
      roundTripsPerInvite: redis === undefined ? undefined : roundTrips / invites,
      processingRoundTrips: processing,
      calls,
      received,
      delivered,
    };
  } finally {
    await world.close();
  }
}

/**
 * The control for the fleet's rows: `count` bots on the same backend that share nothing (each its own simulator, proxy
 * and key prefix), each given `invites / count` at once, all driven together. Their CPU per notification is what the
 * same number of busy processes costs on this machine, each with the load one instance of a fleet of `count` has; a
 * fleet of `count` above it is paying for what its instances share.
 */
async function measureSeparate(label, count, shared, nodeArguments = []) {
  const worlds = [];
  try {
    for (let index = 0; index < count; index++) {
      const redisPrefix = `separate-${index}:`;
      worlds.push(await startScaleOut({ instances: 1, redis: shared.target, redisPrefix, nodeArguments }));
    }
    const plain = [{ name: "plain" }];
    const each = (invitesEach, seedOf) =>
      Promise.all(
        worlds.map((world, index) =>
          drive(world, { waves: plain, invitesPerWave: invitesEach, answers: ["accept"], seed: seedOf + index }),
        ),
      );
    await each(Math.ceil(warmUpInvites / count), seed + 100);
    const statsOf = () => Promise.all(worlds.map((world) => world.bots[0].control.stats()));
    const before = await statsOf();
    const results = await each(Math.ceil(invites / count), seed + 200);
    const after = await statsOf();
    const verdicts = await Promise.all(
      worlds.map((world, index) => judge(world, results[index], { latencyLimitMs: Number.POSITIVE_INFINITY })),
    );
    const { botCpu, received } = botsDelta(before, after);
    return { label, verdicts, cpuPerNotification: botCpu / received, backend: shared.kind };
  } finally {
    await Promise.allSettled(worlds.map((world) => world.close()));
  }
}

/** Every round's row, by label, in the order first measured. */
const samples = new Map();
/** Every round's control row (measureSeparate). */
const controls = [];
const failures = [];

async function sample(label, instances, shared) {
  const row = await measure(label, instances, shared);
  if (!samples.has(label)) samples.set(label, []);
  samples.get(label).push(row);
}

/**
 * The rounds of one backend: 1, 2 and 3 instances and the control in turn, each round, each row on an emptied store.
 */
async function measureRounds(shared, name, flush) {
  for (let round = 0; round < rounds; round++) {
    for (const instances of [1, 2, 3]) {
      await flush();
      await sample(`${instances} instance${instances > 1 ? "s" : ""}, ${name}`, instances, shared);
    }
    await flush();
    controls.push(await measureSeparate(`3 separate bots, ${name}`, 3, shared));
  }
}

/** A row's median round by bot CPU, with every round's bot CPU beside it. */
function medianRound(rowsOfLabel) {
  const sorted = [...rowsOfLabel].sort((a, b) => a.cpuPerNotification - b.cpuPerNotification);
  return {
    ...sorted[Math.floor((sorted.length - 1) / 2)],
    cpuRounds: rowsOfLabel.map((row) => row.cpuPerNotification),
  };
}

print(
  `bench/scale-out (Node ${process.version}): ${invites} concurrent invites per row, each accepted within 40 ms ` +
    "(a terminal notification and a roster each), after a warm-up of " +
    `${warmUpInvites}; bots in their own processes behind a round-robin proxy; each row measured in ${rounds} ` +
    "rounds and shown from its median round by bot CPU",
);
print();
for (let round = 0; round < rounds; round++) await sample("1 instance, MemoryStore (baseline)", 1);
const redis = await startRedis();
try {
  // Where the commands go, step by step, before the rows measure how many there are under load.
  printSteps(await measureSteps(redis));
  const shared = { kind: "one Redis", target: redis, servers: [redis] };
  await measureRounds(shared, "one Redis", () => redis.command("FLUSHALL"));
  if (profileDir !== undefined) {
    await redis.command("FLUSHALL");
    await measure("3 instances, one Redis (profiled)", 3, shared, profiled("fleet"));
    await redis.command("FLUSHALL");
    await measureSeparate("3 separate bots, one Redis (profiled)", 3, shared, profiled("separate"));
    print(
      `CPU profiles of the bots, 3 instances and 3 separate bots on one Redis: ${profileDir}/fleet, ${profileDir}/separate`,
    );
    print();
  }
} finally {
  await redis.stop();
}
const cluster = await startRedisCluster();
try {
  const shared = { kind: "cluster", target: cluster, servers: cluster.nodes };
  await measureRounds(shared, "3-primary cluster", () =>
    Promise.all(cluster.nodes.map((node) => node.command("FLUSHALL"))),
  );
} finally {
  await cluster.stop();
}
const rows = [...samples.values()].map(medianRound);

const [baseline] = rows;
const fixed = (value, digits = 0) => (value === undefined ? "n/a" : value.toFixed(digits));
printTable([
  [
    "bots",
    "notifications/s",
    "ratio",
    "outcomes/s",
    "ratio",
    "bot CPU µs/notification",
    "driver+simulator CPU µs/notification",
    "Redis round trips/notification",
    "per invite",
    "per notification alone",
    "server commands/notification",
    "Redis CPU µs/notification",
    "wake-up p50 ms",
    "p99 ms",
  ],
  ...rows.map((row) => [
    row.label,
    fixed(row.notificationsPerSecond),
    `${fixed(row.notificationsPerSecond / baseline.notificationsPerSecond, 2)}×`,
    fixed(row.outcomesPerSecond),
    `${fixed(row.outcomesPerSecond / baseline.outcomesPerSecond, 2)}×`,
    fixed(row.cpuPerNotification),
    fixed(row.loadCpuPerNotification),
    fixed(row.roundTripsPerNotification, 2),
    fixed(row.roundTripsPerInvite, 1),
    row.processingRoundTrips === undefined
      ? "n/a"
      : `${fixed(row.processingRoundTrips.net, 2)} (${fixed(row.processingRoundTrips.gross, 2)})`,
    fixed(row.commandsPerNotification, 2),
    fixed(row.redisCpuPerNotification),
    fixed(percentile(row.verdict.latencies, 0.5)),
    fixed(percentile(row.verdict.latencies, 0.99)),
  ]),
]);
print(
  "notifications/s: notifications the bots answered 2xx over the time from the first invite until the simulator had " +
    "delivered everything. outcomes/s: invites over the time until the last outcome. Ratios against the baseline " +
    "row. CPU: process.cpuUsage() of the bot processes (invites included) over the notifications they took; the " +
    "driver, simulator and proxy share this process. Redis round trips: the commands the bots' stores sent, over the " +
    "notifications (invites included; the change feed's blocking reads, on a connection of their own, are not " +
    "counted); per invite: the same over the invites, each with its two notifications; per notification alone: " +
    `${directNotifications} signed roster notifications posted through the load balancer with no invite, the ` +
    "target of at most 3, with what the instances send when idle (heartbeat, take-over look) taken off, and in " +
    "brackets with it. Server commands: INFO commandstats calls over the notifications, feed reads and the commands scripts " +
    "run included.",
);
for (const row of rows) {
  if (row.commandsPerNotification === undefined) continue;
  const top = Object.entries(row.calls)
    .sort(([, a], [, b]) => b - a)
    .map(([name, count]) => `${name} ${(count / row.received).toFixed(2)}`)
    .join(", ");
  print(`  ${row.label}: server commands per notification: ${top}`);
  const { net } = row.processingRoundTrips;
  if (net > maxRoundTripsPerNotification) {
    failures.push(
      `${row.label}: ${net.toFixed(2)} Redis round trips per notification, above ` +
        `${maxRoundTripsPerNotification} by ${(net - maxRoundTripsPerNotification).toFixed(2)}`,
    );
  }
}
print();

// Bot CPU per notification against one instance on the same Redis: flat is the target. Beside it, against the same
// number of busy processes that share nothing (the control rows): what is left there is the fleet's own cost.
const ratioRows = [];
for (const backend of ["one Redis", "cluster"]) {
  const [one, ...more] = rows.filter((row) => row.backend === backend);
  if (one === undefined) continue;
  const controlRounds = controls.filter((row) => row.backend === backend);
  const control = controlRounds.length === 0 ? undefined : medianRound(controlRounds);
  for (const row of [one, ...more]) {
    const ratio = row.cpuPerNotification / one.cpuPerNotification;
    const againstControl =
      row.instances === 3 && control !== undefined
        ? `${fixed(row.cpuPerNotification / control.cpuPerNotification, 2)}×`
        : "";
    ratioRows.push([
      row.label,
      fixed(row.cpuPerNotification),
      `${fixed(ratio, 2)}×`,
      againstControl,
      row.cpuRounds.map((cpu) => fixed(cpu)).join(" "),
    ]);
    if (row.instances === 3 && ratio > maxBotCpuRatio) {
      failures.push(
        `${row.label}: bot CPU per notification ${fixed(ratio, 2)}× one instance's, above ${maxBotCpuRatio}×`,
      );
    }
  }
  if (control !== undefined) {
    ratioRows.push([
      `${control.label} (control)`,
      fixed(control.cpuPerNotification),
      `${fixed(control.cpuPerNotification / one.cpuPerNotification, 2)}×`,
      "1.00×",
      control.cpuRounds.map((cpu) => fixed(cpu)).join(" "),
    ]);
  }
}
printTable([
  ["bots", "bot CPU µs/notification (median round)", "against 1 instance", "against 3 separate bots", "every round"],
  ...ratioRows,
]);
print(
  "3 separate bots: three single-instance bots on the same backend that share nothing (a simulator, a proxy and a " +
    "key prefix each), each given a third of the invites at once: as many busy processes as the 3-instance fleet, " +
    "each with the load one of its instances has. The fleet's CPU over theirs is what sharing costs; theirs over one " +
    "instance's is what this machine charges for more processes than cores.",
);
for (const row of rows) {
  if (row.commandsPerNotification !== undefined && row.commandsPerNotification > maxServerCommandsPerNotification) {
    failures.push(
      `${row.label}: ${fixed(row.commandsPerNotification, 2)} server commands per notification, above ` +
        `${maxServerCommandsPerNotification}`,
    );
  }
}

// A projection, not a measurement: this machine has two cores, so a fleet's throughput cannot be measured here.
// Each instance is given a core of its own at the bot CPU per notification measured with 3 instances; each Redis
// primary a core at the Redis CPU per notification measured with 3 instances. The store's keys share one hash tag
// (one slot), so one bot's store is served by one primary however many the cluster has: more primaries serve more
// bots (one prefix each), not more of one bot.
const projected = (backend) => rows.find((row) => row.backend === backend && row.instances === 3);
const single = projected("one Redis");
const clustered = projected("cluster");
if (single !== undefined && clustered !== undefined) {
  const capacity = (row, instances) => {
    const bots = (instances * 1e6) / row.cpuPerNotification;
    const primary = 1e6 / row.redisCpuPerNotification;
    return { rate: Math.min(bots, primary), limit: bots < primary ? "bot CPU" : "Redis CPU (one primary)" };
  };
  print(
    "PROJECTION (not measured): notifications per second from the costs above, a core per instance and per primary",
  );
  printTable([
    ["instances", "1 primary", "limited by", "3 primaries (one bot's keys on one)", "limited by"],
    ...[1, 3, 10, 30].map((instances) => {
      const one = capacity(single, instances);
      const three = capacity(clustered, instances);
      return [String(instances), fixed(one.rate), one.limit, fixed(three.rate), three.limit];
    }),
  ]);
}
const controlVerdicts = controls.flatMap((row) => row.verdicts.map((verdict) => ({ label: row.label, verdict })));
for (const row of [...[...samples.values()].flat(), ...controlVerdicts]) {
  const { verdict } = row;
  if (verdict.lost.length + verdict.stuck.length + verdict.wrong.length + verdict.duplicateRosterEvents.length > 0) {
    failures.push(describeVerdict(row.label, verdict).join("\n"));
  }
}
for (const failure of failures) process.stderr.write(`TARGET MISSED: ${failure}\n`);
process.exitCode = failures.length === 0 ? 0 : 1;
