// Where one invite's Redis work goes: the store calls the sample bot makes for one invite and its two notifications
// (the terminal operation notification and a roster), made one step at a time through RedisStore against a real
// redis-server, with the server's INFO commandstats (every command a script runs included) read after each step. Two
// instances share the store, as in a fleet: the one that sent the invite waits on it, and the other takes both
// notifications, so that the wake-up (an inbox entry and the waiter's read) is in the count. Beside them, what an
// instance sends each second on its own: its sign of life and its look for deliveries to take over.
//
// Run alone with `node steps.mjs` (after `pnpm build`); bench/scale-out prints it first.
import { randomUUID } from "node:crypto";
import { RedisStore } from "@graph-invite/bot-kit/redis";
import { deltaRosterBody } from "@graph-invite/test-support/notifications";
import { startRedis } from "@graph-invite/test-support/redis";
import { createClient } from "redis";
import { print, printTable } from "../report.mjs";

/** INFO commandstats as calls per command name. */
async function commandCalls(server) {
  const calls = {};
  for (const line of (await server.command("INFO", "commandstats")).split("\n")) {
    const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (match !== null) calls[match[1]] = Number(match[2]);
  }
  return calls;
}

/** The calls from `before` to `after`, but INFO's own (the counting's, no part of the store's work). */
function since(before, after) {
  const calls = {};
  for (const [command, count] of Object.entries(after)) {
    if (command !== "info" && count > (before[command] ?? 0)) calls[command] = count - (before[command] ?? 0);
  }
  return calls;
}

const settle = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** An invite's record as the tracker first writes it. */
function inviteRecord(callId) {
  const clientContext = randomUUID();
  const now = new Date().toISOString();
  return {
    clientContext,
    callId,
    operationId: null,
    status: "sending",
    request: {
      clientContext,
      participants: [
        {
          "@odata.type": "#microsoft.graph.invitationParticipantInfo",
          identity: { user: { "@odata.type": "#microsoft.graph.identity", id: randomUUID(), displayName: "Invitee" } },
        },
      ],
    },
    resultInfo: null,
    error: null,
    late: false,
    createdAt: now,
    updatedAt: now,
    deadline: new Date(Date.now() + 60_000).toISOString(),
    revision: 0,
    history: [{ at: now, event: "sent" }],
  };
}

/** A participant who joins. */
function newcomer(id) {
  return {
    "@odata.type": "#microsoft.graph.participant",
    id,
    info: { identity: { user: { id, displayName: id } } },
    isInLobby: false,
    isMuted: false,
  };
}

/** The store calls of one invite and its two notifications, each through `step(name, work)`. */
async function oneInvite(inviter, other, step) {
  const callId = randomUUID();
  const record = inviteRecord(callId);
  const operationId = randomUUID();
  await step("invite: record written", async () => {
    await inviter.follow({ clientContext: record.clientContext }, { withFirstWrite: true });
    await inviter.putOperation(record);
  });
  await step("invite: Graph's answer", async () => {
    await inviter.putOperation({
      ...record,
      revision: 1,
      operationId,
      status: "running",
      history: [...record.history, { at: new Date().toISOString(), event: "answered" }],
    });
  });
  const terminalKey = randomUUID();
  const terminalBody = JSON.stringify({
    value: [
      {
        changeType: "deleted",
        resource: `/communications/calls/${callId}/operations/${operationId}`,
        resourceData: { "@odata.type": "#microsoft.graph.inviteParticipantsOperation", id: operationId },
      },
    ],
  });
  await step("terminal notification: claim", () =>
    other.claimDelivery(terminalKey, new TextEncoder().encode(terminalBody)),
  );
  await step("terminal notification: process", async () => {
    const current = await other.operationByContext(record.clientContext);
    await other.putOperation({ ...current, status: "completed", deadline: null });
  });
  await step("terminal notification: finish", () => other.finishDelivery(terminalKey));
  const rosterKey = randomUUID();
  const participant = newcomer(randomUUID());
  await step("roster notification: claim", () =>
    other.claimDelivery(rosterKey, new TextEncoder().encode(deltaRosterBody(callId, 1, [participant]))),
  );
  await step("roster notification: process", async () => {
    const stored = await other.roster(callId);
    const members = { ...stored?.members, [participant.id]: { participant, version: 1 } };
    await other.putRoster({ callId, members, departed: {}, ended: false, revision: stored?.revision ?? 0 }, [
      { kind: "joined", callId, participant },
    ]);
  });
  await step("roster notification: finish", () => other.finishDelivery(rosterKey));
}

/**
 * Runs the steps against `server` and returns them, each with its commands per name: `{ steps, idle }`, `idle` being
 * one second of one instance with nothing to do.
 */
export async function measureSteps(server) {
  const clients = [createClient({ url: server.url }), createClient({ url: server.url })];
  await Promise.all(clients.map((client) => client.connect()));
  const prefix = `steps-${randomUUID()}:`;
  // Signs of life a minute apart, so that none falls in a step: what one costs is measured on its own below.
  const inviter = new RedisStore({ client: clients[0], prefix, heartbeatMs: 180_000 });
  const other = new RedisStore({ client: clients[1], prefix, heartbeatMs: 180_000 });
  // Both watch, as every instance of the bot does; then the periodic work is let pass before counting.
  const unwatch = [inviter.watch(() => {}), other.watch(() => {})];
  const woken = [];
  unwatch.push(inviter.watch((change) => woken.push(change)));
  await settle(200);

  const steps = [];
  let last = await commandCalls(server);
  const step = async (name, work) => {
    await work();
    // The waiter's blocked read returns when its inbox is written; a moment for it to be counted.
    await settle(50);
    const now = await commandCalls(server);
    steps.push({ name, calls: since(last, now) });
    last = now;
  };

  // Once unmeasured, so that the server has the scripts (a first run sends their text), then counted.
  await oneInvite(inviter, other, async (_name, work) => work());
  await settle(250);
  last = await commandCalls(server);
  await oneInvite(inviter, other, step);
  if (!woken.some((change) => change.kind === "operation")) throw new Error("the waiting instance was not woken");

  // One second of one instance: a sign of life (the watch's timer) and a look for deliveries to take over.
  for (const stop of unwatch) stop();
  const alone = new RedisStore({ client: clients[0], prefix });
  const stopAlone = alone.watch(() => {});
  await alone.takeUnfinishedDeliveries();
  await settle(200);
  const before = await commandCalls(server);
  await settle(1000);
  await alone.takeUnfinishedDeliveries();
  const idle = since(before, await commandCalls(server));
  stopAlone();
  await Promise.all(clients.map((client) => client.destroy()));
  return { steps, idle };
}

const total = (calls) => Object.values(calls).reduce((sum, count) => sum + count, 0);

/** Prints the steps as a table: a row per step with its total and each command's calls. */
export function printSteps({ steps, idle }) {
  const names = [...new Set([...steps, { calls: idle }].flatMap((step) => Object.keys(step.calls)))].sort();
  const perInvite = {};
  for (const { calls } of steps) {
    for (const [name, count] of Object.entries(calls)) perInvite[name] = (perInvite[name] ?? 0) + count;
  }
  const row = (label, calls, divide = 1) => [
    label,
    String(Number((total(calls) / divide).toFixed(2))),
    ...names.map((name) => (calls[name] === undefined ? "" : String(Number((calls[name] / divide).toFixed(2))))),
  ];
  print(
    "Server commands of one invite, step by step (INFO commandstats, every command a script runs included; " +
      "two instances: the inviter waits, the other takes both notifications):",
  );
  printTable([
    ["step", "commands", ...names],
    ...steps.map((step) => row(step.name, step.calls)),
    row("the invite, in all", perInvite),
    row("per notification (two per invite)", perInvite, 2),
    row("each second, each instance, idle", idle),
  ]);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const server = await startRedis();
  try {
    printSteps(await measureSteps(server));
  } finally {
    await server.stop();
  }
}
