// What ingest.bench.mjs and breakdown.mjs share: the requests, the server processes, one measured load, and the
// alternating rounds.
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { start } from "@graph-invite/simulator";
import autocannon from "autocannon";
import { forkChild } from "../child.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
export const path = "/api/calls";

/** A setting from the environment, for a quicker or a longer run than the defaults. */
export const setting = (name, fallback) => Number(process.env[name] ?? fallback);

/** The spec's roster notifications: what Graph sends most often, and what the bot processes without growing. */
function rosterBodies() {
  const examples = join(root, "openapi/examples");
  return readdirSync(examples)
    .filter((file) => file.endsWith(".roster-updated.json"))
    .map((file) => readFileSync(join(examples, file), "utf8"));
}

const callIdOf = (body) => /\/communications\/calls\/([^/"]+)/.exec(body)[1];

/**
 * The same requests for every server: each autocannon connection loops over the five bodies. Every request carries
 * the same token, as Graph reuses one token across its deliveries for as long as it is valid, and gets a new
 * X-Microsoft-Skype-Message-Id (autocannon rebuilds a request whose setupRequest is a function), so that the kit
 * never takes one for a duplicate and skips its work.
 */
function requestList(bodies, token) {
  return bodies.map((body) => ({
    method: "POST",
    path,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body,
    setupRequest(request) {
      request.headers["X-Microsoft-Skype-Message-Id"] = randomUUID();
      return request;
    },
  }));
}

/**
 * Starts the simulator, which signs the token and publishes its key through OpenID metadata, and builds the
 * requests. The simulator serves the servers only its metadata and key set, fetched once: it stays idle under load.
 */
export async function setUp() {
  const bodies = rosterBodies();
  const callIds = [...new Set(bodies.map(callIdOf))];
  const notifications = bodies.reduce((total, body) => total + JSON.parse(body).value.length, 0);
  const sim = await start();
  const token = await sim.signNotificationToken();
  return {
    sim,
    bodies,
    callIds,
    /** Notifications per request, on average over the bodies: CPU per request over this is CPU per notification. */
    notificationsPerRequest: notifications / bodies.length,
    token,
    requests: requestList(bodies, token),
    config: {
      appId: sim.app.appId,
      tenantId: sim.app.tenantId,
      graphUrl: sim.graphUrl,
      openIdConfigurationUrl: sim.openIdConfigurationUrl,
      callIds,
    },
  };
}

/**
 * Forks a server process (see server.mjs) and resolves with its URL, a way to ask for its counters (with the CPU
 * time the process has used) and a way to close it. `execArgv` goes to the child, such as --cpu-prof.
 */
export async function forkServer(kind, config, execArgv = []) {
  const { ask, close } = forkChild(join(here, "server.mjs"), { args: [kind], execArgv, label: `${kind} server` });
  const { url } = await ask({ type: "start", config }, "ready");
  return {
    kind,
    url,
    stats: async () => (await ask({ type: "stats" }, "stats")).counts,
    close,
  };
}

/**
 * Loads one server for `duration` seconds with 10 connections (or INGEST_CONNECTIONS), one request at a time on
 * each. Latencies are taken from each 2xx response's own timing, in fractional milliseconds: autocannon's
 * histogram keeps whole milliseconds, too coarse on loopback.
 */
export async function load(server, requests, duration) {
  const latencies = [];
  const connections = setting("INGEST_CONNECTIONS", 10);
  const instance = autocannon({ url: `${server.url}${path}`, connections, pipelining: 1, duration, requests });
  instance.on("response", (_client, statusCode, _bytes, responseTime) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
  });
  const result = await instance;
  latencies.sort((a, b) => a - b);
  const percentile = (p) => latencies[Math.min(latencies.length - 1, Math.floor((latencies.length * p) / 100))];
  return {
    ok: result["2xx"],
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    perSecond: result["2xx"] / result.duration,
    p50: percentile(50),
    p99: percentile(99),
  };
}

/**
 * One load of one server, with the CPU time the server's process spent per request it took: a figure that does not
 * depend on how fast the load generator is, unlike requests per second.
 */
export async function measure(server, requests, duration) {
  const before = await server.stats();
  const run = await load(server, requests, duration);
  const after = await server.stats();
  const handled = after.delivered - before.delivered;
  const cpuUsPerRequest = (after.cpuUs - before.cpuUs) / handled;
  const mainThreadUsPerRequest = (after.mainThreadUs - before.mainThreadUs) / handled;
  return { ...run, cpuUsPerRequest, mainThreadUsPerRequest, drainMs: after.drainMs };
}

/**
 * Loads the servers in rounds, each for `seconds`, in an order that rotates every round, so that a burst of other
 * work on the machine lands on one server's slice of a round and the medians across rounds discard it. Returns, per
 * round, each server's measurement by kind.
 */
export async function alternate(servers, requests, { rounds, seconds }) {
  const results = [];
  for (let round = 0; round < rounds; round++) {
    const shift = round % servers.length;
    const order = [...servers.slice(shift), ...servers.slice(0, shift)];
    const measured = { first: order[0].kind };
    for (const server of order) measured[server.kind] = await measure(server, requests, seconds);
    results.push(measured);
  }
  return results;
}
