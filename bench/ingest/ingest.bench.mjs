// Notifications per second that @graph-invite/bot-kit accepts on loopback, with authentication and validation,
// against two servers in the same run:
//   bare  a node:http server that answers 202 to the same requests (the ceiling of this machine and load generator),
//   peer  the service a team writes by hand today: Express 5, jose's jwtVerify with createRemoteJWKSet on every
//         token, the validator's tolerant parser, 202 (see server.mjs).
// Targets: the kit at least 0.5x the bare server's req/s and at least 2x the peer's, with no non-2xx answer. Also
// reported: the kit's Web handler (bot.fetch) behind @hono/node-server's bridge, without a target; p50 and p99
// latency; and the CPU time each server spends per notification.
//
// Every request is a delivery as Graph sends it: POST /api/calls with a bearer token the simulator signed (RS256,
// its key published through OpenID metadata), Content-Type application/json, one of the spec's five roster
// notifications (three calls), and a message id of its own. All requests carry ONE token, as Graph reuses a token
// across deliveries (see harness.mjs).
//
// Each server runs in a child process of its own and autocannon runs in this one, so that the load generator and
// the servers do not share an event loop. The servers take turns in short rounds, in an order that rotates each
// round, and each ratio is the median of the rounds' ratios: a burst of other work on a shared machine then spoils a
// round or two, which the median discards (as in ../alternating.mjs).
//
// `node ingest.bench.mjs --profile` also writes CPU profiles of the kit's and kit-otel's processes (open them in
// Chrome DevTools), and breakdown.mjs measures what each part of the kit's work costs.
// Environment: INGEST_ROUNDS (default 7), INGEST_SECONDS per server per round (default 2), INGEST_CONNECTIONS
// (default 10).
import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { median } from "../alternating.mjs";
import { print, printTable } from "../report.mjs";
import { alternate, forkServer, load, path, setting, setUp } from "./harness.mjs";

const targets = { bare: 0.5, peer: 2, fetchPeer: 1.5, telemetry: 0.9 };
const rounds = setting("INGEST_ROUNDS", 7);
const seconds = setting("INGEST_SECONDS", 2);
const warmupSeconds = 2;
const profileDir = process.argv.includes("--profile")
  ? mkdtempSync(join(tmpdir(), "graph-invite-ingest-profile-"))
  : undefined;

const kinds = ["bare", "peer", "kit", "kit-fetch", "kit-otel"];
const described = {
  bare: "node:http, reads the body, 202",
  peer: "Express 5 + jose jwtVerify (every token) + tolerant parse, 202",
  kit: "bot-kit startBot: auth (token cache), parse, dedupe, 202, rosters",
  "kit-fetch": "the same bot's bot.fetch behind @hono/node-server",
  "kit-otel": "kit, with OpenTelemetry's SDK recording its metrics and spans",
};
const kits = ["kit", "kit-fetch", "kit-otel"];

/**
 * Requests that show that each server really authenticates and parses before the load (and that the kit dedupes): a
 * delivery is taken, a request with no token gets 401, a body that is no notification 400, and for the kit the same
 * delivery again is a duplicate.
 */
async function checkServers(servers, [request]) {
  const post = (server, headers, body) => fetch(`${server.url}${path}`, { method: "POST", headers, body });
  const wrong = [];
  const checked = {};
  for (const server of servers) {
    const headers = { ...request.headers, "X-Microsoft-Skype-Message-Id": randomUUID() };
    const expect = async (what, status, headersSent, body) => {
      const response = await post(server, headersSent, body);
      await response.arrayBuffer();
      if (response.status !== status) wrong.push(`${server.kind}, ${what}: ${response.status}, not ${status}`);
    };
    await expect("a delivery", 202, headers, request.body);
    if (server.kind === "bare") continue;
    if (kits.includes(server.kind)) await expect("the same delivery again", 202, headers, request.body);
    await expect("no token", 401, { "Content-Type": "application/json" }, request.body);
    await expect("not a notification", 400, { ...headers, "X-Microsoft-Skype-Message-Id": randomUUID() }, "{}");
    checked[server.kind] = await server.stats();
  }
  if (wrong.length > 0) throw new Error(`the servers do not answer as expected: ${wrong.join("; ")}`);
  for (const kind of kits) {
    if (checked[kind].delivered !== 1 || checked[kind].duplicates !== 1) {
      throw new Error(`unexpected counts for ${kind}: ${JSON.stringify(checked[kind])}`);
    }
  }
  return checked;
}

/** Whatever says a server did less than its whole work for a request, or failed one. */
function problems(results, checked, finals) {
  const found = [];
  for (const kind of kinds) {
    const sum = (field) => results.reduce((total, result) => total + result[kind][field], 0);
    if (sum("non2xx") > 0) found.push(`${kind}: ${sum("non2xx")} responses were not 2xx`);
    if (sum("errors") > 0) found.push(`${kind}: ${sum("errors")} requests failed or timed out`);
  }
  for (const kind of ["peer", ...kits]) {
    const final = finals[kind];
    const before = checked[kind];
    if (JSON.stringify(final.refused) !== JSON.stringify(before.refused)) {
      found.push(`${kind} refused some requests: ${JSON.stringify(final.refused)}`);
    }
    if (final.errors > 0) found.push(`${kind} failed ${final.errors} times, first: ${final.firstError}`);
    const answered = results.reduce((total, result) => total + result[kind].ok, 0);
    if (final.delivered - before.delivered < answered) {
      found.push(`${kind} answered ${answered} requests with 2xx but accepted fewer deliveries`);
    }
  }
  for (const kind of kits) {
    const final = finals[kind];
    if (final.duplicates !== checked[kind].duplicates) found.push(`${kind} took some requests for duplicates`);
    if (final.unmatched !== checked[kind].unmatched) {
      found.push(`${kind} could not match ${final.unmatched - checked[kind].unmatched} notifications`);
    }
  }
  return found;
}

const ms = (value) => value.toFixed(2);
const us = (value) => (Number.isFinite(value) ? value.toFixed(0) : "n/a");
const times = (value) => `${value.toFixed(2)}x`;

function report(results, finals, perNotification) {
  const ratio = (kind, baseline) =>
    median(results.map((result) => result[kind].perSecond / result[baseline].perSecond));
  printTable([
    ["round", ...kinds.map((kind) => `${kind} req/s`), "kit/bare", "kit/peer", "CPU us/notif bare/peer/kit/fetch/otel"],
    ...results.map((result, index) => [
      `${index + 1} (${result.first} first)`,
      ...kinds.map((kind) => result[kind].perSecond.toFixed(0)),
      times(result.kit.perSecond / result.bare.perSecond),
      times(result.kit.perSecond / result.peer.perSecond),
      kinds.map((kind) => us(result[kind].cpuUsPerRequest / perNotification)).join(" / "),
    ]),
  ]);
  const of = (kind, field) => median(results.map((result) => result[kind][field]));
  printTable([
    ["server", "what it does", "req/s", "p50 ms", "p99 ms", "CPU us/notif", "main thread", "x bare", "x peer"],
    ...kinds.map((kind) => [
      kind,
      described[kind],
      of(kind, "perSecond").toFixed(0),
      ms(of(kind, "p50")),
      ms(of(kind, "p99")),
      us(of(kind, "cpuUsPerRequest") / perNotification),
      us(of(kind, "mainThreadUsPerRequest") / perNotification),
      kind === "bare" ? "" : times(ratio(kind, "bare")),
      kind === "peer" || kind === "bare" ? "" : times(ratio(kind, "peer")),
    ]),
  ]);
  print(
    `Medians of ${results.length} rounds; x bare and x peer are medians of the rounds' ratios. CPU us/notif: CPU ` +
      "time of the server's whole process (every thread) per notification it took; main thread: the one that runs " +
      "JavaScript (Linux only).",
  );
  for (const kind of kits) {
    const final = finals[kind];
    print(
      `${kind}: ${final.delivered} deliveries accepted and processed (warm-up included), ${final.duplicates} ` +
        `duplicate (the check's), ${final.errors} errors, ${final.aborted} requests cut off at the end of a load; ` +
        `backlog after a round drained in at most ${Math.max(...results.map((result) => result[kind].drainMs)).toFixed(1)} ` +
        `ms; heap ${final.heapMiB.toFixed(0)} MiB; roster sizes ${Object.values(final.rosters).join(", ")}`,
    );
  }
  if (profileDir !== undefined)
    print(`CPU profiles of the kit's process and kit-otel's: ${profileDir}/kit, ${profileDir}/kit-otel`);
  print();
  return {
    kitBare: ratio("kit", "bare"),
    kitPeer: ratio("kit", "peer"),
    fetchPeer: ratio("kit-fetch", "peer"),
    telemetry: ratio("kit-otel", "kit"),
  };
}

/** A missed target, and by how much: the ratio's shortfall, and the kit's req/s still needed to meet it. */
function shortfall(name, ratio, target, kind = "kit") {
  const short = ((target - ratio) / target) * 100;
  const needed = (target / ratio - 1) * 100;
  return (
    `${kind}/${name} is ${times(ratio)}, below the target of ${target}x by ${(target - ratio).toFixed(2)}x ` +
    `(${short.toFixed(0)}% short: the ${kind} server needs ${needed.toFixed(0)}% more req/s)`
  );
}

const setup = await setUp();
const { sim, bodies, callIds, requests, config, notificationsPerRequest } = setup;
// A folder per server, so that the kit's profile and kit-otel's are told apart.
const profileArgs = (kind) =>
  profileDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${join(profileDir, kind)}`];
const servers = await Promise.all(
  kinds.map((kind) => forkServer(kind, config, kind === "kit" || kind === "kit-otel" ? profileArgs(kind) : [])),
);
const byKind = Object.fromEntries(servers.map((server) => [server.kind, server]));
const failures = [];
try {
  const checked = await checkServers(servers, requests);
  print(
    `bench/ingest (Node ${process.version}): POST ${path} on loopback; autocannon, ` +
      `${setting("INGEST_CONNECTIONS", 10)} connections, pipelining 1; ${bodies.length} roster notifications over ` +
      `${callIds.length} calls, one token for every request, a new message id per request`,
  );
  print(`${rounds} rounds of ${seconds} s per server, in rotating order, after ${warmupSeconds} s of warm-up each`);
  print();
  for (const server of servers) await load(server, requests, warmupSeconds);
  const results = await alternate(servers, requests, { rounds, seconds });
  const finals = {};
  for (const kind of ["peer", ...kits]) finals[kind] = await byKind[kind].stats();
  const { kitBare, kitPeer, fetchPeer, telemetry } = report(results, finals, notificationsPerRequest);
  print(
    `ingest: kit ${times(kitBare)} the bare server (target >= ${targets.bare}x), ${times(kitPeer)} the peer ` +
      `(target >= ${targets.peer}x); kit-fetch ${times(fetchPeer)} the peer (target >= ${targets.fetchPeer}x)`,
  );
  if (kitBare < targets.bare) failures.push(shortfall("bare", kitBare, targets.bare));
  if (kitPeer < targets.peer) failures.push(shortfall("peer", kitPeer, targets.peer));
  if (fetchPeer < targets.fetchPeer) failures.push(shortfall("peer", fetchPeer, targets.fetchPeer, "kit-fetch"));
  print(
    `telemetry: the kit with metrics and traces recorded (${finals["kit-otel"].metrics.join(", ")}) at ` +
      `${times(telemetry)} the kit without (target >= ${targets.telemetry}x, within 10%)`,
  );
  if (telemetry < targets.telemetry) failures.push(shortfall("kit", telemetry, targets.telemetry, "kit-otel"));
  failures.push(...problems(results, checked, finals));
} finally {
  await Promise.all(servers.map((server) => server.close()));
  await sim.close();
}
for (const failure of failures) process.stderr.write(`TARGET MISSED: ${failure}\n`);
process.exitCode = failures.length === 0 ? 0 : 1;
