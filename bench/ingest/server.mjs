// One server under load, in a process of its own, so that it does not share an event loop with the load generator
// or with the other servers: `node server.mjs <kind>`, forked by harness.mjs. The kinds:
//   bare   node:http that reads the body and answers 202: the baseline.
//   bot    the bot as an app runs it: startBot, with its MemoryStore, and processing after the 202.
// and, for breakdown.mjs, the bot's endpoint with parts of its work left out:
//   parse  the endpoint with authentication stubbed out: body, parse, dedupe, 202; no processing.
//   auth   the endpoint with real authentication: the same plus the token's verification; no processing.
//
// Protocol over the IPC channel: the parent sends { type: "start", config }, the server answers
// { type: "ready", url }; { type: "stats" } is answered with { type: "stats", counts }; { type: "close" } closes the
// server and ends the process (so that --cpu-prof writes its profile).
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import * as bot from "@graph-invite/bot";
import { createInviteClient } from "@graph-invite/client";

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

/**
 * What a delivery did: accepted, duplicate, refused (by reason), or failed. autocannon ends a round by destroying its
 * connections, and the bot reports a request cut off while its body is read as refused (`clientClosedRequest`); that
 * is the load generator's doing, so it is counted apart, as `aborted`, and only other refusals and errors count.
 */
function deliveryCounts() {
  const counts = { delivered: 0, duplicates: 0, refused: {}, aborted: 0, errors: 0, firstError: undefined };
  return {
    counts,
    onAccepted: () => {
      counts.delivered++;
    },
    onRefused: (refusal) => {
      if (refusal.reason === "duplicate") counts.duplicates++;
      else if (refusal.reason === "clientClosedRequest") counts.aborted++;
      else counts.refused[refusal.reason] = (counts.refused[refusal.reason] ?? 0) + 1;
    },
    onError: (error) => {
      counts.errors++;
      counts.firstError ??= String(error?.stack ?? error);
    },
  };
}

async function startBare() {
  const counts = { delivered: 0 };
  const server = await listen((request, response) => {
    request.resume();
    request.on("end", () => {
      counts.delivered++;
      response.writeHead(202, { "Content-Length": 0 }).end();
    });
  });
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    stats: async () => ({ ...counts }),
    close: () => closeServer(server),
  };
}

/** The endpoint alone, as the bot builds it, with a real or a stubbed authenticator and nothing done after the 202. */
async function startEndpoint(config, realAuth) {
  const store = new bot.MemoryStore();
  const tally = deliveryCounts();
  const authenticator = realAuth
    ? bot.createNotificationAuthenticator({
        appId: config.appId,
        openIdConfigurationUrl: config.openIdConfigurationUrl,
      })
    : { authenticate: async () => ({ ok: true, tenantId: config.tenantId, claims: {} }) };
  const server = await listen(
    bot.createNotificationHandler({
      authenticator,
      claimDelivery: (key) => store.claimDelivery(key),
      onAccepted: tally.onAccepted,
      onRefused: tally.onRefused,
      onError: tally.onError,
    }),
  );
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    stats: async () => ({ ...tally.counts, refused: { ...tally.counts.refused } }),
    close: () => closeServer(server),
  };
}

/** The bot's own server (startBot) with its default store. It needs an invite client, which it never uses here. */
async function startBotServer(config) {
  const client = createInviteClient({
    credential: bot.clientSecretTokens({
      tokenUrl: config.tokenUrl,
      clientId: config.appId,
      clientSecret: config.secret,
    }),
    baseUrl: config.graphUrl,
  });
  const started = await bot.startBot({
    client,
    auth: { appId: config.appId, openIdConfigurationUrl: config.openIdConfigurationUrl },
  });
  const tally = deliveryCounts();
  let unmatched = 0;
  started.on("delivery", tally.onAccepted);
  started.on("refused", tally.onRefused);
  started.on("error", tally.onError);
  started.on("unmatched", () => unmatched++);
  return {
    url: started.url,
    async stats() {
      // The 202 goes out before processing: time how long the processing still queued takes to drain, so that a
      // bot that acknowledges quickly but falls behind on its work shows.
      const start = performance.now();
      await started.idle();
      const drainMs = performance.now() - start;
      const rosters = {};
      for (const callId of config.callIds) rosters[callId] = (await started.roster(callId)).participants.length;
      return {
        ...tally.counts,
        refused: { ...tally.counts.refused },
        unmatched,
        drainMs,
        rosters,
        heapMiB: process.memoryUsage().heapUsed / 2 ** 20,
      };
    },
    close: () => started.close(),
  };
}

const starters = {
  bare: startBare,
  parse: (config) => startEndpoint(config, false),
  auth: (config) => startEndpoint(config, true),
  bot: startBotServer,
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
