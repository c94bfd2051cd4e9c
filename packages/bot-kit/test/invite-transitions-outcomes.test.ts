// The invite's state transitions with no store, timer or server: the history they keep, whether a waiter can have
// its outcome, and the outcome and the first record. The end-to-end tests (tracker*.test.ts) show the same rules
// through the tracker; these name the rule that broke.

import { describe, expect, test } from "vitest";
import { type InviteStatus, maxHistory } from "../src/bot-store.js";
import {
  appendStep,
  checkedTimeoutMs,
  describeResult,
  ended,
  firstRecord,
  isReady,
  outcomeOf,
} from "../src/invite-transitions.js";
import { maxInviteTimeoutMs } from "../src/invite-types.js";
import { example } from "./harness.js";
import { callId, clientContext, createdAt, dropped, operationId, recordAt } from "./invite-transitions-fixtures.js";

describe("the history", () => {
  test("each step is added with its time, which becomes the record's updatedAt", () => {
    const record = recordAt("running");
    const event = appendStep(record, { event: "notification", status: "running" }, "2026-01-01T00:01:00.000Z");
    expect(event).toEqual({ at: "2026-01-01T00:01:00.000Z", event: "notification", status: "running" });
    expect(record.history.at(-1)).toEqual(event);
    expect(record.updatedAt).toBe("2026-01-01T00:01:00.000Z");
    expect(record.droppedSteps).toBeUndefined();
  });

  test(`beyond ${maxHistory} steps the first is kept, the oldest of the rest dropped and counted`, () => {
    const record = recordAt("running");
    for (let index = 1; index < maxHistory; index++) {
      appendStep(record, { event: "duplicate-notification", detail: `${index}` }, createdAt);
    }
    expect(record.history).toHaveLength(maxHistory);
    appendStep(record, { event: "duplicate-notification", detail: "last" }, createdAt);
    appendStep(record, { event: "duplicate-notification", detail: "after last" }, createdAt);
    expect(record.history).toHaveLength(maxHistory);
    expect(record.history[0]?.event).toBe("sent");
    expect(record.history[1]?.detail).toBe("3");
    expect(record.history.at(-1)?.detail).toBe("after last");
    expect(record.droppedSteps).toBe(2);
  });
});

describe("whether a waiter can have its outcome", () => {
  const cases: Array<[InviteStatus, boolean, boolean, boolean]> = [
    // status, answered, ready for the outcome, ready for the answer
    ["sending", false, false, false],
    ["sending", true, false, false],
    ["running", false, false, true],
    ["running", true, false, true],
    ["completed", false, false, true],
    ["completed", true, true, true],
    ["failed", true, true, true],
    ["rejected", false, false, true],
    ["rejected", true, true, true],
    ["timed-out", false, true, true],
  ];
  test.each(cases)("%s, answered %s: outcome %s, answer %s", (status, answered, forOutcome, forAnswer) => {
    const record = recordAt(status);
    expect(isReady({ until: "outcome", answered }, record)).toBe(forOutcome);
    expect(isReady({ until: "answer", answered }, record)).toBe(forAnswer);
  });

  test("an ambiguous failure is an answer to wait for, not an outcome", () => {
    const record = recordAt("sending", { error: dropped });
    expect(isReady({ until: "answer", answered: false }, record)).toBe(true);
    expect(isReady({ until: "outcome", answered: true }, record)).toBe(false);
    expect(ended(record)).toBe(false);
  });
});

describe("the outcome and the first record", () => {
  test("an invite still open when its outcome is asked for has timed out; an ended one is as it ended", () => {
    const record = recordAt("running");
    const outcome = outcomeOf(record);
    expect(outcome).toMatchObject({ status: "timed-out", callId, clientContext, operationId, error: null });
    expect(outcome.record).toEqual(record);
    expect(outcome.record).not.toBe(record);
    expect(outcomeOf(recordAt("failed")).status).toBe("failed");
  });

  test("resultInfo reads as Microsoft's tools print it", () => {
    expect(describeResult({ code: 403, subcode: 9, message: " no " })).toBe("403/9  no");
    expect(describeResult(null)).toBeUndefined();
  });

  test("the timeout is an integer from 1 to the longest delay Node's timers honour", () => {
    expect(checkedTimeoutMs(1)).toBe(1);
    expect(checkedTimeoutMs(maxInviteTimeoutMs)).toBe(maxInviteTimeoutMs);
    for (const bad of [0, -1, 1.5, maxInviteTimeoutMs + 1, Number.NaN]) {
      expect(() => checkedTimeoutMs(bad)).toThrow(RangeError);
    }
  });

  test("a valid invite starts sending, with its deadline; one that breaks the rules is rejected unsent", () => {
    const request = completedRequest();
    const fields = {
      clientContext,
      callId,
      request,
      fingerprint: "f",
      sentAt: Date.parse(createdAt),
      timeoutMs: 60_000,
    };
    const sent = firstRecord(fields, {});
    expect(sent.record).toMatchObject({ status: "sending", deadline: "2026-01-01T00:01:00.000Z", revision: 0 });
    expect(sent.record.history).toEqual([]);
    expect(sent.step).toEqual({ event: "sent", detail: `POST /communications/calls/${callId}/participants/invite` });

    const two = { ...request, participants: [...request.participants, ...request.participants] };
    const refusedFirst = firstRecord({ ...fields, request: two }, { callKind: "p2p" });
    expect(refusedFirst.record.status).toBe("rejected");
    expect(refusedFirst.record.deadline).toBeNull();
    expect(refusedFirst.record.error?.kind).toBe("validation");
    expect(refusedFirst.step.event).toBe("refused");
    expect(refusedFirst.step.detail).toMatch(/^not sent: /);
  });
});

/** The reference page's first invite request. */
function completedRequest() {
  return example<{ participants: never[]; clientContext: string }>("example-1-invite-one-participant.request.json");
}
