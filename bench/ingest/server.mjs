// One server under load, in a process of its own, so that it does not share an event loop with the load generator
// or with the other servers: `node server.mjs <kind>`, forked by harness.mjs. The kinds:
//   bare       node:http that reads the body and answers 202: the baseline.
//   peer       what a team writes by hand today: Express 5, jose's jwtVerify against createRemoteJWKSet for every
//              token (Graph's issuers, the bot's app id as audience, RS256), express.json(), the validator's tolerant
//              parseNotifications, 202. No dedupe, no processing.
//   kit        @graph-invite/bot-kit as an app runs it: startBot, with its MemoryStore and its cache of verified
//              tokens, and processing (rosters) after the 202.
//   kit-fetch  the same bot's Web-standard handler (bot.fetch), served by node:http through @hono/node-server's
//              getRequestListener, the usual bridge from Node's request to a Web Request.
//   kit-otel   kit with OpenTelemetry's SDK registered, so that its metrics and traces are recorded: a meter provider
//              whose reader collects every 10 s, and a tracer provider that batches every span to an exporter that
//              drops them (what an exporter then costs depends on the exporter, not on the kit).
// and, for breakdown.mjs:
//   parse        bare plus the validator's tolerant parseNotifications of the body: the parse's price under load.
//   kit-noauth   authentication stubbed out (an authenticator that accepts every request at once).
//   kit-nocache  tokenCacheSize 0: every request's token is verified in full, as the peer does.
//
// Protocol over the IPC channel: the parent sends { type: "start", config }, the server answers
// { type: "ready", url }; { type: "stats" } is answered with { type: "stats", counts }; { type: "close" } closes the
// server and ends the process (so that --cpu-prof writes its profile).
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { createBot } from "@graph-invite/bot-kit";
import { nodeHandler, startBot } from "@graph-invite/bot-kit/node";
import { createInviteClient } from "@graph-invite/client";
import { parseNotifications } from "@graph-invite/validator";
import { getRequestListener } from "@hono/node-server";
import express from "express";
import { createRemoteJWKSet, jwtVerify } from "jose";

const kind = process.argv[2];

/** The CPU time this process has used, on every thread: WebCrypto verifies signatures on libuv's thread pool. */
function cpuMicroseconds() {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/**
 * The CPU time of the main thread alone, which runs JavaScript, from Linux's scheduler statistics (nanoseconds on
 * the CPU); undefined elsewhere. The rest of the process's time is libuv's thread pool and V8's helper threads.
 */
function mainThreadMicroseconds() {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, "utf8").split(" ")[0]) / 1000;
  } catch {
    return undefined;
  }
}

function listen(handler) {
  const server = createServer(handler);
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

function closeServer(server) {
  return new Promise((resolve) => {
    server.close(resolve);
    server.closeAllConnections();
  });
}

const urlOf = (server) => `http://127.0.0.1:${server.address().port}`;

async function startBare() {
  const counts = { delivered: 0 };
  const server = await listen((request, response) => {
    request.resume();
    request.on("end", () => {
      counts.delivered++;
      response.writeHead(202, { "Content-Length": 0 }).end();
    });
  });
  return { url: urlOf(server), stats: async () => ({ ...counts }), close: () => closeServer(server) };
}

/** The bare server, plus the tolerant parse that every server here does. */
async function startParse() {
  const counts = { delivered: 0 };
  const server = await listen((request, response) => {
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => {
      const parsed = parseNotifications(Buffer.concat(chunks), { mode: "tolerant" });
      if (parsed.ok) counts.delivered++;
      response.writeHead(parsed.ok ? 202 : 400, { "Content-Length": 0 }).end();
    });
  });
  return { url: urlOf(server), stats: async () => ({ ...counts }), close: () => closeServer(server) };
}

/**
 * The service a team writes by hand today with the usual parts: the key set's URL from the OpenID metadata, fetched
 * once at start, jose's remote key set (which caches the keys), every token verified, then the body. The checks are
 * Graph's: its issuers, the bot's app id as audience, RS256 only.
 */
async function startPeer(config) {
  const counts = { delivered: 0, refused: {}, aborted: 0, errors: 0, firstError: undefined };
  const refuse = (response, status, reason) => {
    counts.refused[reason] = (counts.refused[reason] ?? 0) + 1;
    response.status(status).json({ error: { code: reason } });
  };
  const metadata = await (await fetch(config.openIdConfigurationUrl)).json();
  const keys = createRemoteJWKSet(new URL(metadata.jwks_uri));
  const app = express();
  app.post(
    "/api/calls",
    async (request, response, next) => {
      const [scheme, token] = (request.get("authorization") ?? "").split(" ");
      if (scheme !== "Bearer" || !token) return refuse(response, 401, "missing-token");
      try {
        await jwtVerify(token, keys, {
          issuer: ["https://graph.microsoft.com", "https://api.botframework.com"],
          audience: config.appId,
          algorithms: ["RS256"],
        });
      } catch {
        return refuse(response, 401, "invalid-token");
      }
      next();
    },
    express.json({ limit: "1mb" }),
    (request, response) => {
      const parsed = parseNotifications(request.body, { mode: "tolerant" });
      if (!parsed.ok) {
        // autocannon ends a load by closing its connections; body-parser then skips a request whose socket can no
        // longer be read (on-finished's isFinished) and leaves no body. That is the load generator's doing, counted
        // apart, as the kit's cut-off requests are.
        if (request.body === undefined && !request.socket.readable) {
          counts.aborted++;
          return response.end();
        }
        return refuse(response, 400, "invalidNotification");
      }
      counts.delivered++;
      response.status(202).end();
    },
  );
  app.use((error, _request, response, _next) => {
    counts.errors++;
    counts.firstError ??= String(error?.stack ?? error);
    response.status(error?.status ?? 500).end();
  });
  const server = await new Promise((resolve) => {
    const listening = app.listen(0, "127.0.0.1", () => resolve(listening));
  });
  return {
    url: urlOf(server),
    stats: async () => ({ ...counts, refused: { ...counts.refused } }),
    close: () => closeServer(server),
  };
}

/** The kit needs an invite client, which it never uses here: it only receives. */
function unusedClient(config) {
  return createInviteClient({
    credential: async () => {
      throw new Error("the ingest bench never invites");
    },
    baseUrl: config.graphUrl,
  });
}

/**
 * What a kit bot did: accepted, duplicate, refused (by reason), or failed. autocannon ends a round by destroying its
 * connections, and the kit reports a request cut off while its body is read as refused (`clientClosedRequest`);
 * that is the load generator's doing, so it is counted apart, as `aborted`, and only other refusals and errors count.
 */
function watchBot(bot, config) {
  const counts = { delivered: 0, duplicates: 0, refused: {}, aborted: 0, errors: 0, firstError: undefined };
  let unmatched = 0;
  bot.on("delivery", () => {
    counts.delivered++;
  });
  bot.on("duplicate", () => {
    counts.duplicates++;
  });
  bot.on("refused", (refusal) => {
    if (refusal.reason === "clientClosedRequest") counts.aborted++;
    else counts.refused[refusal.reason] = (counts.refused[refusal.reason] ?? 0) + 1;
  });
  bot.on("error", (error) => {
    counts.errors++;
    counts.firstError ??= String(error?.stack ?? error);
  });
  bot.on("unmatched", () => unmatched++);
  return async () => {
    // The 202 goes out before processing: time how long the processing still queued takes to drain, so that a
    // bot that acknowledges quickly but falls behind on its work shows.
    const start = performance.now();
    await bot.idle();
    const drainMs = performance.now() - start;
    const rosters = {};
    for (const callId of config.callIds) rosters[callId] = (await bot.roster(callId)).participants.length;
    return {
      ...counts,
      refused: { ...counts.refused },
      unmatched,
      drainMs,
      rosters,
      heapMiB: process.memoryUsage().heapUsed / 2 ** 20,
    };
  };
}

/** The kit's own server, startBot, with its defaults (or `auth` overrides, for breakdown.mjs). */
async function startKit(config, auth = {}) {
  const bot = await startBot({
    client: unusedClient(config),
    auth: { appId: config.appId, openIdConfigurationUrl: config.openIdConfigurationUrl, ...auth },
  });
  return { url: bot.url, stats: watchBot(bot, config), close: () => bot.close() };
}

/** A kit bot behind a node:http server of the caller's: its node handler, or its Web handler through a bridge. */
async function startKitOn(config, { listener, auth }) {
  const bot = createBot({
    client: unusedClient(config),
    auth: auth ?? { appId: config.appId, openIdConfigurationUrl: config.openIdConfigurationUrl },
  });
  const server = await listen(listener(bot));
  return {
    url: urlOf(server),
    stats: watchBot(bot, config),
    close: async () => {
      await closeServer(server);
      await bot.idle();
      bot.stopWaiting();
    },
  };
}

/** The kit with OpenTelemetry's metrics and traces recorded by the SDK. */
async function startKitWithTelemetry(config) {
  const api = await import("@opentelemetry/api");
  const metrics = await import("@opentelemetry/sdk-metrics");
  const { BasicTracerProvider, BatchSpanProcessor } = await import("@opentelemetry/sdk-trace-base");
  const exporter = new metrics.InMemoryMetricExporter(metrics.AggregationTemporality.CUMULATIVE);
  const reader = new metrics.PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 10_000 });
  api.metrics.setGlobalMeterProvider(new metrics.MeterProvider({ readers: [reader] }));
  const dropping = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => {} };
  api.trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(dropping)] }));
  const kit = await startKit(config);
  return {
    ...kit,
    stats: async () => {
      await reader.forceFlush();
      const names = exporter
        .getMetrics()
        .flatMap((resource) => resource.scopeMetrics.flatMap((scope) => scope.metrics))
        .map((metric) => metric.descriptor.name);
      exporter.reset();
      return { ...(await kit.stats()), metrics: [...new Set(names)] };
    },
  };
}

const starters = {
  bare: startBare,
  parse: startParse,
  peer: startPeer,
  kit: (config) => startKit(config),
  "kit-fetch": (config) => startKitOn(config, { listener: (bot) => getRequestListener(bot.fetch) }),
  "kit-otel": startKitWithTelemetry,
  "kit-noauth": (config) =>
    startKitOn(config, {
      listener: nodeHandler,
      auth: { authenticate: async () => ({ ok: true, tenantId: config.tenantId, claims: {} }) },
    }),
  "kit-nocache": (config) => startKit(config, { tokenCacheSize: 0 }),
};

let server;
process.on("message", async (message) => {
  if (message.type === "start") {
    server = await starters[kind](message.config);
    process.send({ type: "ready", url: server.url });
  } else if (message.type === "stats") {
    process.send({
      type: "stats",
      counts: { ...(await server.stats()), cpuUs: cpuMicroseconds(), mainThreadUs: mainThreadMicroseconds() },
    });
  } else if (message.type === "close") {
    await server.close();
    process.exit(0);
  }
});
