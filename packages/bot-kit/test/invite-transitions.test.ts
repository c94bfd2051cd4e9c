// The invite's state transitions, one by one, with no store, timer or server: each rule of what Graph's answer, a
// notification or the deadline does to a record. The end-to-end tests (tracker*.test.ts) show the same rules through
// the tracker; these name the rule that broke. Notifications go through the real parser, from the reference page's
// example.
import type { InviteError, InviteResult } from "@graph-invite/client";
import { type OperationNotification, parseNotifications } from "@graph-invite/validator";
import { describe, expect, test } from "vitest";
import { type InviteStatus, maxHistory, type OperationRecord } from "../src/bot-store.js";
import {
  appendStep,
  applyAnswer,
  applyDeadline,
  applyNotification,
  checkedTimeoutMs,
  describeResult,
  ended,
  firstRecord,
  hasAnswer,
  isReady,
  outcomeOf,
} from "../src/invite-transitions.js";
import { maxInviteTimeoutMs } from "../src/invite-types.js";
import { example } from "./harness.js";

const callId = "ab6233a5-20b7-4c5e-bea2-ce56c9776429";
const clientContext = "f2fa86af-3c51-4bc2-8fc0-475452d9764f";
const operationId = "0fe0623f-d628-42ed-b4bd-8ac290072cc5";
const createdAt = "2026-01-01T00:00:00.000Z";

/** A record as the tracker keeps it, at `status`. */
function recordAt(status: InviteStatus, changes: Partial<OperationRecord> = {}): OperationRecord {
  return {
    clientContext,
    callId,
    operationId: status === "sending" ? null : operationId,
    status,
    request: { participants: [], clientContext },
    resultInfo: null,
    error: null,
    late: false,
    createdAt,
    updatedAt: createdAt,
    deadline: "2026-01-01T00:03:00.000Z",
    revision: 1,
    history: [{ at: createdAt, event: "sent" }],
    ...changes,
  };
}

const completedBody = example<{ value: Array<Record<string, unknown>> }>(
  "example-1-invite-one-participant.operation-completed.json",
);

/** The reference page's operation notification, parsed, with this status, id, clientContext and result. */
function notification(
  status: string,
  options: { readonly id?: string | null; readonly idOnly?: boolean; readonly code?: number } = {},
): OperationNotification {
  const body = structuredClone(completedBody);
  const resourceData = (body.value[0] as { resourceData: Record<string, unknown> }).resourceData;
  resourceData["status"] = status;
  resourceData["id"] = options.id === undefined ? operationId : options.id;
  if (options.idOnly === true) delete resourceData["clientContext"];
  else resourceData["clientContext"] = clientContext;
  resourceData["resultInfo"] =
    options.code === undefined ? null : { code: options.code, subcode: 5, message: `ended with ${options.code}` };
  const parsed = parseNotifications(JSON.stringify(body), { mode: "tolerant" });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const [classified] = parsed.notifications;
  if (classified?.kind !== "operation") throw new Error(`not an operation notification: ${classified?.kind}`);
  return classified;
}

const accepted = (status: string | null, id: string | null = operationId): InviteResult => ({
  ok: true,
  operation:
    status === null
      ? null
      : ({
          id,
          status,
          clientContext,
          resultInfo: status === "failed" ? { code: 403, subcode: 7, message: "refused at once" } : null,
        } as never),
  operationId: id,
  location: null,
  requestId: "request-1",
  clientContext,
});

const refused = (error: InviteError): InviteResult => ({ ok: false, error, clientContext });
const forbidden: InviteError = {
  kind: "graph",
  status: 403,
  code: "Forbidden",
  message: "Graph refused the invite",
  ambiguous: false,
  requestId: null,
  clientRequestId: null,
  date: null,
  retryAfter: null,
  body: null,
};
const dropped: InviteError = {
  kind: "network",
  message: "socket hang up",
  ambiguous: true,
  cause: new Error("ECONNRESET"),
};

describe("a notification's change to the record", () => {
  test("running while sending: the invite is running, and takes the notification's operation id", () => {
    const record = recordAt("sending");
    const step = applyNotification(record, notification("running"));
    expect(record.status).toBe("running");
    expect(record.operationId).toBe(operationId);
    expect(step).toEqual({ event: "notification", status: "running", detail: undefined });
  });

  test("a late running (after the outcome) changes nothing: a terminal status never goes back", () => {
    for (const status of ["completed", "failed", "rejected", "timed-out"] as const) {
      const record = recordAt(status, { resultInfo: { code: 200, subcode: 1, message: "kept" } });
      const before = structuredClone(record);
      const step = applyNotification(record, notification("running"));
      expect(record, status).toEqual(before);
      expect(step).toEqual({ event: "notification", status: "running", detail: undefined });
    }
  });

  test("notStarted is no outcome: a sending invite is running, a running one stays so", () => {
    const record = recordAt("running");
    const step = applyNotification(record, notification("notStarted"));
    expect(record.status).toBe("running");
    expect(step).toEqual({ event: "notification", status: "notStarted", detail: undefined });
    const sending = recordAt("sending");
    applyNotification(sending, notification("notStarted"));
    expect(sending.status).toBe("running");
  });

  test("completed or failed while running: the outcome, with Graph's resultInfo", () => {
    for (const status of ["completed", "failed"] as const) {
      const record = recordAt("running");
      const step = applyNotification(record, notification(status, { code: 487 }));
      expect(record.status).toBe(status);
      expect(record.late).toBe(false);
      expect(record.resultInfo).toEqual({ code: 487, subcode: 5, message: "ended with 487" });
      expect(step).toEqual({ event: "notification", status, detail: "487/5 ended with 487" });
    }
  });

  test("the outcome before Graph's answer (still sending) is the outcome", () => {
    const record = recordAt("sending");
    applyNotification(record, notification("completed", { code: 200 }));
    expect(record.status).toBe("completed");
    expect(record.operationId).toBe(operationId);
  });

  test("a terminal status is never overwritten: the same or another outcome again is a duplicate", () => {
    for (const [first, second] of [
      ["completed", "completed"],
      ["completed", "failed"],
      ["failed", "completed"],
      ["failed", "failed"],
    ] as const) {
      const record = recordAt("running");
      applyNotification(record, notification(first, { code: 1 }));
      const before = structuredClone(record);
      const step = applyNotification(record, notification(second, { code: 2 }));
      expect(record, `${first} then ${second}`).toEqual(before);
      expect(step).toEqual({ event: "duplicate-notification", status: second, detail: "2/5 ended with 2" });
    }
  });

  test("an outcome after the deadline is recorded as late", () => {
    const record = recordAt("timed-out");
    const step = applyNotification(record, notification("failed", { code: 408 }));
    expect(record.status).toBe("failed");
    expect(record.late).toBe(true);
    expect(record.resultInfo?.code).toBe(408);
    expect(step.event).toBe("late-notification");
  });

  test("an outcome for an invite whose sending was refused is taken: Graph carried it out after all", () => {
    const record = recordAt("rejected", { operationId: null, error: forbidden });
    const step = applyNotification(record, notification("completed", { code: 200 }));
    expect(record.status).toBe("completed");
    expect(record.late).toBe(false);
    expect(step.event).toBe("notification");
  });

  test("the operation id is taken once and never replaced; a notification without one leaves it", () => {
    const record = recordAt("running", { operationId: "the-first-id" });
    applyNotification(record, notification("running", { id: "another-id" }));
    expect(record.operationId).toBe("the-first-id");
    const sending = recordAt("sending");
    const idless = { ...notification("running"), operationId: null };
    applyNotification(sending, idless);
    expect(sending.operationId).toBeNull();
  });
});

describe("Graph's answer's change to the record", () => {
  test("accepted while sending: running, with the operation id and the answer's status in the step", () => {
    const record = recordAt("sending");
    const step = applyAnswer(record, accepted("running"));
    expect(record.status).toBe("running");
    expect(record.operationId).toBe(operationId);
    expect(step).toEqual({ event: "accepted", status: "running", detail: `HTTP 200, operation ${operationId}` });
  });

  test("accepted without a body: running, the step says there was no id", () => {
    const record = recordAt("sending");
    const step = applyAnswer(record, accepted(null, null));
    expect(record.status).toBe("running");
    expect(record.operationId).toBeNull();
    expect(step.detail).toBe("HTTP 200, operation (no id)");
  });

  test("an answer that is already final ends the invite, with its resultInfo", () => {
    const record = recordAt("sending");
    applyAnswer(record, accepted("failed"));
    expect(record.status).toBe("failed");
    expect(record.resultInfo).toEqual({ code: 403, subcode: 7, message: "refused at once" });
  });

  test("an answer after the outcome (the notification came first) leaves the outcome", () => {
    const record = recordAt("sending");
    applyNotification(record, notification("completed", { code: 200 }));
    const step = applyAnswer(record, accepted("running"));
    expect(record.status).toBe("completed");
    expect(record.resultInfo?.code).toBe(200);
    expect(step.event).toBe("accepted");
  });

  test("an answer without an id keeps the id a notification brought first", () => {
    const record = recordAt("sending");
    applyNotification(record, notification("running"));
    applyAnswer(record, accepted(null, null));
    expect(record.operationId).toBe(operationId);
  });

  test("refused: rejected, with the error, and nothing will come", () => {
    const record = recordAt("sending");
    const step = applyAnswer(record, refused(forbidden));
    expect(record.status).toBe("rejected");
    expect(record.error).toEqual(forbidden);
    expect(step).toEqual({ event: "refused", detail: "Graph refused the invite" });
    expect(hasAnswer(record)).toBe(true);
  });

  test("a refusal after the outcome leaves the outcome", () => {
    const record = recordAt("completed");
    applyAnswer(record, refused(forbidden));
    expect(record.status).toBe("completed");
  });

  test("an ambiguous failure keeps waiting (Graph may have acted), with the cause kept as text", () => {
    const record = recordAt("sending");
    expect(hasAnswer(record)).toBe(false);
    const step = applyAnswer(record, refused(dropped));
    expect(record.status).toBe("sending");
    expect(record.error).toEqual({ ...dropped, cause: "Error: ECONNRESET" });
    expect(step).toEqual({ event: "send-failed", detail: "socket hang up" });
    expect(hasAnswer(record)).toBe(true);
  });

  test("the trace parent of the invite's span is kept, the first one only", () => {
    const record = recordAt("sending");
    applyAnswer(record, accepted("running"), "00-first-01");
    applyAnswer(record, accepted("running"), "00-second-01");
    expect(record.traceparent).toBe("00-first-01");
  });
});

describe("the deadline's change to the record", () => {
  test("an open invite times out", () => {
    for (const status of ["sending", "running"] as const) {
      const record = recordAt(status);
      const step = applyDeadline(record);
      expect(record.status).toBe("timed-out");
      expect(step).toEqual({
        event: "timed-out",
        detail: "no terminal notification by the deadline, 2026-01-01T00:03:00.000Z",
      });
      expect(outcomeOf(record).status).toBe("timed-out");
    }
  });

  test("an invite that ended stays as it ended, and there is nothing to write", () => {
    for (const status of ["completed", "failed", "rejected", "timed-out"] as const) {
      const record = recordAt(status);
      const before = structuredClone(record);
      expect(applyDeadline(record), status).toBeUndefined();
      expect(record).toEqual(before);
    }
  });
});

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
