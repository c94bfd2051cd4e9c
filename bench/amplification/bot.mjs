// The bot under attack, in a process of its own (forked by amplification.bench.mjs), so that what it measures about
// its event loop is about the bot alone: the load generator and the simulator run in the parent.
//
// Protocol over the IPC channel:
//   { type: "start", config }             -> { type: "ready", callbackUrl }
//   { type: "invite", callId, userId }    -> { type: "invited", outcome }   a real invite through the simulator
//   { type: "arm" }                       -> { type: "armed" }              starts the probes before a delivery
//   { type: "report" }                    -> { type: "report", figures }    once the delivery has been processed
//   { type: "close" }                     ends the process
import { monitorEventLoopDelay } from "node:perf_hooks";
import { startBot } from "@graph-invite/bot-kit/node";
import { clientSecretCredential, createInviteClient, inviteBody, userParticipant } from "@graph-invite/client";

/**
 * The longest the event loop was held, two ways: Node's own histogram of the loop's delay (1 ms resolution), and a
 * 1 ms timer that notes the longest gap between its runs beyond the 1 ms it asked for.
 */
function probes() {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  let longestGap = 0;
  let last = performance.now();
  let timer;
  const tick = () => {
    const now = performance.now();
    longestGap = Math.max(longestGap, now - last - 1);
    last = now;
    timer = setTimeout(tick, 1);
  };
  timer = setTimeout(tick, 1);
  return () => {
    clearTimeout(timer);
    histogram.disable();
    // The histogram counts its own 1 ms interval into each delay.
    return { histogramMaxMs: Math.max(0, histogram.max / 1e6 - 1), timerGapMs: longestGap };
  };
}

let bot;
let pending;
const counts = { delivered: 0, errors: 0, firstError: undefined, unmatched: 0, refused: {} };

process.on("message", async (message) => {
  if (message.type === "start") {
    const { config } = message;
    bot = await startBot({
      client: createInviteClient({
        credential: clientSecretCredential({
          authorityHost: config.authorityHost,
          tenantId: config.tenantId,
          clientId: config.appId,
          clientSecret: config.secret,
        }),
        baseUrl: config.graphUrl,
      }),
      auth: { appId: config.appId, openIdConfigurationUrl: config.openIdConfigurationUrl },
    });
    bot.on("delivery", () => {
      counts.delivered++;
      if (pending === undefined || pending.acceptedAt !== undefined) return;
      pending.acceptedAt = performance.now();
      // The delivery event comes just before the bot queues the delivery's work: idle() is asked once it has.
      queueMicrotask(() => {
        pending.idle = bot.idle().then(() => performance.now());
      });
    });
    bot.on("error", (error) => {
      counts.errors++;
      counts.firstError ??= String(error?.stack ?? error);
    });
    bot.on("unmatched", () => counts.unmatched++);
    bot.on("refused", (refusal) => {
      counts.refused[refusal.reason] = (counts.refused[refusal.reason] ?? 0) + 1;
    });
    process.send({ type: "ready", callbackUrl: bot.callbackUrl });
  } else if (message.type === "invite") {
    const outcome = await bot.inviteAndWait(message.callId, inviteBody(userParticipant(message.userId)), {
      callKind: "group",
    });
    // What the simulator sends after the invite (the roster) is processed before the flood.
    await bot.idle();
    process.send({
      type: "invited",
      outcome: { status: outcome.status, clientContext: outcome.clientContext, operationId: outcome.operationId },
    });
  } else if (message.type === "arm") {
    pending = { stop: probes(), acceptedAt: undefined, idle: undefined };
    process.send({ type: "armed" });
  } else if (message.type === "report") {
    const { stop, acceptedAt } = pending;
    const idleAt = pending.idle === undefined ? undefined : await pending.idle;
    const blocks = stop();
    pending = undefined;
    const roster = message.callId === undefined ? undefined : await bot.roster(message.callId);
    const [record] =
      message.clientContext === undefined
        ? []
        : (await bot.operations(message.callId)).filter(
            (operation) => operation.clientContext === message.clientContext,
          );
    process.send({
      type: "report",
      figures: {
        ...blocks,
        idleMs: acceptedAt === undefined || idleAt === undefined ? undefined : idleAt - acceptedAt,
        rosterSize: roster?.participants.length,
        history: record?.history.length,
        droppedSteps: record?.droppedSteps ?? 0,
        operationStatus: record?.status,
        counts: { ...counts, refused: { ...counts.refused } },
        heapMiB: process.memoryUsage().heapUsed / 2 ** 20,
      },
    });
  } else if (message.type === "close") {
    await bot.close();
    process.exit(0);
  }
});
