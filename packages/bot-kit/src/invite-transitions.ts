// How an invite's record changes, step by step, with no I/O and no timers: given the record (a copy the caller may
// change) and what happened (Graph's answer, a notification, the deadline), the next record and the step to add to
// its history. The invite tracker reads and writes records, keeps the timers and wakes the waiters; what the record
// becomes is decided here, so that each rule can be checked on its own.
import type { InviteError, InviteResult } from "@graph-invite/client";
import type { InviteParticipantsRequest, ResultInfo } from "@graph-invite/types";
import {
  canonicalStatus,
  type Issue,
  type OperationNotification,
  validateInviteRequest,
} from "@graph-invite/validator";
import { type InviteStatus, maxHistory, type OperationEvent, type OperationRecord } from "./bot-store.js";
import { type InviteAndWaitOptions, type InviteOutcome, maxInviteTimeoutMs } from "./invite-types.js";

/** The statuses that nothing changes any more: a later notification is a duplicate, the deadline does nothing. */
export const terminal: ReadonlySet<InviteStatus> = new Set<InviteStatus>(["completed", "failed", "rejected"]);

/** The most stored steps of an operation are the first one and the latest; the change describes the step. */
export type Step = Omit<OperationEvent, "at">;

/** What the tracker knows of one waiter when it decides whether to wake it. */
export interface WaiterState {
  /** `answer` when the waiter wants only Graph's answer to the invite (or its end), not the outcome. */
  readonly until: "answer" | "outcome";
  /** Graph's answer has been applied to the record (or the waiter does not wait for it). */
  readonly answered: boolean;
}

/** What a new invite's first record is made of. */
export interface InviteFields {
  readonly clientContext: string;
  readonly callId: string;
  readonly request: InviteParticipantsRequest;
  readonly fingerprint: string;
  /** Epoch ms. */
  readonly sentAt: number;
  readonly timeoutMs: number;
}

/**
 * @returns `timeoutMs`, checked.
 * @throws RangeError when `timeoutMs` is not an integer from 1 to {@link maxInviteTimeoutMs}.
 */
export function checkedTimeoutMs(timeoutMs: number): number {
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > maxInviteTimeoutMs) {
    throw new RangeError(`timeoutMs must be an integer from 1 to ${maxInviteTimeoutMs}, not ${timeoutMs}`);
  }
  return timeoutMs;
}

/**
 * A new invite's first record and step: `sending` when it passes the reference page's rules (with the facts in
 * `options`), else `rejected` and never sent.
 */
export function firstRecord(
  fields: InviteFields,
  options: InviteAndWaitOptions,
): { readonly record: OperationRecord; readonly step: Step } {
  const sent = sentRecord(fields);
  const checked = validateInviteRequest(fields.request, {
    ...(options.callKind !== undefined && { callKind: options.callKind }),
    ...(options.botInCall !== undefined && { botInCall: options.botInCall }),
    // Explicit, whatever the validator's default: an invite whose participants Graph would drop is not sent unless
    // the caller says so.
    ignoredParticipants: options.ignoredParticipants ?? "error",
  });
  return checked.ok ? sent : refusedRecord(sent.record, checked.errors);
}

/** A new invite's first record, `sending` until Graph answers, and the step that records it was sent. */
export function sentRecord(fields: InviteFields): { readonly record: OperationRecord; readonly step: Step } {
  const { clientContext, callId, request, fingerprint, sentAt, timeoutMs } = fields;
  const now = new Date(sentAt).toISOString();
  const record: OperationRecord = {
    clientContext,
    callId,
    operationId: null,
    status: "sending",
    request,
    fingerprint,
    resultInfo: null,
    error: null,
    late: false,
    createdAt: now,
    updatedAt: now,
    deadline: new Date(sentAt + timeoutMs).toISOString(),
    revision: 0,
    history: [],
  };
  return { record, step: { event: "sent", detail: `POST /communications/calls/${callId}/participants/invite` } };
}

/** The first record of an invite the checks before sending refused: `rejected`, with no deadline, never sent. */
export function refusedRecord(
  sent: OperationRecord,
  issues: readonly Issue[],
): { readonly record: OperationRecord; readonly step: Step } {
  const error: InviteError = {
    kind: "validation",
    message: `the invite breaks the reference page's rules: ${issues.map((issue) => `${issue.pointer}: ${issue.message}`).join("; ")}`,
    ambiguous: false,
    issues,
  };
  return {
    record: { ...sent, status: "rejected", error, deadline: null },
    step: { event: "refused", detail: `not sent: ${issues.map((i) => i.code).join(", ")}` },
  };
}

/** An operation notification's change to the record. */
export function applyNotification(record: OperationRecord, notification: OperationNotification): Step {
  const { operationId } = notification;
  if (record.operationId === null && operationId !== null) record.operationId = operationId;
  const detail = describeResult(notification.resultInfo);
  // A status Graph adds later (an evolvable enum's unknown value) is not an outcome: the invite is still running.
  const status = notification.status === "completed" ? "completed" : notification.status === "failed" ? "failed" : null;
  if (status === null) {
    if (record.status === "sending") record.status = "running";
    return { event: "notification", status: notification.status, detail };
  }
  if (record.status === "completed" || record.status === "failed") {
    return { event: "duplicate-notification", status, detail };
  }
  const late = record.status === "timed-out";
  record.late ||= late;
  record.status = status;
  record.resultInfo = notification.resultInfo;
  return { event: late ? "late-notification" : "notification", status, detail };
}

/** Graph's answer to the invite request: its change to the record. */
export function applyAnswer(record: OperationRecord, result: InviteResult, traceparent?: string): Step {
  if (traceparent !== undefined) record.traceparent ??= traceparent;
  if (result.ok) {
    record.operationId ??= result.operationId;
    const answeredStatus = canonicalStatus(result.operation?.status ?? "running") ?? "running";
    if (record.status === "sending") {
      record.status = answeredStatus === "completed" || answeredStatus === "failed" ? answeredStatus : "running";
      if (terminal.has(record.status)) record.resultInfo = result.operation?.resultInfo ?? null;
    }
    return {
      event: "accepted",
      status: answeredStatus,
      detail: `HTTP 200, operation ${result.operationId ?? "(no id)"}`,
    };
  }
  const error = storable(result.error);
  record.error = error;
  // An ambiguous failure (a dropped connection, a timeout) may hide an invite Graph carried out: keep waiting for its
  // notification.
  if (!error.ambiguous && record.status === "sending") record.status = "rejected";
  return { event: error.ambiguous ? "send-failed" : "refused", detail: error.message };
}

/**
 * The deadline's change to the record: an invite still open becomes timed-out; one that ended (without Graph's answer
 * having arrived, or on another instance) stays as it ended, and undefined says there is nothing to write.
 */
export function applyDeadline(record: OperationRecord): Step | undefined {
  if (ended(record)) return undefined;
  record.status = "timed-out";
  return { event: "timed-out", detail: `no terminal notification by the deadline, ${record.deadline}` };
}

/**
 * Adds the step to the record's history at `at` (ISO 8601), keeping the first step and the latest ones within
 * {@link maxHistory}, and returns the event as stored.
 */
export function appendStep(record: OperationRecord, step: Step, at: string): OperationEvent {
  const event: OperationEvent = { at, ...step };
  record.history.push(event);
  if (record.history.length > maxHistory) {
    // The first step says how the invite began; the latest say where it stands.
    record.history.splice(1, record.history.length - maxHistory);
    record.droppedSteps = (record.droppedSteps ?? 0) + 1;
  }
  record.updatedAt = at;
  return event;
}

/** Graph's answer to the invite has been applied to the record (or it never needed one). */
export const hasAnswer = (record: OperationRecord): boolean => record.status !== "sending" || record.error !== null;

/** The invite has an outcome: a terminal one, or its deadline passed. */
export const ended = (record: OperationRecord): boolean => terminal.has(record.status) || record.status === "timed-out";

/**
 * Whether a waiter can have its outcome now. One that waits for the outcome of its own invite gets a terminal status
 * only once Graph's answer is applied, so that the outcome carries what the answer said; the deadline ends every wait.
 */
export function isReady(waiter: WaiterState, record: OperationRecord): boolean {
  return waiter.until === "answer"
    ? hasAnswer(record) || ended(record)
    : record.status === "timed-out" || (terminal.has(record.status) && waiter.answered);
}

/** How the invite ended as its callers are told: an invite still open at this point has timed out. */
export function outcomeOf(record: OperationRecord): InviteOutcome {
  const status = record.status === "sending" || record.status === "running" ? "timed-out" : record.status;
  return {
    status,
    callId: record.callId,
    clientContext: record.clientContext,
    operationId: record.operationId,
    resultInfo: record.resultInfo,
    error: record.error,
    record: structuredClone(record),
  };
}

/** `code/subcode message`, as Microsoft's tools print a resultInfo. */
export function describeResult(resultInfo: ResultInfo | null | undefined): string | undefined {
  if (resultInfo === null || resultInfo === undefined) return undefined;
  return `${resultInfo.code ?? "?"}/${resultInfo.subcode ?? "?"} ${resultInfo.message ?? ""}`.trim();
}

/** The error with its `cause` as text: a thrown value may not survive being copied into a store. */
function storable(error: InviteError): InviteError {
  return "cause" in error ? { ...error, cause: String(error.cause) } : error;
}
