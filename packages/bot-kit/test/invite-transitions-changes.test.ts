// The invite's state transitions, one by one, with no store, timer or server: each rule of what Graph's answer, a
// notification or the deadline does to a record. The end-to-end tests (tracker*.test.ts) show the same rules through
// the tracker; these name the rule that broke. Notifications go through the real parser, from the reference page's
// example.

import { describe, expect, test } from "vitest";
import { applyAnswer, applyDeadline, applyNotification, hasAnswer, outcomeOf } from "../src/invite-transitions.js";
import {
  accepted,
  dropped,
  forbidden,
  notification,
  operationId,
  recordAt,
  refused,
} from "./invite-transitions-fixtures.js";

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
