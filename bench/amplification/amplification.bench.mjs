// What one hostile but authenticated delivery costs the kit: a body near the size limit that asks for as much work
// as it can. Two bodies, at 250 KiB, 500 KiB and just under the kit's default maxBodyBytes (1 MiB):
//   roster     delta roster notifications for ONE call, each with three new participants and a higher sequence
//              number, so that every one is applied and the roster grows by the whole body;
//   operation  the terminal `completed` notification of ONE invite, repeated: the bot first invites for real through
//              the simulator and sees the invite complete, so that every copy matches a tracked invite by its
//              clientContext (and is recorded as a duplicate step of its history).
// For each: the time from the last byte sent to the 202, the longest the bot's event loop was held from just before
// the request until the bot was idle again (measured in the bot's own process: monitorEventLoopDelay and a 1 ms timer
// probe, the larger of the two), and the time from the delivery's acceptance until bot.idle() resolved.
// Target: at most 50 ms for the time to the 202 and for the longest block, as the median of AMPLIFICATION_RUNS runs
// (default 5); exit status 1 otherwise.
//
// The bot runs in a child process (bot.mjs); the simulator, which signs the one token every request carries and
// publishes its key, and the sender run here. Every request is a real loopback POST with a new message id.
import { randomUUID } from "node:crypto";
import { request as httpRequest } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { start } from "@graph-invite/simulator";
import { median } from "../alternating.mjs";
import { forkChild } from "../child.mjs";
import { print, printTable } from "../report.mjs";
import { operationFlood, rosterFlood } from "./bodies.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const limitMs = 50;
const runs = Number(process.env.AMPLIFICATION_RUNS ?? 5);
const KiB = 1024;
const sizes = [
  ["250 KiB", 250 * KiB],
  ["500 KiB", 500 * KiB],
  ["1 MiB - 1 KiB", 1024 * KiB - KiB],
];

function forkBot(config) {
  const { ask, close } = forkChild(join(here, "bot.mjs"), { label: "bot" });
  return { ask, start: async () => (await ask({ type: "start", config }, "ready")).callbackUrl, close };
}

/**
 * POSTs `body` on a connection of its own and resolves with the status and the milliseconds from the moment the last
 * byte was handed to the socket to the moment the answer's status line arrived.
 */
function post(url, token, body) {
  return new Promise((resolve, reject) => {
    let sentAt;
    const request = httpRequest(
      url,
      {
        method: "POST",
        agent: false,
        headers: {
          Authorization: `Bearer ${token}`,
          "Content-Type": "application/json",
          "Content-Length": Buffer.byteLength(body),
          "X-Microsoft-Skype-Message-Id": randomUUID(),
        },
      },
      (response) => {
        const answeredAt = performance.now();
        response.resume();
        response.on("end", () =>
          resolve({ status: response.statusCode, toAnswerMs: answeredAt - (sentAt ?? answeredAt) }),
        );
      },
    );
    request.on("error", reject);
    request.end(body, () => {
      sentAt = performance.now();
    });
  });
}

/** One delivery of one body to the bot, with the bot's figures. */
async function deliver(bot, sim, callbackUrl, token, kind, maxBytes) {
  const call = sim.createCall({ kind: "group", callbackUri: callbackUrl });
  let built;
  let clientContext;
  if (kind === "roster") {
    built = rosterFlood(call.id, maxBytes);
  } else {
    const userId = randomUUID();
    const { outcome } = await bot.ask({ type: "invite", callId: call.id, userId }, "invited");
    if (outcome.status !== "completed") throw new Error(`the invite ended ${outcome.status}, not completed`);
    await sim.settled();
    clientContext = outcome.clientContext;
    built = operationFlood({ callId: call.id, operationId: outcome.operationId, clientContext, userId }, maxBytes);
  }
  await bot.ask({ type: "arm" }, "armed");
  const { status, toAnswerMs } = await post(callbackUrl, token, built.body);
  const { figures } = await bot.ask({ type: "report", callId: call.id, clientContext }, "report");
  if (status !== 202) throw new Error(`the bot answered ${status} to the ${kind} body of ${built.body.length} bytes`);
  return { ...built, bytes: Buffer.byteLength(built.body), status, toAnswerMs, ...figures };
}

const ms = (value) => (value === undefined ? "n/a" : value.toFixed(1));

const sim = await start();
const token = await sim.signNotificationToken();
const bot = forkBot({
  appId: sim.app.appId,
  secret: sim.app.secret,
  authorityHost: sim.url,
  tenantId: sim.app.tenantId,
  graphUrl: sim.graphUrl,
  openIdConfigurationUrl: sim.openIdConfigurationUrl,
});
const failures = [];
try {
  const callbackUrl = await bot.start();
  print(
    `bench/amplification (Node ${process.version}): one authenticated delivery per row, POSTed on loopback to the ` +
      `kit's startBot (default maxBodyBytes 1 MiB, MemoryStore); ${runs} runs per row, each on a new call; ` +
      `limit ${limitMs} ms`,
  );
  print();
  // Warm-up, not reported: the key set is fetched, the token verified and cached, and the code paths compiled.
  for (const kind of ["roster", "operation"]) await deliver(bot, sim, callbackUrl, token, kind, sizes[0][1]);

  const rows = [];
  let last;
  for (const kind of ["roster", "operation"]) {
    for (const [label, maxBytes] of sizes) {
      const results = [];
      for (let run = 0; run < runs; run++) results.push(await deliver(bot, sim, callbackUrl, token, kind, maxBytes));
      const block = (result) => Math.max(result.histogramMaxMs, result.timerGapMs);
      const of = (pick) => median(results.map(pick));
      const worst = (pick) => Math.max(...results.map(pick));
      const row = {
        kind,
        label,
        toAnswer: of((result) => result.toAnswerMs),
        block: of(block),
        idle: of((result) => result.idleMs),
      };
      rows.push([
        kind,
        label,
        results[0].bytes,
        results[0].notifications,
        ms(row.toAnswer),
        ms(worst((result) => result.toAnswerMs)),
        ms(row.block),
        ms(worst(block)),
        `${ms(of((result) => result.histogramMaxMs))} / ${ms(of((result) => result.timerGapMs))}`,
        ms(row.idle),
        kind === "roster"
          ? `roster ${results[0].rosterSize} (sent ${results[0].participants})`
          : `history ${results[0].history}, ${results[0].droppedSteps} dropped, ${results[0].operationStatus}`,
      ]);
      for (const [name, value] of [
        ["time from the last byte to the 202", row.toAnswer],
        ["longest event-loop block", row.block],
      ]) {
        if (value > limitMs) {
          failures.push(
            `${kind} ${label}: ${name} ${ms(value)} ms, above ${limitMs} ms by ${ms(value - limitMs)} ms ` +
              `(${((value / limitMs - 1) * 100).toFixed(0)}% over)`,
          );
        }
      }
      last = results.at(-1);
    }
  }
  printTable([
    [
      "body",
      "size",
      "bytes",
      "notifications",
      "to 202 ms",
      "worst",
      "block ms",
      "worst",
      "histogram / timer",
      "to idle ms",
      "state after",
    ],
    ...rows,
  ]);
  print(
    `Medians of ${runs} runs, and the worst run. to 202: from the last byte handed to the socket to the answer's ` +
      "status line. block: the longest the bot's event loop was held, from before the request until the bot was " +
      "idle, the larger of monitorEventLoopDelay's maximum and a 1 ms timer's longest lateness. to idle: from the " +
      "delivery's acceptance to bot.idle().",
  );
  const { counts, heapMiB } = last;
  print(
    `bot: ${counts.delivered} deliveries accepted, ${counts.errors} processing errors, ${counts.unmatched} unmatched, ` +
      `refused ${JSON.stringify(counts.refused)}; heap ${heapMiB.toFixed(0)} MiB`,
  );
  if (counts.errors > 0) failures.push(`the bot failed ${counts.errors} times, first: ${counts.firstError}`);
  if (counts.unmatched > 0) failures.push(`the bot could not match ${counts.unmatched} notifications`);
  print();
} finally {
  await bot.close();
  await sim.close();
}
for (const failure of failures) process.stderr.write(`TARGET MISSED: ${failure}\n`);
process.exitCode = failures.length === 0 ? 0 : 1;
