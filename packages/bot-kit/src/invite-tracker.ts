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
import { inviteFingerprint } from "./fingerprint.js";
import type { KeyedQueue } from "./queue.js";
import type { RefusalSummary } from "./refusals.js";
import {
  type BotStore,
  type InviteStatus,
  maxHistory,
  type OperationEvent,
  type OperationRecord,
  type StoreChange,
} from "./store.js";
import { type KitSpan, Telemetry } from "./telemetry.js";
import type { TimeSlices } from "./turns.js";

/** An invite rings for about a minute before Graph gives up, so a shorter wait would report live invites as lost. */
export const defaultInviteTimeoutMs = 180_000;

/** Options of {@link Bot.inviteAndWait}: how long to wait, and the facts the reference page's rules need. */
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

/** How an invite ended, as {@link Bot.inviteAndWait} and {@link Bot.waitFor} resolve it. */
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
  /**
   * For `timed-out`: the callbacks this instance refused while the invite waited, by reason, with the latest one's
   * detail. A wrong app id shows here as `wrong-audience`, with the expected and the received audience.
   */
  readonly refusedWhileWaiting?: readonly RefusalSummary[];
}

/** What {@link OperationTracker.invite} returns once Graph has answered. */
export interface StartedInvite {
  /** The invite's correlation key: give it to `waitFor` to learn the outcome, from this instance or another. */
  readonly clientContext: string;
  /**
   * The bot's record of the invite as Graph's answer left it: `running` once Graph accepted it (`operationId` set),
   * `rejected` when Graph or the checks before sending refused it (`error` says why), `sending` with an ambiguous
   * `error` when the answer was lost, or already `completed`, `failed` or `timed-out`.
   */
  readonly operation: OperationRecord;
}

/** A step in an invite's life, with the record as it stands after it: the `operation` event. */
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
  /** How often the invites waited on are read again, in case the store's news of a change was lost. */
  readonly recheckIntervalMs: number;
  readonly onChange: (change: OperationChange) => void;
  /** Keeps a notification that matches nothing the bot tracks. */
  readonly keepUnmatched: (callId: string | undefined, reason: string, notification: unknown) => Promise<void>;
  /** Metrics and traces; none when absent. */
  readonly telemetry?: Telemetry;
}

interface Waiter {
  /** `answer` when the waiter wants only Graph's answer to the invite (or its end), not the outcome. */
  readonly until: "answer" | "outcome";
  /**
   * Graph's answer has been applied to the record. An invite's own waiter resolves with the outcome only after that,
   * so that the outcome carries what the answer said; one of {@link OperationTracker.waitFor} starts answered.
   */
  answered: boolean;
  readonly resolve: (outcome: InviteOutcome) => void;
  readonly reject: (reason: unknown) => void;
}

/** A waiter with the promise its resolution settles. */
type OutcomeWaiter = Waiter & { readonly outcome: Promise<InviteOutcome> };

/** The most id-only notifications held for an answer that may bring their id; beyond that they are unmatched. */
const maxEarly = 1000;

/** The most times a change to one record is redone because another writer changed the record first. */
const maxConflicts = 20;

const terminal = new Set<InviteStatus>(["completed", "failed", "rejected"]);

/** The most stored steps of an operation are the first one and the latest; the change describes the step. */
type Step = Omit<OperationEvent, "at">;

/** The longest delay Node's timers honour (2^31 - 1 ms, about 24.8 days); a longer one fires at once. */
export const maxInviteTimeoutMs = 2 ** 31 - 1;

/**
 * The queue key of every change to an operation record. Graph's answer and the notifications about one operation
 * must not read and write its record at the same time, and the call id of a notification's path need not be spelt
 * as the caller spelt it, so they cannot rely on the call's queue. (Other instances are kept out by the store's
 * compare-and-set instead.)
 */
const operationsQueue = "\u0000operations";

/**
 * An invite was given the `clientContext` of an earlier one with another call or body; Graph needs each to be unique.
 * (The same invite sent again with its `clientContext` is a retry, and reattaches to the first.)
 */
export class ClientContextInUse extends Error {
  constructor(readonly clientContext: string) {
    super(
      `clientContext ${clientContext} was used by an earlier invite with another call or body; Graph needs it to be unique.`,
    );
    this.name = "ClientContextInUse";
  }
}

/** {@link OperationTracker.waitFor} was given a `clientContext` the store has no invite for. */
export class UnknownInvite extends Error {
  constructor(readonly clientContext: string) {
    super(`no invite with clientContext ${clientContext} is in the store (never sent, or past its retention)`);
    this.name = "UnknownInvite";
  }
}

export class OperationTracker {
  /** Who waits on each invite, by clientContext: the invite's own caller, and any {@link waitFor}. */
  private readonly waiters = new Map<string, Set<Waiter>>();
  /** The deadline of each invite this instance knows to be waiting, by clientContext. */
  private readonly deadlines = new Map<string, ReturnType<typeof setTimeout>>();
  private recheckTimer: ReturnType<typeof setInterval> | undefined;
  /**
   * Notifications that name only an operation id nobody knows yet, while invites still wait for Graph's answer: one
   * of those answers may bring the id. They are recorded as unmatched once no invite is left unanswered.
   */
  private readonly early = new Map<string, OperationNotification>();
  /** The last fingerprint of an invite being begun: the next is taken after it. */
  private fingerprints: Promise<unknown> = Promise.resolve();
  /** Whether, a moment ago, an invite in the shared store still waited for Graph's answer. */
  private sharedAnswersAwaited: { readonly at: number; readonly awaited: boolean } | undefined;

  private readonly telemetry: Telemetry;

  constructor(private readonly deps: TrackerDeps) {
    this.telemetry = deps.telemetry ?? new Telemetry(false);
  }

  /**
   * Picks up the invites the store has in flight, from this instance before a restart or from one that is gone, so
   * that each ends on time, and starts reading waited-on invites again every `recheckIntervalMs`.
   */
  start(): Promise<void> {
    this.recheckTimer = setInterval(
      () => void this.deps.queue.run(operationsQueue, () => this.recheck()),
      this.deps.recheckIntervalMs,
    );
    this.recheckTimer.unref();
    return this.deps.queue.run(operationsQueue, async () => {
      for (const record of await this.deps.store.pendingOperations()) this.armDeadline(record);
    });
  }

  /**
   * Invites, then waits for the operation's terminal notification. Resolves with how it ended; rejects only when
   * `signal` aborts, when the bot closes first, or when `clientContext` has been used by a different invite. The
   * same invite sent again with its `clientContext` (same call, same body) is a retry: it sends nothing and waits for
   * the first one's outcome, or returns it if it has ended, on whichever instance sharing the store sent it.
   *
   * @throws RangeError when `timeoutMs` is not an integer from 1 to {@link maxInviteTimeoutMs}.
   */
  async inviteAndWait(
    callId: string,
    body: InviteParticipantsRequest,
    options: InviteAndWaitOptions = {},
  ): Promise<InviteOutcome> {
    const { queue } = this.deps;
    const { record, fresh, waiter } = await this.begin(callId, body, options);
    try {
      if (!fresh || record.status !== "sending") return await this.attach(record, waiter, options.signal);
      // The deadline outlives an abort: an invite aborted in flight may still have reached Graph, and its record must
      // end as timed-out rather than stay sending if no notification comes.
      this.armDeadline(record);
      // Neither rejects: the client reports every failure as a result, and the queue reports what its tasks throw.
      void this.send(record, options.signal).then(({ result, traceparent }) =>
        queue.run(operationsQueue, () => this.answered(record, result, traceparent).then(() => {})),
      );
      return await untilAborted(waiter.outcome, options.signal);
    } finally {
      this.removeWaiter(record.clientContext, waiter);
    }
  }

  /**
   * Invites, and resolves as soon as Graph has answered, with the `clientContext` to learn the outcome by
   * ({@link waitFor}), here or on another instance sharing the store: a web request need not stay open for minutes.
   * The outcome is recorded whether anyone waits or not. The same invite sent again with its `clientContext` is a
   * retry: it sends nothing and resolves with the first one's record once that one has Graph's answer.
   *
   * @throws ClientContextInUse when `clientContext` was used by a different invite.
   * @throws RangeError when `timeoutMs` is not an integer from 1 to {@link maxInviteTimeoutMs}.
   */
  async invite(
    callId: string,
    body: InviteParticipantsRequest,
    options: InviteAndWaitOptions = {},
  ): Promise<StartedInvite> {
    const { queue } = this.deps;
    const { record, fresh, waiter } = await this.begin(callId, body, options);
    const { clientContext } = record;
    try {
      if (!fresh) return { clientContext, operation: await this.untilAnswered(record, options.signal) };
      if (record.status !== "sending") return { clientContext, operation: structuredClone(record) };
      this.armDeadline(record);
      const { result, traceparent } = await this.send(record, options.signal);
      let operation: OperationRecord | undefined;
      let failure: { error: unknown } | undefined;
      await queue.run(operationsQueue, async () => {
        try {
          operation = await this.answered(record, result, traceparent);
        } catch (error) {
          failure = { error };
          throw error;
        }
      });
      if (failure !== undefined) throw failure.error;
      options.signal?.throwIfAborted();
      return { clientContext, operation: structuredClone(operation ?? record) };
    } finally {
      this.removeWaiter(clientContext, waiter);
    }
  }

  /**
   * Waits for the outcome of an invite sent earlier, by this process or another sharing the store (one that crashed,
   * say): resolves at once for an invite that has ended, else at its terminal notification or its deadline.
   *
   * @throws UnknownInvite when the store has no invite with this `clientContext`.
   */
  async waitFor(clientContext: string, options: { readonly signal?: AbortSignal } = {}): Promise<InviteOutcome> {
    options.signal?.throwIfAborted();
    const { store } = this.deps;
    const record = await store.operationByContext(clientContext);
    if (record === undefined) throw new UnknownInvite(clientContext);
    if (ended(record)) return outcomeOf(record);
    const waiter = this.addWaiter(clientContext, true);
    try {
      return await this.attach(record, waiter, options.signal);
    } finally {
      this.removeWaiter(clientContext, waiter);
    }
  }

  /**
   * Applies an operation notification, after every change to an operation record queued before it, and not before
   * `after` (the answer to its delivery) resolves; through `attempt`, which may try it again when the store fails.
   */
  onOperation(
    notification: OperationNotification,
    after?: Promise<void>,
    attempt: (apply: () => Promise<void>) => Promise<void> = (apply) => apply(),
    span?: KitSpan,
  ): Promise<void> {
    return this.deps.queue.run(operationsQueue, async () => {
      await after;
      await this.deps.slices.pace();
      await attempt(() => this.applyNotification(notification, span));
    });
  }

  /** Another instance changed an operation, or the news of changes may have been lost: read again what is waited on. */
  onStoreChange(change: StoreChange): Promise<void> | undefined {
    if (change.kind === "resync") return this.deps.queue.run(operationsQueue, () => this.recheck());
    if (change.kind !== "operation") return undefined;
    const held = change.operationId !== null && this.early.has(change.operationId);
    if (!this.waiters.has(change.clientContext) && !held) return undefined;
    return this.deps.queue.run(operationsQueue, async () => {
      const record = change.record ?? (await this.deps.store.operationByContext(change.clientContext));
      if (record !== undefined) this.wake(record);
      if (held) await this.retryEarly();
    });
  }

  /**
   * Stops waiting: every pending `inviteAndWait` and `waitFor` rejects, and no timer is left to keep the process
   * alive. Records stay as they are in the store.
   */
  close(): void {
    clearInterval(this.recheckTimer);
    for (const timer of this.deadlines.values()) clearTimeout(timer);
    this.deadlines.clear();
    const error = new Error("the bot closed before the invite ended");
    for (const waiters of this.waiters.values()) for (const waiter of waiters) waiter.reject(error);
    this.waiters.clear();
  }

  /** Sends the invite to Graph, in a client span when tracing is on. Never rejects: the client reports failures. */
  private async send(
    record: OperationRecord,
    signal: AbortSignal | undefined,
  ): Promise<{ readonly result: InviteResult; readonly traceparent: string | undefined }> {
    const { client } = this.deps;
    const { telemetry } = this;
    const span = telemetry.startInvite(record.callId, record.clientContext);
    const result = await client.invite(record.callId, record.request, signal !== undefined ? { signal } : {});
    telemetry.endInvite(span, result);
    return { result, traceparent: telemetry.traceparent(span) };
  }

  /** @throws RangeError when `timeoutMs` is not an integer from 1 to {@link maxInviteTimeoutMs}. */
  private timeoutOf(options: InviteAndWaitOptions): number {
    const timeoutMs = options.timeoutMs ?? this.deps.defaultTimeoutMs;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > maxInviteTimeoutMs) {
      throw new RangeError(`timeoutMs must be an integer from 1 to ${maxInviteTimeoutMs}, not ${timeoutMs}`);
    }
    return timeoutMs;
  }

  /**
   * Checks the invite and creates its record (`fresh`), or finds the record of the same invite sent before with this
   * clientContext: a retry. An invite in the store with this clientContext is found by the first write, which creates
   * the record only if there is none: one round trip, and no gap between a check and the write. The caller waits
   * with `waiter` from before the write, so that a notification naming only the operation's id is held for the answer;
   * it removes the waiter when done.
   *
   * @throws ClientContextInUse when the clientContext belongs to an invite of another call or body.
   * @throws RangeError when `timeoutMs` is not an integer from 1 to {@link maxInviteTimeoutMs}.
   */
  private async begin(
    callId: string,
    body: InviteParticipantsRequest,
    options: InviteAndWaitOptions,
  ): Promise<{ readonly record: OperationRecord; readonly fresh: boolean; readonly waiter: OutcomeWaiter }> {
    options.signal?.throwIfAborted();
    const timeoutMs = this.timeoutOf(options);
    const clientContext = body.clientContext ?? crypto.randomUUID();
    const request = { ...body, clientContext };
    // Digests are computed off the main thread and may finish in any order; taking them in turn keeps the records'
    // creation order the order the invites were asked for.
    const digest = inviteFingerprint(callId, request);
    const inTurn = this.fingerprints.then(() => digest);
    this.fingerprints = inTurn.catch(() => {});
    const fingerprint = await inTurn;
    const sentAt = Date.now();
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

    const checked = validateInviteRequest(request, {
      ...(options.callKind !== undefined && { callKind: options.callKind }),
      ...(options.botInCall !== undefined && { botInCall: options.botInCall }),
      // Explicit, whatever the validator's default: an invite whose participants Graph would drop is not sent unless
      // the caller says so.
      ignoredParticipants: options.ignoredParticipants ?? "error",
    });
    let first: OperationRecord = record;
    let step: Step = { event: "sent", detail: `POST /communications/calls/${callId}/participants/invite` };
    if (!checked.ok) {
      const issues = checked.errors;
      const error: InviteError = {
        kind: "validation",
        message: `the invite breaks the reference page's rules: ${issues.map((issue) => `${issue.pointer}: ${issue.message}`).join("; ")}`,
        ambiguous: false,
        issues,
      };
      first = { ...record, status: "rejected", error, deadline: null };
      step = { event: "refused", detail: `not sent: ${issues.map((i) => i.code).join(", ")}` };
    }
    const waiter = this.addWaiter(clientContext, false);
    try {
      // A shared store wakes this instance when another changes the invite: the wish goes with the first write.
      await this.deps.store.follow?.({ clientContext }, { withFirstWrite: true });
      if (await this.write(first, step)) {
        if (ended(first)) this.telemetry.inviteEnded(first, first.updatedAt);
        return { record: first, fresh: true, waiter };
      }
      const existing = await this.deps.store.operationByContext(clientContext);
      // A record written before fingerprints were kept is fingerprinted from the request it keeps.
      const existingFingerprint =
        existing === undefined
          ? undefined
          : (existing.fingerprint ?? (await inviteFingerprint(existing.callId, existing.request)));
      if (existing === undefined || existingFingerprint !== fingerprint) throw new ClientContextInUse(clientContext);
      return { record: existing, fresh: false, waiter };
    } catch (error) {
      this.removeWaiter(clientContext, waiter);
      throw error;
    }
  }

  /** Waits, with `waiter`, for the outcome of an invite whose record is `record`. */
  private async attach(
    record: OperationRecord,
    waiter: OutcomeWaiter,
    signal: AbortSignal | undefined,
  ): Promise<InviteOutcome> {
    if (ended(record)) return outcomeOf(record);
    // The answer that sent it is not this caller's to wait for: the terminal notification or the deadline ends it.
    waiter.answered = true;
    this.armDeadline(record);
    await this.deps.store.follow?.({ clientContext: record.clientContext });
    // Read again now that a change would wake the waiter: one written between the first read and now would not.
    const current = await this.deps.store.operationByContext(record.clientContext);
    if (current !== undefined) this.wake(current);
    return await untilAborted(waiter.outcome, signal);
  }

  /** The record once Graph has answered the invite that `record` is of (sent by this instance or another), or it ended. */
  private async untilAnswered(record: OperationRecord, signal: AbortSignal | undefined): Promise<OperationRecord> {
    if (hasAnswer(record) || ended(record)) return record;
    const waiter = this.addWaiter(record.clientContext, true, "answer");
    try {
      this.armDeadline(record);
      await this.deps.store.follow?.({ clientContext: record.clientContext });
      const current = await this.deps.store.operationByContext(record.clientContext);
      if (current !== undefined) this.wake(current);
      return (await untilAborted(waiter.outcome, signal)).record;
    } finally {
      this.removeWaiter(record.clientContext, waiter);
    }
  }

  private addWaiter(clientContext: string, answered: boolean, until: Waiter["until"] = "outcome"): OutcomeWaiter {
    let waiter: Waiter | undefined;
    const outcome = new Promise<InviteOutcome>((resolve, reject) => {
      waiter = { until, answered, resolve, reject };
    });
    const added = waiter as Waiter;
    const waiters = this.waiters.get(clientContext) ?? new Set();
    waiters.add(added);
    this.waiters.set(clientContext, waiters);
    // Someone waits now, so the deadline keeps the process alive.
    this.deadlines.get(clientContext)?.ref();
    return Object.assign(added, { outcome });
  }

  private removeWaiter(clientContext: string, waiter: Waiter): void {
    const waiters = this.waiters.get(clientContext);
    waiters?.delete(waiter);
    if (waiters?.size !== 0) return;
    this.waiters.delete(clientContext);
    // Nobody waits any more, so the deadline alone should not keep the process alive.
    this.deadlines.get(clientContext)?.unref();
  }

  /** Ends the invite as timed-out at its deadline, unless its outcome is known by then. */
  private armDeadline(record: OperationRecord): void {
    const { clientContext, deadline } = record;
    if (deadline === null || this.deadlines.has(clientContext) || ended(record)) return;
    const delay = Math.min(Math.max(0, Date.parse(deadline) - Date.now()), maxInviteTimeoutMs);
    const timer = setTimeout(() => {
      this.deadlines.delete(clientContext);
      void this.deps.queue.run(operationsQueue, () => this.timeOut(clientContext));
    }, delay);
    if (!this.waiters.has(clientContext)) timer.unref();
    this.deadlines.set(clientContext, timer);
  }

  /**
   * Reads again every invite waited on, ends those of any instance whose deadline has passed (one that crashed
   * cannot), and gives held notifications another chance to match.
   */
  private async recheck(): Promise<void> {
    const { store } = this.deps;
    const records = await Promise.all([...this.waiters.keys()].map((context) => store.operationByContext(context)));
    for (const record of records) if (record !== undefined) this.wake(record);
    for (const overdue of await store.pendingOperations(Date.now())) await this.timeOut(overdue.clientContext);
    if (this.early.size > 0) await this.retryEarly();
  }

  private async applyNotification(notification: OperationNotification, span?: KitSpan): Promise<void> {
    const { store } = this.deps;
    const { clientContext, operationId } = notification;
    const record =
      (clientContext !== null ? await store.operationByContext(clientContext) : undefined) ??
      (operationId !== null ? await store.operationById(operationId) : undefined);
    if (record !== undefined) {
      this.telemetry.link(span, record);
      await this.change(record, (current) => applyTo(current, notification));
      return;
    }
    if (clientContext === null && operationId !== null && this.early.size < maxEarly && (await this.answersAwaited())) {
      this.early.set(operationId, notification);
      if (store.follow === undefined) return;
      // Woken when another instance's write first names the id; one that named it before the wish was recorded is
      // found by reading again.
      await store.follow({ operationId });
      const named = await store.operationById(operationId);
      if (named !== undefined && this.early.delete(operationId)) {
        await this.change(named, (current) => applyTo(current, notification));
      }
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

  /**
   * Whether an invite still waits for Graph's answer, here or, with a shared store, on another instance: an answer
   * that may bring the id of a held notification.
   */
  private async answersAwaited(): Promise<boolean> {
    for (const waiters of this.waiters.values()) for (const waiter of waiters) if (!waiter.answered) return true;
    if (this.deps.store.watch === undefined) return false;
    // The store's answer reads every invite in flight: a burst of id-only notifications reads them once a second,
    // not once each.
    const now = Date.now();
    if (this.sharedAnswersAwaited === undefined || now - this.sharedAnswersAwaited.at > 1000) {
      const pending = await this.deps.store.pendingOperations();
      this.sharedAnswersAwaited = { at: now, awaited: pending.some((record) => record.status === "sending") };
    }
    return this.sharedAnswersAwaited.awaited;
  }

  /** Applies the held notifications whose operation is known by now, and gives up on the rest once none can come. */
  private async retryEarly(): Promise<void> {
    for (const [operationId, notification] of this.early) {
      const record = await this.deps.store.operationById(operationId);
      if (record === undefined) continue;
      this.early.delete(operationId);
      await this.change(record, (current) => applyTo(current, notification));
    }
    if (this.early.size === 0 || (await this.answersAwaited())) return;
    const rest = [...this.early.values()];
    this.early.clear();
    for (const notification of rest) await this.unmatched(notification);
  }

  /**
   * Applies Graph's answer to the invite request. Runs on the operations' queue. `sent` is the record as this
   * instance wrote it: usually still the stored one, so the answer costs one write; if a notification changed it
   * meanwhile, the write fails and the answer is applied to the record read again.
   */
  private async answered(
    sent: OperationRecord,
    result: InviteResult,
    traceparent?: string,
  ): Promise<OperationRecord | undefined> {
    for (const waiter of this.waiters.get(sent.clientContext) ?? []) waiter.answered = true;
    const record = await this.change(sent, (current) => {
      if (traceparent !== undefined) current.traceparent ??= traceparent;
      return applyAnswer(current, result);
    });
    if (record !== undefined) this.wake(record);
    await this.retryEarly();
    return record;
  }

  /**
   * The deadline: the invite's outcome as the store has it. One that ended without Graph's answer having arrived (or
   * on another instance sharing the store) is reported as it ended; one still open becomes timed-out.
   */
  private async timeOut(clientContext: string): Promise<void> {
    const record = await this.change(clientContext, (current) => {
      if (ended(current)) return undefined;
      current.status = "timed-out";
      return { event: "timed-out", detail: `no terminal notification by the deadline, ${current.deadline}` };
    });
    if (record === undefined) return;
    for (const waiter of this.waiters.get(clientContext) ?? []) waiter.resolve(outcomeOf(record));
  }

  /** Resolves the invite's waiters that can have their outcome now. */
  private wake(record: OperationRecord): void {
    for (const waiter of this.waiters.get(record.clientContext) ?? []) {
      const ready =
        waiter.until === "answer"
          ? hasAnswer(record) || ended(record)
          : record.status === "timed-out" || (terminal.has(record.status) && waiter.answered);
      if (ready) waiter.resolve(outcomeOf(record));
    }
  }

  /**
   * Reads, changes and writes the record until no other writer comes between the read and the write. `transition`
   * changes the copy it is given and says what happened, or returns undefined when there is nothing to write.
   * Resolves the record as it stands after the change, or undefined when the store has none.
   */
  private async change(
    from: string | OperationRecord,
    transition: (record: OperationRecord) => Step | undefined,
  ): Promise<OperationRecord | undefined> {
    const clientContext = typeof from === "string" ? from : from.clientContext;
    let record = typeof from === "string" ? await this.deps.store.operationByContext(from) : from;
    for (let attempt = 1; record !== undefined; attempt++) {
      const wasEnded = ended(record);
      const step = transition(record);
      if (step === undefined) return record;
      if (await this.write(record, step)) {
        if (!wasEnded && ended(record)) this.telemetry.inviteEnded(record, record.updatedAt);
        return record;
      }
      if (attempt === maxConflicts) {
        throw new Error(`operation ${clientContext}: ${maxConflicts} writes in a row lost to other writers; gave up`);
      }
      record = await this.deps.store.operationByContext(clientContext);
    }
    return undefined;
  }

  /** Writes the record with one more step if nobody changed it since it was read; resolves false if somebody did. */
  private async write(record: OperationRecord, step: Step): Promise<boolean> {
    const at = new Date().toISOString();
    const event: OperationEvent = { at, ...step };
    record.history.push(event);
    if (record.history.length > maxHistory) {
      // The first step says how the invite began; the latest say where it stands.
      record.history.splice(1, record.history.length - maxHistory);
      record.droppedSteps = (record.droppedSteps ?? 0) + 1;
    }
    record.updatedAt = at;
    if (!(await this.deps.store.putOperation(record))) return false;
    record.revision++;
    this.deps.onChange({ record: structuredClone(record), step: event });
    this.wake(record);
    return true;
  }
}

/** An operation notification's change to the record. */
function applyTo(record: OperationRecord, notification: OperationNotification): Step {
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
function applyAnswer(record: OperationRecord, result: InviteResult): Step {
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

/** Graph's answer to the invite has been applied to the record (or it never needed one). */
const hasAnswer = (record: OperationRecord) => record.status !== "sending" || record.error !== null;

/** The invite has an outcome: a terminal one, or its deadline passed. */
const ended = (record: OperationRecord) => terminal.has(record.status) || record.status === "timed-out";

/** The outcome, or the signal's reason once it aborts. */
async function untilAborted(outcome: Promise<InviteOutcome>, signal: AbortSignal | undefined): Promise<InviteOutcome> {
  if (signal === undefined) return outcome;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([outcome, aborted]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener("abort", onAbort);
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
