// Notifications per second the bot accepts on loopback, with authentication and validation, against a bare
// node:http server that answers 202 to the same requests, in the same run. Target: the bot at least 0.5x the bare
// server, with no non-2xx answer. Also reports p50 and p99 latency, and the CPU time each server spends per request.
//
// Every request is a delivery as Graph sends it: POST /api/calls with a bearer token the simulator signed (RS256,
// its key published through OpenID metadata), Content-Type application/json, one of the spec's five roster
// notifications (three calls), and a message id of its own (see harness.mjs).
//
// Each server runs in a child process of its own and autocannon runs in this one, so that the load generator and
// the servers do not share an event loop. The two servers take turns in short rounds, in swapped order each round,
// and the ratio is the median of the rounds' ratios: a burst of other work on a shared machine then spoils a round
// or two, which the median discards, rather than one server's whole measurement (as in ../alternating.mjs).
//
// `node ingest.bench.mjs --profile` also writes a CPU profile of the bot's process (open it in Chrome DevTools), and
// breakdown.mjs measures what each part of the bot's work costs.
// Environment: INGEST_ROUNDS (default 7), INGEST_SECONDS per round (default 3), INGEST_CONNECTIONS (default 10).
import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { median } from "../alternating.mjs";
import { print, printTable } from "../report.mjs";
import { alternate, forkServer, load, path, setting, setUp } from "./harness.mjs";

const target = 0.5;
const rounds = setting("INGEST_ROUNDS", 7);
const seconds = setting("INGEST_SECONDS", 3);
const warmupSeconds = 2;
const profileDir = process.argv.includes("--profile")
  ? mkdtempSync(join(tmpdir(), "graph-invite-ingest-profile-"))
  : undefined;

/**
 * Requests that show that the bot really authenticates, parses and dedupes before the load: a delivery is taken, the
 * same delivery again is a duplicate, and a request with no token, or with a body that is no notification, is refused.
 */
async function checkServers(bare, bot, [request]) {
  const post = (server, headers, body) => fetch(`${server.url}${path}`, { method: "POST", headers, body });
  const headers = { ...request.headers, "X-Microsoft-Skype-Message-Id": randomUUID() };
  const answers = [
    ["bare, a delivery", 202, await post(bare, headers, request.body)],
    ["bot, a delivery", 202, await post(bot, headers, request.body)],
    ["bot, the same delivery again", 202, await post(bot, headers, request.body)],
    ["bot, no token", 401, await post(bot, { "Content-Type": "application/json" }, request.body)],
    ["bot, not a notification", 400, await post(bot, { ...headers, "X-Microsoft-Skype-Message-Id": "x" }, "{}")],
  ];
  const wrong = answers.filter(([, expected, response]) => response.status !== expected);
  if (wrong.length > 0) {
    const found = wrong.map(([name, expected, response]) => `${name}: ${response.status}, not ${expected}`);
    throw new Error(`the servers do not answer as expected: ${found.join("; ")}`);
  }
  const stats = await bot.stats();
  if (stats.delivered !== 1 || stats.duplicates !== 1) throw new Error(`unexpected counts: ${JSON.stringify(stats)}`);
  return stats;
}

/** Whatever says the bot did less than its whole work for a request, or failed one. */
function problems(results, checked, final) {
  const sum = (field) => results.reduce((total, result) => total + result.bare[field] + result.bot[field], 0);
  const found = [];
  if (sum("non2xx") > 0) found.push(`${sum("non2xx")} responses were not 2xx`);
  if (sum("errors") > 0) found.push(`${sum("errors")} requests failed or timed out`);
  if (final.duplicates !== checked.duplicates) found.push("the bot took some requests for duplicates");
  if (JSON.stringify(final.refused) !== JSON.stringify(checked.refused)) {
    found.push(`the bot refused some requests: ${JSON.stringify(final.refused)}`);
  }
  if (final.errors > 0) found.push(`the bot failed ${final.errors} times, first: ${final.firstError}`);
  if (final.unmatched > 0) found.push(`the bot could not match ${final.unmatched} notifications`);
  const answered = results.reduce((total, result) => total + result.bot.ok, 0);
  if (final.delivered - checked.delivered < answered) {
    found.push(`the bot answered ${answered} requests with 2xx but accepted fewer deliveries`);
  }
  return found;
}

const ms = (value) => value.toFixed(2);

function report(results, final) {
  printTable([
    ["round", "bare req/s", "bot req/s", "bot/bare", "bare p50 / p99 ms", "bot p50 / p99 ms", "CPU us/req bare / bot"],
    ...results.map(({ first, bare, bot }, index) => [
      `${index + 1} (${first} first)`,
      bare.perSecond.toFixed(0),
      bot.perSecond.toFixed(0),
      `${(bot.perSecond / bare.perSecond).toFixed(2)}x`,
      `${ms(bare.p50)} / ${ms(bare.p99)}`,
      `${ms(bot.p50)} / ${ms(bot.p99)}`,
      `${bare.cpuUsPerRequest.toFixed(0)} / ${bot.cpuUsPerRequest.toFixed(0)}`,
    ]),
  ]);
  const of = (kind, field) => median(results.map((result) => result[kind][field]));
  print(
    `medians of ${results.length} rounds: bare ${of("bare", "perSecond").toFixed(0)} req/s, bot ` +
      `${of("bot", "perSecond").toFixed(0)} req/s; CPU time per request (all threads of the server's process): ` +
      `bare ${of("bare", "cpuUsPerRequest").toFixed(0)} us, bot ${of("bot", "cpuUsPerRequest").toFixed(0)} us`,
  );
  print(
    `bot: ${final.delivered} deliveries accepted and processed (warm-up included), ${final.duplicates} duplicate ` +
      `(the check's), ${final.errors} errors, ${final.aborted} requests cut off at the end of a load, ` +
      `${final.unmatched} unmatched; backlog after a round drained in at most ` +
      `${Math.max(...results.map((result) => result.bot.drainMs)).toFixed(1)} ms; heap ${final.heapMiB.toFixed(0)} ` +
      `MiB; roster sizes ${Object.values(final.rosters).join(", ")}`,
  );
  if (profileDir !== undefined) print(`CPU profile of the bot's process: ${profileDir}`);
  print();
  const ratio = median(results.map((result) => result.bot.perSecond / result.bare.perSecond));
  print(
    `ingest: bot ${ratio.toFixed(2)}x the bare server (target >= ${target}x), p50 ${ms(of("bot", "p50"))} ms / ` +
      `p99 ${ms(of("bot", "p99"))} ms (bare p50 ${ms(of("bare", "p50"))} / p99 ${ms(of("bare", "p99"))})`,
  );
  return ratio;
}

const { sim, bodies, callIds, requests, config } = await setUp();
const profileArgs = profileDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${profileDir}`];
const [bare, bot] = await Promise.all([forkServer("bare", config), forkServer("bot", config, profileArgs)]);
const failures = [];
try {
  const checked = await checkServers(bare, bot, requests);
  print(
    `bench/ingest (Node ${process.version}): POST ${path} on loopback; autocannon, ` +
      `${setting("INGEST_CONNECTIONS", 10)} connections, pipelining 1; ${bodies.length} roster notifications over ` +
      `${callIds.length} calls, a new message id per request`,
  );
  print(`${rounds} rounds of ${seconds} s per server, in alternating order, after ${warmupSeconds} s of warm-up each`);
  print();
  await load(bare, requests, warmupSeconds);
  await load(bot, requests, warmupSeconds);
  const results = await alternate([bare, bot], requests, { rounds, seconds });
  const final = await bot.stats();
  const ratio = report(results, final);
  if (ratio < target) failures.push(`the bot is ${ratio.toFixed(2)}x the bare server, below ${target}x`);
  failures.push(...problems(results, checked, final));
} finally {
  await Promise.all([bare.close(), bot.close()]);
  await sim.close();
}
for (const failure of failures) process.stderr.write(`TARGET MISSED: ${failure}\n`);
process.exitCode = failures.length === 0 ? 0 : 1;
