// More cases of the invite's state transitions: the facts an invite is checked with before it is sent, what a refused
// invite's record says, the statuses Graph's answer may carry, and how results and errors read. Each pins a rule that
// the tracker's callers see (the outcome, its error, its history).
import type { InviteResult } from "@graph-invite/client";
import type { InviteParticipantsRequest, ResultInfo } from "@graph-invite/types";
import { describe, expect, test } from "vitest";
import type { InviteStatus, OperationRecord } from "../src/bot-store.js";
import {
  applyAnswer,
  checkedTimeoutMs,
  describeResult,
  firstRecord,
  type InviteFields,
  outcomeOf,
} from "../src/invite-transitions.js";
import { maxInviteTimeoutMs } from "../src/invite-types.js";

const callId = "ab6233a5-20b7-4c5e-bea2-ce56c9776429";
const clientContext = "f2fa86af-3c51-4bc2-8fc0-475452d9764f";
const operationId = "0fe0623f-d628-42ed-b4bd-8ac290072cc5";
const createdAt = "2026-01-01T00:00:00.000Z";

/** A participant named by one identity of `kind` (`user`, `application`, …), optionally replacing a call. */
function participant(kind: string, id: string, replacesCallId?: string) {
  return {
    "@odata.type": "#microsoft.graph.invitationParticipantInfo",
    ...(replacesCallId !== undefined && { replacesCallId }),
    identity: {
      "@odata.type": "#microsoft.graph.identitySet",
      [kind]: { "@odata.type": "#microsoft.graph.identity", id, displayName: `${kind} ${id.slice(0, 4)}` },
    },
  };
}

const alice = participant("user", "7e1b4346-85a6-4bdd-abe3-d11c5d420efe");
const bob = participant("user", "1e126418-44a0-4a94-a6f8-0efe1ad71acb");
const helperBot = participant("application", "2b4a0a9c-5d0c-4a37-9c3a-1f5e6c8d9e01");

function fieldsFor(participants: readonly unknown[]): InviteFields {
  return {
    clientContext,
    callId,
    request: { participants, clientContext } as unknown as InviteParticipantsRequest,
    fingerprint: "f",
    sentAt: Date.parse(createdAt),
    timeoutMs: 60_000,
  };
}

/** A record as the tracker keeps it, at `status`. */
function recordAt(status: InviteStatus): OperationRecord {
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
  };
}

/** Graph's 200 answer with an operation at `status`, carrying `resultInfo`. */
const answered = (status: string, resultInfo: ResultInfo | null = null): InviteResult => ({
  ok: true,
  operation: { id: operationId, status, clientContext, resultInfo } as never,
  operationId,
  location: null,
  requestId: "request-1",
  clientContext,
});

describe("the facts an invite is checked with before it is sent", () => {
  test("the call's kind is passed on: two participants are refused in a peer-to-peer call, sent otherwise", () => {
    const fields = fieldsFor([alice, bob]);
    expect(firstRecord(fields, {}).record.status).toBe("sending");
    expect(firstRecord(fields, { callKind: "group" }).record.status).toBe("sending");
    const refused = firstRecord(fields, { callKind: "p2p" });
    expect(refused.record.status).toBe("rejected");
    expect(refused.step.detail).toBe("not sent: invite.multiple-participants-group-call-only");
  });

  test("a bot already in the call is passed on: inviting another bot is refused then, sent otherwise", () => {
    const fields = fieldsFor([helperBot]);
    expect(firstRecord(fields, {}).record.status).toBe("sending");
    expect(firstRecord(fields, { botInCall: false }).record.status).toBe("sending");
    const refused = firstRecord(fields, { botInCall: true });
    expect(refused.record.status).toBe("rejected");
    expect(refused.step.detail).toBe("not sent: invite.single-bot");
  });

  test("participants Graph would ignore refuse the invite unless the caller accepts them with a warning", () => {
    const replaced = "a7ebfb2d-871e-419c-87af-27290b22e8db";
    const fields = fieldsFor([participant("user", "7e1b4346", replaced), participant("user", "1e126418", replaced)]);
    expect(firstRecord(fields, {}).record.status).toBe("rejected");
    expect(firstRecord(fields, { ignoredParticipants: "error" }).record.status).toBe("rejected");
    expect(firstRecord(fields, { ignoredParticipants: "warning" }).record.status).toBe("sending");
  });
});

describe("the first record", () => {
  test("a sent invite's record: sending, not late, no id, result or error yet, created when it was sent", () => {
    const { record } = firstRecord(fieldsFor([alice]), {});
    expect(record).toStrictEqual({
      clientContext,
      callId,
      operationId: null,
      status: "sending",
      request: { participants: [alice], clientContext },
      fingerprint: "f",
      resultInfo: null,
      error: null,
      late: false,
      createdAt,
      updatedAt: createdAt,
      deadline: "2026-01-01T00:01:00.000Z",
      revision: 0,
      history: [],
    });
  });

  test("a refused invite's error names each broken rule's pointer and message; its step lists the codes", () => {
    const nobody = { "@odata.type": "#microsoft.graph.invitationParticipantInfo", identity: {} };
    const { record, step } = firstRecord(fieldsFor([nobody, nobody]), { callKind: "group" });
    expect(record.status).toBe("rejected");
    const issues = record.error?.kind === "validation" ? record.error.issues : [];
    expect(issues.map((issue) => issue.pointer)).toEqual(["/participants/0/identity", "/participants/1/identity"]);
    expect(issues[0]?.message).toMatch(/^The identity set names no identity/);
    expect(record.error).toMatchObject({
      kind: "validation",
      ambiguous: false,
      message: `the invite breaks the reference page's rules: /participants/0/identity: ${issues[0]?.message}; /participants/1/identity: ${issues[1]?.message}`,
    });
    expect(step).toEqual({
      event: "refused",
      detail: "not sent: invite.identity-set-not-empty, invite.identity-set-not-empty",
    });
  });

  test("a timeout out of range is refused with a message that names the setting, the range and the value", () => {
    expect(() => checkedTimeoutMs(0)).toThrow(`timeoutMs must be an integer from 1 to ${maxInviteTimeoutMs}, not 0`);
  });
});

describe("the statuses Graph's answer may carry", () => {
  test("completed at once ends the invite with the answer's resultInfo", () => {
    const record = recordAt("sending");
    const resultInfo = { code: 200, subcode: 0, message: "done at once" };
    const step = applyAnswer(record, answered("completed", resultInfo));
    expect(record.status).toBe("completed");
    expect(record.resultInfo).toEqual(resultInfo);
    expect(step.status).toBe("completed");
  });

  test("notStarted is no outcome: the invite is running, and the step keeps what Graph said", () => {
    const record = recordAt("sending");
    const step = applyAnswer(record, answered("notStarted"));
    expect(record.status).toBe("running");
    expect(step.status).toBe("notStarted");
  });

  test("a status Graph adds later is read as running, in the record and in the step", () => {
    const record = recordAt("sending");
    const step = applyAnswer(record, answered("awaitingConsent"));
    expect(record.status).toBe("running");
    expect(step.status).toBe("running");
  });

  test("a running answer's resultInfo is not the outcome's: the record keeps none until the invite ends", () => {
    const record = recordAt("sending");
    applyAnswer(record, answered("running", { code: 100, subcode: 0, message: "in progress" }));
    expect(record.status).toBe("running");
    expect(record.resultInfo).toBeNull();
  });

  test("an answer with no trace parent adds no traceparent field to the record", () => {
    const record = recordAt("sending");
    applyAnswer(record, answered("running"));
    expect(record).toStrictEqual({ ...recordAt("sending"), status: "running", operationId });
  });
});

describe("how outcomes and results read", () => {
  test("an invite still sending when its outcome is asked for has timed out", () => {
    expect(outcomeOf(recordAt("sending")).status).toBe("timed-out");
  });

  test("a resultInfo's missing parts read as ?, and no resultInfo reads as nothing", () => {
    expect(describeResult(undefined)).toBeUndefined();
    expect(describeResult({} as ResultInfo)).toBe("?/?");
    expect(describeResult({ code: 500 } as ResultInfo)).toBe("500/?");
  });
});
