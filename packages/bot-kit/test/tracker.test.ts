// The invite tracker end to end, over loopback against the simulator: `inviteAndWait` resolves exactly once per
// invite with how it ended (completed, failed with Graph's resultInfo, rejected before sending or by Graph,
// timed-out), whatever order, copies and shapes Graph's answer and notifications arrive in; a late, a repeated or a
// foreign terminal notification is recorded, never dropped; and no operation is lost or left sending or running.
import { randomUUID } from "node:crypto";
import { getEventListeners } from "node:events";
import {
  applicationParticipant,
  createInviteClient,
  inviteBody,
  phoneParticipant,
  userParticipant,
} from "@graph-invite/client";
import { type Answer, type Deviation, deviations, type Scenario, type Simulator } from "@graph-invite/simulator";
import type { InvitationParticipantInfo } from "@graph-invite/types";
import fc from "fast-check";
import { describe, expect, test, vi } from "vitest";
import type { OperationEvent, OperationRecord } from "../src/index.js";
import { type StartedBot, startBot } from "../src/node/index.js";
import { example, lifecycle, postNotification, signedHeaders, type World } from "./harness.js";

const { sharedWorld } = lifecycle();

type Step = OperationEvent["event"];

const steps = (record: OperationRecord | undefined): Step[] => record?.history.map((step) => step.event) ?? [];

/** Sets the scenario (the world is shared, so every test sets its own) and creates a group call for the test. */
function arrange({ sim, bot }: World, scenario: Scenario = {}) {
  sim.setScenario(scenario);
  return sim.createCall({ kind: "group", callbackUri: bot.callbackUrl });
}

/** Waits until the simulator has sent everything and the bot has processed it. */
async function quiet({ sim, bot }: World): Promise<void> {
  await sim.settled();
  await bot.idle();
}

async function recordOf(bot: StartedBot, clientContext: string): Promise<OperationRecord | undefined> {
  return (await bot.operations()).find((record) => record.clientContext === clientContext);
}

/** The invite requests the simulator received for a call, with the status it answered each with. */
function inviteRequests(sim: Simulator, callId: string): number[] {
  return sim
    .requests()
    .filter((request) => request.method === "POST" && request.path.endsWith(`/calls/${callId}/participants/invite`))
    .map((request) => request.status);
}

type Delivered = ReturnType<Simulator["deliveries"]>[number];

/** The `resourceData` of a delivery's first notification, as sent. */
function resourceData(delivery: Delivered | undefined): Record<string, unknown> {
  const [first] = (delivery?.body.value ?? []) as Array<{ resourceData?: unknown }>;
  return (first?.resourceData ?? {}) as Record<string, unknown>;
}

interface NotificationBody {
  value: Array<{ resource: string; resourceUrl: string; changeType: string; resourceData: Record<string, unknown> }>;
}

/** The reference page's example 1 terminal notification, about another call, operation, context and status. */
function operationNotification(options: {
  callId: string;
  operationId: string;
  clientContext: string | undefined;
  status: string;
  changeType?: string;
  resultInfo?: Record<string, unknown>;
}): string {
  const body = example<NotificationBody>("example-1-invite-one-participant.operation-completed.json");
  const [notification] = body.value;
  if (notification === undefined) throw new Error("example 1 has no notification");
  notification.resource = `/app/calls/${options.callId}/operations/${options.operationId}`;
  notification.resourceUrl = `/communications/calls/${options.callId}/operations/${options.operationId}`;
  notification.changeType = options.changeType ?? "deleted";
  notification.resourceData["id"] = options.operationId;
  notification.resourceData["status"] = options.status;
  if (options.clientContext === undefined) delete notification.resourceData["clientContext"];
  else notification.resourceData["clientContext"] = options.clientContext;
  if (options.resultInfo !== undefined) notification.resourceData["resultInfo"] = options.resultInfo;
  return JSON.stringify(body);
}

/** Resolves with the first `operation` event of `clientContext` whose step is `event`. */
function nextStep(bot: StartedBot, clientContext: string, event: Step): Promise<OperationRecord> {
  return new Promise((resolve) => {
    const stop = bot.on("operation", ({ record, step }) => {
      if (record.clientContext === clientContext && step.event === event) {
        stop();
        resolve(record);
      }
    });
  });
}

describe("how an invite ends", () => {
  const world = sharedWorld();

  test("completed: Graph's answer, then the terminal notification, and the invitee joins", async () => {
    const w = world();
    const call = arrange(w);
    const outcome = await w.bot.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())), {
      callKind: "group",
    });
    expect(outcome).toMatchObject({ status: "completed", callId: call.id, resultInfo: null, error: null });
    const [operation] = w.sim.operations().filter((op) => op.callId === call.id);
    expect(outcome.operationId).toBe(operation?.id);
    expect(outcome.clientContext).toBe(operation?.clientContext);
    expect(steps(outcome.record)).toEqual(["sent", "accepted", "notification"]);
    await quiet(w);
    expect(await recordOf(w.bot, outcome.clientContext)).toMatchObject({ status: "completed", late: false });
    expect((await w.bot.roster(call.id)).participants).toHaveLength(1);
  });

  test("failed: a decline's code, subcode and message are surfaced as the outcome's resultInfo", async () => {
    const w = world();
    const phone = "+14255550100";
    const call = arrange(w, {
      answers: { [phone]: { kind: "decline", code: 486, subcode: 5501, message: "Busy here." } },
    });
    const outcome = await w.bot.inviteAndWait(call.id, inviteBody(phoneParticipant(phone)));
    expect(outcome.status).toBe("failed");
    expect(outcome.resultInfo).toMatchObject({ code: 486, subcode: 5501, message: "Busy here." });
    expect(outcome.record.resultInfo).toEqual(outcome.resultInfo);
    expect(outcome.record.history.at(-1)).toMatchObject({ event: "notification", status: "failed" });
    await quiet(w);
    expect((await w.bot.roster(call.id)).participants).toEqual([]);
  });

  test("no answer: the invite fails with the simulator's 408 once the invitee stops ringing", async () => {
    const w = world();
    const user = randomUUID();
    const call = arrange(w, { answers: { [user]: { kind: "no-answer", afterMs: 50 } } });
    const outcome = await w.bot.inviteAndWait(call.id, inviteBody(userParticipant(user)));
    expect(outcome.status).toBe("failed");
    expect(outcome.resultInfo).toMatchObject({ code: 408, subcode: 0 });
    expect(steps(outcome.record)).toEqual(["sent", "accepted", "notification"]);
    await quiet(w);
  });

  test("the terminal notification before the HTTP response: completed, with the operation id", async () => {
    const w = world();
    const call = arrange(w, { delivery: { terminalBeforeResponse: true } });
    const outcome = await w.bot.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())));
    expect(outcome.status).toBe("completed");
    const [operation] = w.sim.operations().filter((op) => op.callId === call.id);
    expect(outcome.operationId).toBe(operation?.id);
    expect(steps(outcome.record)).toEqual(["sent", "notification", "accepted"]);
    // Graph's answer said `running`; the record keeps the notification's terminal status.
    expect(outcome.record.history[2]).toMatchObject({ event: "accepted", status: "running" });
    expect(outcome.record.status).toBe("completed");
    await quiet(w);
  });

  test("`id: null` in the notification: correlated by clientContext, the id read from the resource path", async () => {
    const w = world();
    const call = arrange(w, { deviations: ["null-ids"] });
    const outcome = await w.bot.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())));
    expect(outcome.status).toBe("completed");
    await quiet(w);
    const sent = w.sim.deliveries().find((delivery) => delivery.callId === call.id && delivery.kind === "operation");
    expect(resourceData(sent)["id"]).toBeNull();
    expect(outcome.operationId).toBe(w.sim.operations().find((op) => op.callId === call.id)?.id);
    expect(await w.bot.unmatched()).toEqual([]);
  });

  test("`id: null` before the HTTP response: still correlated, and the id is known", async () => {
    const w = world();
    const call = arrange(w, { deviations: ["null-ids"], delivery: { terminalBeforeResponse: true } });
    const outcome = await w.bot.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())));
    expect(outcome.status).toBe("completed");
    expect(steps(outcome.record)).toEqual(["sent", "notification", "accepted"]);
    expect(outcome.operationId).toBe(w.sim.operations().find((op) => op.callId === call.id)?.id);
    await quiet(w);
  });

  test("`Failed` with codes as strings and `id: null`: failed, the codes surfaced as numbers", async () => {
    const w = world();
    const user = randomUUID();
    const call = arrange(w, {
      answers: { [user]: { kind: "decline", code: 603, subcode: 5400, message: "Declined." } },
      deviations: ["null-ids", "status-casing", "codes-as-strings"],
    });
    const outcome = await w.bot.inviteAndWait(call.id, inviteBody(userParticipant(user)));
    expect(outcome.status).toBe("failed");
    expect(outcome.resultInfo).toEqual(expect.objectContaining({ code: 603, subcode: 5400, message: "Declined." }));
    expect(outcome.record.history.at(-1)).toMatchObject({ event: "notification", status: "failed" });
    await quiet(w);
    const sent = resourceData(
      w.sim.deliveries().find((delivery) => delivery.callId === call.id && delivery.kind === "operation"),
    );
    expect(sent).toMatchObject({ id: null, status: "Failed", resultInfo: { code: "603", subcode: "5400" } });
  });
});

describe("deliveries that repeat or arrive out of order", () => {
  const world = sharedWorld();

  test("every notification twice with the same message id: the copies are dropped, one outcome", async () => {
    const w = world();
    const call = arrange(w, { delivery: { duplicate: true } });
    const duplicates: string[] = [];
    const stop = w.bot.on("duplicate", ({ messageId }) => {
      duplicates.push(messageId);
    });
    const outcome = await w.bot.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())));
    await quiet(w);
    stop();
    expect(outcome.status).toBe("completed");
    const sent = w.sim.deliveries().filter((delivery) => delivery.callId === call.id);
    expect(sent.map((delivery) => [delivery.kind, delivery.duplicate, delivery.outcome])).toEqual([
      ["operation", false, "delivered"],
      ["operation", true, "delivered"],
      ["roster", false, "delivered"],
      ["roster", true, "delivered"],
    ]);
    expect(duplicates).toHaveLength(2);
    const record = await recordOf(w.bot, outcome.clientContext);
    // The endpoint drops the copy by its message id, so the tracker never sees it: no `duplicate-notification`.
    expect(steps(record)).toEqual(["sent", "accepted", "notification"]);
    expect((await w.bot.operations(call.id)).length).toBe(1);
    expect((await w.bot.roster(call.id)).participants).toHaveLength(1);
  });

  test("an invite's notifications newest first: the terminal one is still applied once", async () => {
    const w = world();
    const [ann, bob] = [randomUUID(), randomUUID()];
    const call = arrange(w, {
      answers: { [ann]: { kind: "accept", afterMs: 10 }, [bob]: { kind: "accept", afterMs: 40 } },
      delivery: { reorder: true },
    });
    const outcome = await w.bot.inviteAndWait(call.id, inviteBody([userParticipant(ann), userParticipant(bob)]), {
      callKind: "group",
    });
    await quiet(w);
    expect(outcome.status).toBe("completed");
    // Held until the operation ended and sent newest first: bob's roster, the terminal notification, ann's roster.
    const sent = w.sim.deliveries().filter((delivery) => delivery.callId === call.id);
    expect(sent.map((delivery) => delivery.kind)).toEqual(["roster", "operation", "roster"]);
    expect(steps(await recordOf(w.bot, outcome.clientContext))).toEqual(["sent", "accepted", "notification"]);
  });

  test("duplicated, reordered and before the response at once: one outcome, no extra step", async () => {
    const w = world();
    const call = arrange(w, { delivery: { duplicate: true, reorder: true, terminalBeforeResponse: true } });
    const outcome = await w.bot.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())));
    await quiet(w);
    expect(outcome.status).toBe("completed");
    expect(steps(await recordOf(w.bot, outcome.clientContext))).toEqual(["sent", "notification", "accepted"]);
  });

  test("a repeated terminal notification under another message id is recorded as a duplicate", async () => {
    const w = world();
    const call = arrange(w);
    const outcome = await w.bot.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())));
    await quiet(w);
    const operationId = outcome.operationId ?? "";
    expect(operationId).not.toBe("");
    // Without clientContext, so it is matched by the operation's id.
    const body = operationNotification({ callId: call.id, operationId, clientContext: undefined, status: "failed" });
    const answer = await postNotification(w.bot, body, await signedHeaders(w.sim));
    expect(answer.status).toBe(202);
    await w.bot.idle();
    const record = await recordOf(w.bot, outcome.clientContext);
    expect(steps(record)).toEqual(["sent", "accepted", "notification", "duplicate-notification"]);
    expect(record?.history.at(-1)).toMatchObject({ status: "failed" });
    // The first terminal notification decided the outcome.
    expect(record?.status).toBe("completed");
    expect(await w.bot.unmatched()).toEqual([]);
  });
});

describe("the clientContext", () => {
  const world = sharedWorld();

  test("one the caller gives is sent as it is and kept", async () => {
    const w = world();
    const call = arrange(w);
    const clientContext = `caller-${randomUUID()}`;
    const outcome = await w.bot.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID()), clientContext));
    expect(outcome).toMatchObject({ status: "completed", clientContext });
    expect(outcome.record.request.clientContext).toBe(clientContext);
    expect(w.sim.operations().find((op) => op.callId === call.id)?.clientContext).toBe(clientContext);
    await quiet(w);
  });

  test("one is generated when the body has none, and is the one Graph received", async () => {
    const w = world();
    const call = arrange(w);
    const outcome = await w.bot.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())));
    expect(outcome.clientContext).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(w.sim.operations().find((op) => op.callId === call.id)?.clientContext).toBe(outcome.clientContext);
    await quiet(w);
  });

  test("reusing one throws, while the first invite waits and after it ended, and sends nothing", async () => {
    const w = world();
    const user = randomUUID();
    const call = arrange(w, { answers: { [user]: { kind: "accept", afterMs: 100 } } });
    const clientContext = randomUUID();
    const first = w.bot.inviteAndWait(call.id, inviteBody(userParticipant(user), clientContext));
    await expect(
      w.bot.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID()), clientContext)),
    ).rejects.toThrow(/used by an earlier invite/);
    expect((await first).status).toBe("completed");
    await expect(
      w.bot.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID()), clientContext)),
    ).rejects.toThrow(/used by an earlier invite/);
    await quiet(w);
    expect(inviteRequests(w.sim, call.id)).toEqual([200]);
    expect(await w.bot.operations(call.id)).toHaveLength(1);
  });
});

describe("invites refused before sending", () => {
  const world = sharedWorld();

  const cases: Array<{
    name: string;
    participants: () => InvitationParticipantInfo[];
    kind: "group" | "p2p";
    code: string;
    pointer: string;
  }> = [
    {
      name: "six participants",
      participants: () => Array.from({ length: 6 }, () => userParticipant(randomUUID())),
      kind: "group",
      code: "invite.max-participants",
      pointer: "/participants",
    },
    {
      name: "two application participants",
      participants: () => [applicationParticipant(randomUUID()), applicationParticipant(randomUUID())],
      kind: "group",
      code: "invite.single-bot",
      pointer: "/participants/1/identity/application",
    },
    {
      name: "two participants into a peer-to-peer call",
      participants: () => [userParticipant(randomUUID()), userParticipant(randomUUID())],
      kind: "p2p",
      code: "invite.multiple-participants-group-call-only",
      pointer: "/participants",
    },
  ];

  test.each(cases)("$name: rejected with $code at $pointer, and nothing is sent", async (given) => {
    const w = world();
    w.sim.setScenario({});
    const call = w.sim.createCall({ kind: given.kind, callbackUri: w.bot.callbackUrl });
    const outcome = await w.bot.inviteAndWait(call.id, inviteBody(given.participants()), { callKind: given.kind });
    expect(outcome.status).toBe("rejected");
    expect(outcome.operationId).toBeNull();
    expect(outcome.error?.kind).toBe("validation");
    const issues = outcome.error?.kind === "validation" ? outcome.error.issues : [];
    expect(issues).toContainEqual(expect.objectContaining({ code: given.code, pointer: given.pointer }));
    expect(inviteRequests(w.sim, call.id)).toEqual([]);
    const record = await recordOf(w.bot, outcome.clientContext);
    expect(record).toMatchObject({ status: "rejected", callId: call.id, error: { kind: "validation" } });
    expect(steps(record)).toEqual(["refused"]);
    expect(record?.history[0]?.detail).toContain(given.code);
  });

  test("a second bot when one is in the call already (`botInCall`)", async () => {
    const w = world();
    const call = arrange(w);
    const outcome = await w.bot.inviteAndWait(call.id, inviteBody(applicationParticipant(randomUUID())), {
      callKind: "group",
      botInCall: true,
    });
    expect(outcome.status).toBe("rejected");
    expect(outcome.error).toMatchObject({
      kind: "validation",
      issues: [expect.objectContaining({ code: "invite.single-bot" })],
    });
    expect(inviteRequests(w.sim, call.id)).toEqual([]);
  });
});

describe("invites Graph refuses", () => {
  const other = { appId: randomUUID(), secret: "other-secret", tenantId: randomUUID() };
  const mine = { appId: randomUUID(), secret: "my-secret", tenantId: randomUUID() };
  const world = sharedWorld({ apps: [mine, other] });

  test("into a call Graph does not know: rejected with Graph's 404", async () => {
    const w = world();
    w.sim.setScenario({});
    const callId = randomUUID();
    const outcome = await w.bot.inviteAndWait(callId, inviteBody(userParticipant(randomUUID())));
    expect(outcome).toMatchObject({ status: "rejected", operationId: null, resultInfo: null });
    expect(outcome.error).toMatchObject({ kind: "graph", status: 404, code: "ItemNotFound", ambiguous: false });
    expect(steps(outcome.record)).toEqual(["sent", "refused"]);
    expect(inviteRequests(w.sim, callId)).toEqual([404]);
    expect(await recordOf(w.bot, outcome.clientContext)).toMatchObject({ status: "rejected" });
  });

  test("into another app's call: rejected with Graph's 403", async () => {
    const w = world();
    w.sim.setScenario({});
    const call = w.sim.createCall({ kind: "group", callbackUri: w.bot.callbackUrl, appId: other.appId });
    const outcome = await w.bot.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())));
    expect(outcome.status).toBe("rejected");
    expect(outcome.error).toMatchObject({ kind: "graph", status: 403, ambiguous: false });
    expect(w.sim.operations().filter((op) => op.callId === call.id)).toEqual([]);
  });

  test("a 503 is retried by the client, and the retry completes", async () => {
    const w = world();
    const call = arrange(w, { rejectInvites: [{ status: 503 }] });
    const outcome = await w.bot.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())));
    expect(outcome).toMatchObject({ status: "completed", error: null });
    expect(inviteRequests(w.sim, call.id)).toEqual([503, 200]);
    expect(steps(outcome.record)).toEqual(["sent", "accepted", "notification"]);
    await quiet(w);
  });

  test("429 on every attempt: the client gives up after its 4 attempts, rejected with the 429", async () => {
    const w = world();
    const call = arrange(w, { rejectInvites: Array.from({ length: 4 }, () => ({ status: 429, retryAfter: "0.02" })) });
    const outcome = await w.bot.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())));
    expect(outcome.status).toBe("rejected");
    expect(outcome.error).toMatchObject({ kind: "graph", status: 429, retryAfter: 0.02, ambiguous: false });
    expect(inviteRequests(w.sim, call.id)).toEqual([429, 429, 429, 429]);
    expect(steps(outcome.record)).toEqual(["sent", "refused"]);
    await quiet(w);
  });
});

describe("timeouts, late and foreign notifications", () => {
  const world = sharedWorld();

  test("a delivery slower than the timeout: timed-out, then the late notification is recorded", async () => {
    const w = world();
    // Graph's answer must come before the timeout and the notification after it: margins a loaded CI machine keeps.
    const call = arrange(w, { delivery: { delayMs: 2500, drop: ["roster"] } });
    const late: OperationRecord[] = [];
    const stop = w.bot.on("operation", ({ record, step }) => {
      if (step.event === "late-notification") late.push(record);
    });
    const outcome = await w.bot.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())), { timeoutMs: 1000 });
    expect(outcome.status).toBe("timed-out");
    expect(outcome.resultInfo).toBeNull();
    expect(steps(outcome.record)).toEqual(["sent", "accepted", "timed-out"]);
    await quiet(w);
    stop();
    const record = await recordOf(w.bot, outcome.clientContext);
    expect(record).toMatchObject({ status: "completed", late: true, operationId: outcome.operationId });
    expect(steps(record)).toEqual(["sent", "accepted", "timed-out", "late-notification"]);
    expect(record?.history.at(-1)).toMatchObject({ status: "completed" });
    expect(late.map((entry) => entry.clientContext)).toEqual([outcome.clientContext]);
  });

  test("an invitee who rings past the timeout: timed-out, then failed late with its resultInfo", async () => {
    const w = world();
    const user = randomUUID();
    const call = arrange(w, { answers: { [user]: { kind: "no-answer", afterMs: 2500, code: 480, subcode: 10 } } });
    const outcome = await w.bot.inviteAndWait(call.id, inviteBody(userParticipant(user)), { timeoutMs: 1000 });
    expect(outcome.status).toBe("timed-out");
    await quiet(w);
    const record = await recordOf(w.bot, outcome.clientContext);
    expect(record).toMatchObject({ status: "failed", late: true, resultInfo: { code: 480, subcode: 10 } });
    expect(steps(record)).toEqual(["sent", "accepted", "timed-out", "late-notification"]);
  });

  test("timed out before Graph even answered: the late terminal notification and the answer are both kept", async () => {
    const w = world();
    const user = randomUUID();
    const call = arrange(w, {
      answers: { [user]: { kind: "no-answer", afterMs: 2500 } },
      delivery: { terminalBeforeResponse: true },
    });
    const clientContext = randomUUID();
    // Graph's answer comes after the notification was delivered, so possibly after the simulator has settled.
    const accepted = nextStep(w.bot, clientContext, "accepted");
    const outcome = await w.bot.inviteAndWait(call.id, inviteBody(userParticipant(user), clientContext), {
      timeoutMs: 1000,
    });
    expect(outcome).toMatchObject({ status: "timed-out", operationId: null });
    expect(steps(outcome.record)).toEqual(["sent", "timed-out"]);
    await quiet(w);
    await accepted;
    const record = await recordOf(w.bot, outcome.clientContext);
    expect(record).toMatchObject({ status: "failed", late: true, resultInfo: { code: 408 } });
    expect(record?.operationId).toBe(w.sim.operations().find((op) => op.callId === call.id)?.id);
    expect(steps(record)).toEqual(["sent", "timed-out", "late-notification", "accepted"]);
  });

  test("a terminal notification for an operation the bot never started: 202, kept as unmatched", async () => {
    const w = world();
    const call = arrange(w);
    const clientContext = randomUUID();
    const operationId = randomUUID();
    const seen: unknown[] = [];
    const stop = w.bot.on("unmatched", (entry) => seen.push(entry));
    const body = operationNotification({ callId: call.id, operationId, clientContext, status: "completed" });
    const answer = await postNotification(w.bot, body, await signedHeaders(w.sim));
    expect(answer.status).toBe(202);
    await w.bot.idle();
    stop();
    const unmatched = (await w.bot.unmatched()).filter((entry) => entry.callId === call.id);
    expect(unmatched).toHaveLength(1);
    expect(unmatched[0]?.reason).toContain(clientContext);
    expect(unmatched[0]?.notification).toMatchObject({
      resourceUrl: `/communications/calls/${call.id}/operations/${operationId}`,
      resourceData: { id: operationId, clientContext, status: "completed" },
    });
    expect(seen).toEqual(unmatched);
    expect((await w.bot.operations()).some((record) => record.clientContext === clientContext)).toBe(false);
  });

  test("a `running` notification before Graph's answer moves the record to running", async () => {
    const w = world();
    const user = randomUUID();
    const call = arrange(w, {
      answers: { [user]: { kind: "accept", afterMs: 400 } },
      delivery: { terminalBeforeResponse: true },
    });
    const clientContext = randomUUID();
    const sent = nextStep(w.bot, clientContext, "sent");
    const pending = w.bot.inviteAndWait(call.id, inviteBody(userParticipant(user), clientContext));
    await sent;
    const operation = await vi.waitFor(() => {
      const found = w.sim.operations().find((op) => op.clientContext === clientContext);
      if (found === undefined) throw new Error("the simulator has not received the invite yet");
      return found;
    });
    const body = operationNotification({
      callId: call.id,
      operationId: operation.id,
      clientContext,
      status: "running",
      changeType: "updated",
    });
    expect((await postNotification(w.bot, body, await signedHeaders(w.sim))).status).toBe(202);
    await w.bot.idle();
    const running = await recordOf(w.bot, clientContext);
    expect(running).toMatchObject({ status: "running", operationId: operation.id });
    expect(running?.history.map((step) => [step.event, step.status])).toEqual([
      ["sent", undefined],
      ["notification", "running"],
    ]);
    const outcome = await pending;
    expect(outcome.status).toBe("completed");
    expect(steps(outcome.record)).toEqual(["sent", "notification", "notification", "accepted"]);
    await quiet(w);
  });
});

describe("aborting the wait", () => {
  const world = sharedWorld();

  test("rejects with the signal's reason; the record stays and completes when the notification comes", async () => {
    const w = world();
    const user = randomUUID();
    const call = arrange(w, { answers: { [user]: { kind: "accept", afterMs: 300 } } });
    const clientContext = randomUUID();
    const controller = new AbortController();
    const reason = new Error("the caller hung up");
    const accepted = nextStep(w.bot, clientContext, "accepted");
    const pending = w.bot.inviteAndWait(call.id, inviteBody(userParticipant(user), clientContext), {
      signal: controller.signal,
    });
    await accepted;
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(await recordOf(w.bot, clientContext)).toMatchObject({ status: "running" });
    await quiet(w);
    const record = await recordOf(w.bot, clientContext);
    expect(record).toMatchObject({ status: "completed", late: false });
    expect(steps(record)).toEqual(["sent", "accepted", "notification"]);
  });

  test("a signal aborted before the call: rejects with its reason, as documented", async () => {
    const w = world();
    const call = arrange(w);
    const reason = new Error("aborted before starting");
    const outcome = w.bot.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())), {
      signal: AbortSignal.abort(reason),
      timeoutMs: 1_000,
    });
    await expect(outcome).rejects.toBe(reason);
    await quiet(w);
  });

  test("a signal that never aborts is left without the invite's listener once the invite ended", async () => {
    const { sim } = world();
    sim.setScenario({});
    // A bot whose client does not see the signal, so that every abort listener left on it is the tracker's.
    const client = createInviteClient({ credential: sim.credential(), baseUrl: sim.graphUrl });
    const bot = await startBot({
      client: { ...client, invite: (callId, body) => client.invite(callId, body) },
      auth: { appId: sim.app.appId, openIdConfigurationUrl: sim.openIdConfigurationUrl },
    });
    try {
      const call = sim.createCall({ kind: "group", callbackUri: bot.callbackUrl });
      const controller = new AbortController();
      for (let invite = 0; invite < 3; invite++) {
        const outcome = await bot.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())), {
          signal: controller.signal,
        });
        expect(outcome.status).toBe("completed");
      }
      await sim.settled();
      expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    } finally {
      await bot.close();
    }
  });
});

describe("no operation lost or stuck", () => {
  const world = sharedWorld();

  const answer: fc.Arbitrary<Answer> = fc.oneof(
    fc.record({ kind: fc.constant("accept" as const), afterMs: fc.integer({ min: 0, max: 60 }) }),
    fc.record({
      kind: fc.constantFrom("decline" as const, "no-answer" as const),
      afterMs: fc.integer({ min: 0, max: 60 }),
      code: fc.integer({ min: 400, max: 699 }),
      subcode: fc.integer({ min: 0, max: 9999 }),
      message: fc.constant("not joined"),
    }),
  );
  const invites = fc.array(
    fc.record({ call: fc.nat({ max: 3 }), answers: fc.array(answer, { minLength: 1, maxLength: 3 }) }),
    { minLength: 20, maxLength: 30 },
  );
  const delivery = fc.record({
    delayMs: fc.integer({ min: 0, max: 15 }),
    duplicate: fc.boolean(),
    reorder: fc.boolean(),
    terminalBeforeResponse: fc.boolean(),
  });
  const chosenDeviations: fc.Arbitrary<Deviation[]> = fc.subarray([...deviations]);

  test("concurrent invites with random answers, deliveries and deviations all end as their invitees answered", async () => {
    const w = world();
    await fc.assert(
      fc.asyncProperty(invites, delivery, chosenDeviations, async (planned, controls, deviated) => {
        const plan = planned.map((invite) => ({
          call: invite.call,
          invitees: invite.answers.map((given) => ({ id: randomUUID(), answer: given })),
        }));
        const answers = Object.fromEntries(plan.flatMap((invite) => invite.invitees.map((i) => [i.id, i.answer])));
        w.sim.setScenario({ answers, delivery: controls, deviations: deviated });
        const calls = Array.from({ length: 4 }, () =>
          w.sim.createCall({ kind: "group", callbackUri: w.bot.callbackUrl }),
        );
        const outcomes = await Promise.all(
          plan.map((invite) =>
            w.bot.inviteAndWait(
              calls[invite.call]?.id ?? "",
              inviteBody(invite.invitees.map((invitee) => userParticipant(invitee.id))),
              // A safety net: an invite that is never settled shows as timed-out instead of hanging the test.
              { callKind: "group", timeoutMs: 60_000 },
            ),
          ),
        );
        await quiet(w);

        const records = (await Promise.all(calls.map((call) => w.bot.operations(call.id)))).flat();
        expect(records).toHaveLength(plan.length);
        const simulated = w.sim.operations();
        plan.forEach((invite, index) => {
          const outcome = outcomes[index];
          const failure = invite.invitees.find((invitee) => invitee.answer.kind !== "accept")?.answer;
          const expected = failure === undefined ? "completed" : "failed";
          // On failure, what Graph sent for the invite's operation: a notification Graph gave up on after its retries
          // (each attempt may take 10 s) is told apart from one the bot lost.
          const sent = w.sim
            .deliveries()
            .filter((delivery) => delivery.operationId !== undefined && delivery.operationId === outcome?.operationId)
            .map((delivery) => `${delivery.outcome}: ${delivery.attempts.map((a) => a.status ?? a.error).join(", ")}`);
          expect(outcome?.status, `deliveries of the operation: ${sent.join("; ") || "none"}`).toBe(expected);
          if (failure !== undefined && failure.kind !== "accept") {
            expect(outcome?.resultInfo).toMatchObject({ code: failure.code, subcode: failure.subcode });
          }
          const record = records.find((candidate) => candidate.clientContext === outcome?.clientContext);
          expect(record?.status).toBe(expected);
          expect(record?.late).toBe(false);
          const events = steps(record);
          expect(events.filter((event) => event === "accepted")).toHaveLength(1);
          expect(events.filter((event) => event === "notification")).toHaveLength(1);
          expect(events.filter((event) => event !== "accepted" && event !== "notification")).toEqual(["sent"]);
          const operation = simulated.find((op) => op.clientContext === outcome?.clientContext);
          expect(operation?.status).toBe(expected);
          expect(record?.operationId).toBe(operation?.id);
        });
        expect(records.filter((record) => record.status === "sending" || record.status === "running")).toEqual([]);
        const unmatched = await w.bot.unmatched();
        expect(unmatched.filter((entry) => calls.some((call) => call.id === entry.callId))).toEqual([]);
      }),
      { numRuns: 12, endOnFailure: true },
    );
    // About 4 s alone; CI runs every package's suite at once on two cores, where it has taken over 30 s.
  }, 180_000);
});
