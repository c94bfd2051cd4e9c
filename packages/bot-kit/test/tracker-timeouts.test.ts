// The invite tracker end to end, over loopback against the simulator: invites that time out; a late, a repeated or
// a foreign terminal notification is recorded, never dropped; and no operation is lost or left sending or running.

import { randomUUID } from "node:crypto";
import { inviteBody, userParticipant } from "@graph-invite/client";
import { type Answer, type Deviation, deviations } from "@graph-invite/simulator";
import fc from "fast-check";
import { describe, expect, test, vi } from "vitest";
import type { OperationRecord } from "../src/index.js";
import { lifecycle, postNotification, signedHeaders } from "./harness.js";
import { arrange, nextStep, operationNotification, quiet, recordOf, steps } from "./tracker-operations.js";

const { sharedWorld } = lifecycle();

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
