// The invite tracker end to end, over loopback against the simulator: `inviteAndWait` resolves exactly once per
// invite with how it ended (completed, failed with Graph's resultInfo), whatever order and copies Graph's
// notifications arrive in, and the clientContext that ties them to the invite.

import { randomUUID } from "node:crypto";
import { inviteBody, phoneParticipant, userParticipant } from "@graph-invite/client";
import { describe, expect, test } from "vitest";
import { lifecycle, postNotification, signedHeaders } from "./harness.js";
import {
  arrange,
  inviteRequests,
  operationNotification,
  quiet,
  recordOf,
  resourceData,
  steps,
} from "./tracker-operations.js";

const { sharedWorld } = lifecycle();

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
