// Follows each invite from its request to its terminal notification. Graph's answer to the invite only says that
// the operation is running; how it ended comes later, at the callback URL, and may come before the answer itself,
// with `id: null`. So operations are keyed by the `clientContext` the bot sends, and by Graph's id once known.
import type { InviteClient, InviteError, InviteResult } from "@graph-invite/client";
import type { InviteParticipantsRequest, ResultInfo } from "@graph-invite/types";
import {
  type CallKind,
  canonicalStatus,
  type OperationNotification,
  validateInviteRequest,
} from "@graph-invite/validator";
import type { KeyedQueue } from "./queue.js";
import { type BotStore, type InviteStatus, maxHistory, type OperationEvent, type OperationRecord } from "./store.js";
import type { TimeSlices } from "./turns.js";

/** An invite rings for about a minute before Graph gives up, so a shorter wait would report live invites as lost. */
export const defaultInviteTimeoutMs = 180_000;

export interface InviteAndWaitOptions {
  /** How long to wait for the terminal notification. Default {@link defaultInviteTimeoutMs}. */
  readonly timeoutMs?: number;
  /** Stops waiting (and sending, if it has not finished); the promise rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** The kind of call, for the reference page's rules (more than one participant only in a group call). */
  readonly callKind?: CallKind;
  /** Another bot is in the call already, so inviting one more is refused. */
  readonly botInCall?: boolean;
  /**
   * What to make of participants Graph would ignore (all but the first with `replacesCallId`, or when moving one):
   * `error` (the default) refuses the invite, `warning` sends it as it is.
   */
  readonly ignoredParticipants?: "error" | "warning";
}

export interface InviteOutcome {
  /**
   * `completed` or `failed` from the terminal notification; `rejected` when Graph (or the checks before sending)
   * refused the invite; `timed-out` when no terminal notification came in time. A late one is still recorded.
   */
  readonly status: "completed" | "failed" | "rejected" | "timed-out";
  readonly callId: string;
  readonly clientContext: string;
  readonly operationId: string | null;
  /** For `failed`: Graph's code, subcode and message. */
  readonly resultInfo: ResultInfo | null;
  /** For `rejected`, and for a `timed-out` invite whose sending failed without a clear answer. */
  readonly error: InviteError | null;
  readonly record: OperationRecord;
}

export interface OperationChange {
  readonly record: OperationRecord;
  readonly step: OperationEvent;
}

interface TrackerDeps {
  readonly client: InviteClient;
  readonly store: BotStore;
  readonly queue: KeyedQueue;
  /** Gives the event loop a turn between notifications. */
  readonly slices: TimeSlices;
  readonly defaultTimeoutMs: number;
  readonly onChange: (change: OperationChange) => void;
  /** Keeps a notification that matches nothing the bot tracks. */
  readonly keepUnmatched: (callId: string | undefined, reason: string, notification: unknown) => Promise<void>;
}

interface Waiter {
  /** Graph's answer has been applied to the record. */
  answered: boolean;
  readonly resolve: (outcome: InviteOutcome) => void;
  readonly reject: (reason: unknown) => void;
}

/** The most id-only notifications held for an answer that may bring their id; beyond that they are unmatched. */
const maxEarly = 1000;

const terminal = new Set<InviteStatus>(["completed", "failed", "rejected"]);

/** The longest delay Node's timers honour (2^31 - 1 ms, about 24.8 days); a longer one fires at once. */
export const maxInviteTimeoutMs = 2 ** 31 - 1;

/**
 * The queue key of every change to an operation record. Graph's answer and the notifications about one operation
 * must not read and write its record at the same time, and the call id of a notification's path need not be spelt
 * as the caller spelt it, so they cannot rely on the call's queue.
 */
const operationsQueue = "\u0000operations";

/** An invite was given the `clientContext` of an earlier one; Graph needs each to be unique. */
export class ClientContextInUse extends Error {
  constructor(readonly clientContext: string) {
    super(`clientContext ${clientContext} was used by an earlier invite; Graph needs it to be unique.`);
    this.name = "ClientContextInUse";
  }
}

export class OperationTracker {
  private readonly waiters = new Map<string, Waiter>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  /**
   * Notifications that name only an operation id nobody knows yet, while invites still wait for Graph's answer: one
   * of those answers may bring the id. They are recorded as unmatched once no invite is left unanswered.
   */
  private readonly early = new Map<string, OperationNotification>();

  constructor(private readonly deps: TrackerDeps) {}

  /**
   * Invites, then waits for the operation's terminal notification. Resolves with how it ended; rejects only when
   * `signal` aborts, when the bot closes first, or when `clientContext` has been used before.
   *
   * @throws RangeError when `timeoutMs` is not an integer from 1 to {@link maxInviteTimeoutMs}.
   */
  async inviteAndWait(
    callId: string,
    body: InviteParticipantsRequest,
    options: InviteAndWaitOptions = {},
  ): Promise<InviteOutcome> {
    const { store, queue, client } = this.deps;
    options.signal?.throwIfAborted();
    const timeoutMs = options.timeoutMs ?? this.deps.defaultTimeoutMs;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > maxInviteTimeoutMs) {
      throw new RangeError(`timeoutMs must be an integer from 1 to ${maxInviteTimeoutMs}, not ${timeoutMs}`);
    }
    const clientContext = body.clientContext ?? crypto.randomUUID();
    if ((await store.operationByContext(clientContext)) !== undefined || this.waiters.has(clientContext)) {
      throw new ClientContextInUse(clientContext);
    }
    const request = { ...body, clientContext };
    const now = new Date().toISOString();
    const record: OperationRecord = {
      clientContext,
      callId,
      operationId: null,
      status: "sending",
      request,
      resultInfo: null,
      error: null,
      late: false,
      createdAt: now,
      updatedAt: now,
      history: [],
    };

    const checked = validateInviteRequest(request, {
      ...(options.callKind !== undefined && { callKind: options.callKind }),
      ...(options.botInCall !== undefined && { botInCall: options.botInCall }),
      // Explicit, whatever the validator's default: an invite whose participants Graph would drop is not sent unless
      // the caller says so.
      ignoredParticipants: options.ignoredParticipants ?? "error",
    });
    if (!checked.ok) {
      const issues = checked.errors;
      const error: InviteError = {
        kind: "validation",
        message: `the invite breaks the reference page's rules: ${issues.map((issue) => `${issue.pointer}: ${issue.message}`).join("; ")}`,
        ambiguous: false,
        issues,
      };
      record.status = "rejected";
      record.error = error;
      await this.save(record, { event: "refused", detail: `not sent: ${issues.map((i) => i.code).join(", ")}` });
      return outcomeOf(record);
    }

    const outcome = new Promise<InviteOutcome>((resolve, reject) => {
      this.waiters.set(clientContext, { answered: false, resolve, reject });
    });
    await this.save(record, { event: "sent", detail: `POST /communications/calls/${callId}/participants/invite` });

    // The timer outlives an abort: an invite aborted in flight may still have reached Graph, and its record must
    // end as timed-out rather than stay sending if no notification comes.
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void queue.run(operationsQueue, () => this.timeOut(clientContext, timeoutMs));
    }, timeoutMs);
    this.timers.add(timer);
    let onAbort: (() => void) | undefined;
    const abort = new Promise<never>((_, reject) => {
      onAbort = () => {
        // Nobody waits any more, so the timer alone should not keep the process alive.
        timer.unref();
        reject(options.signal?.reason);
      };
      options.signal?.addEventListener("abort", onAbort, { once: true });
    });
    // Neither rejects: the client reports every failure as a result, and the queue reports what its tasks throw.
    void client
      .invite(callId, request, options.signal !== undefined ? { signal: options.signal } : {})
      .then((result) => queue.run(operationsQueue, () => this.answered(clientContext, result)));
    try {
      const result = await Promise.race([outcome, abort]);
      clearTimeout(timer);
      this.timers.delete(timer);
      return result;
    } finally {
      if (onAbort !== undefined) options.signal?.removeEventListener("abort", onAbort);
      this.waiters.delete(clientContext);
    }
  }

  /**
   * Applies an operation notification, after every change to an operation record queued before it, and not before
   * `after` (the answer to its delivery) resolves.
   */
  onOperation(notification: OperationNotification, after?: Promise<void>): Promise<void> {
    return this.deps.queue.run(operationsQueue, async () => {
      await after;
      await this.deps.slices.pace();
      await this.applyNotification(notification);
    });
  }

  /**
   * Stops waiting: every pending `inviteAndWait` rejects, and no timer is left to keep the process alive. Records
   * stay as they are in the store.
   */
  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const waiter of this.waiters.values()) waiter.reject(new Error("the bot closed before the invite ended"));
    this.waiters.clear();
  }

  private async applyNotification(notification: OperationNotification): Promise<void> {
    const { store } = this.deps;
    const { clientContext, operationId } = notification;
    const record =
      (clientContext !== null ? await store.operationByContext(clientContext) : undefined) ??
      (operationId !== null ? await store.operationById(operationId) : undefined);
    if (record !== undefined) return this.apply(record, notification);
    if (clientContext === null && operationId !== null && this.unansweredInvites() && this.early.size < maxEarly) {
      this.early.set(operationId, notification);
      return;
    }
    await this.unmatched(notification);
  }

  private unmatched(notification: OperationNotification): Promise<void> {
    const { clientContext, operationId, status } = notification;
    return this.deps.keepUnmatched(
      notification.callId,
      `an operation notification (${status}) that matches no invite of this bot: clientContext ${clientContext ?? "null"}, id ${operationId ?? "null"}`,
      notification.notification,
    );
  }

  private unansweredInvites(): boolean {
    for (const waiter of this.waiters.values()) if (!waiter.answered) return true;
    return false;
  }

  /** Applies the notifications that waited for an answer's operation id, and gives up on the rest once none can come. */
  private async applyEarly(record: OperationRecord): Promise<void> {
    const early = record.operationId === null ? undefined : this.early.get(record.operationId);
    if (early !== undefined && record.operationId !== null) {
      this.early.delete(record.operationId);
      await this.apply(record, early);
    }
    if (this.unansweredInvites()) return;
    const rest = [...this.early.values()];
    this.early.clear();
    for (const notification of rest) await this.unmatched(notification);
  }

  private async apply(record: OperationRecord, notification: OperationNotification): Promise<void> {
    const { operationId, status } = notification;
    if (record.operationId === null && operationId !== null) record.operationId = operationId;
    const detail = describeResult(notification.resultInfo);
    if (status !== "completed" && status !== "failed") {
      if (record.status === "sending") record.status = "running";
      await this.save(record, { event: "notification", status, detail });
      return;
    }
    if (record.status === "completed" || record.status === "failed") {
      await this.save(record, { event: "duplicate-notification", status, detail });
      return;
    }
    const late = record.status === "timed-out";
    record.late ||= late;
    record.status = status;
    record.resultInfo = notification.resultInfo;
    await this.save(record, { event: late ? "late-notification" : "notification", status, detail });
    this.settle(record);
  }

  /** Applies Graph's answer to the invite request. Runs on the operations' queue. */
  private async answered(clientContext: string, result: InviteResult): Promise<void> {
    const record = await this.deps.store.operationByContext(clientContext);
    if (record === undefined) return;
    const waiter = this.waiters.get(clientContext);
    if (waiter !== undefined) waiter.answered = true;
    if (result.ok) {
      record.operationId ??= result.operationId;
      const answeredStatus = canonicalStatus(result.operation?.status ?? "running") ?? "running";
      if (record.status === "sending") {
        record.status = answeredStatus === "completed" || answeredStatus === "failed" ? answeredStatus : "running";
        if (terminal.has(record.status)) record.resultInfo = result.operation?.resultInfo ?? null;
      }
      await this.save(record, {
        event: "accepted",
        status: answeredStatus,
        detail: `HTTP 200, operation ${result.operationId ?? "(no id)"}`,
      });
    } else {
      const error = storable(result.error);
      record.error = error;
      // An ambiguous failure (a dropped connection, a timeout) may hide an invite Graph carried out: keep waiting
      // for its notification.
      if (!error.ambiguous && record.status === "sending") record.status = "rejected";
      await this.save(record, { event: error.ambiguous ? "send-failed" : "refused", detail: error.message });
    }
    this.settle(record);
    await this.applyEarly(record);
  }

  /**
   * The deadline: the invite's outcome as the store has it. One that ended without Graph's answer having arrived (or
   * on another instance sharing the store) is reported as it ended; one still open becomes timed-out.
   */
  private async timeOut(clientContext: string, timeoutMs: number): Promise<void> {
    const record = await this.deps.store.operationByContext(clientContext);
    if (record === undefined) return;
    if (!terminal.has(record.status) && record.status !== "timed-out") {
      record.status = "timed-out";
      await this.save(record, { event: "timed-out", detail: `no terminal notification within ${timeoutMs} ms` });
    }
    this.waiters.get(clientContext)?.resolve(outcomeOf(record));
  }

  /** Resolves the invite's waiter once both its answer and its outcome are known. */
  private settle(record: OperationRecord): void {
    const waiter = this.waiters.get(record.clientContext);
    if (waiter?.answered === true && terminal.has(record.status)) waiter.resolve(outcomeOf(record));
  }

  private async save(record: OperationRecord, step: Omit<OperationEvent, "at">): Promise<void> {
    const at = new Date().toISOString();
    const event: OperationEvent = { at, ...step };
    record.history.push(event);
    if (record.history.length > maxHistory) {
      // The first step says how the invite began; the latest say where it stands.
      record.history.splice(1, record.history.length - maxHistory);
      record.droppedSteps = (record.droppedSteps ?? 0) + 1;
    }
    record.updatedAt = at;
    await this.deps.store.putOperation(record);
    this.deps.onChange({ record: structuredClone(record), step: event });
  }
}

function outcomeOf(record: OperationRecord): InviteOutcome {
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
