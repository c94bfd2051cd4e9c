// Follows each invite from its request to its terminal notification. Graph's answer to the invite only says that
// the operation is running; how it ended comes later, at the callback URL, and may come before the answer itself,
// with `id: null`. So operations are keyed by the `clientContext` the bot sends, and by Graph's id once known.
// What each event does to the record is decided in invite-transitions.ts; this class reads and writes the records,
// keeps the deadlines and wakes whoever waits.
import type { InviteResult } from "@graph-invite/client";
import { abortable } from "@graph-invite/client/abort";
import type { InviteParticipantsRequest } from "@graph-invite/types";
import type { OperationNotification } from "@graph-invite/validator";
import type { OperationRecord, StoreChange } from "./bot-store.js";
import { compareAndSet, lostRace } from "./compare-and-set.js";
import { inviteFingerprint } from "./fingerprint.js";
import { HeldNotifications } from "./held-notifications.js";
import {
  appendStep,
  applyAnswer,
  applyDeadline,
  applyNotification,
  checkedTimeoutMs,
  ended,
  firstRecord,
  hasAnswer,
  outcomeOf,
  type Step,
} from "./invite-transitions.js";
import {
  ClientContextInUse,
  type InviteAndWaitOptions,
  type InviteOutcome,
  type StartedInvite,
  type TrackerDeps,
  UnknownInvite,
} from "./invite-types.js";
import { InviteWaiters, type OutcomeWaiter } from "./invite-waiters.js";
import { type KitSpan, Telemetry } from "./telemetry.js";

/**
 * The queue key of every change to an operation record. Graph's answer and the notifications about one operation
 * must not read and write its record at the same time, and the call id of a notification's path need not be spelt
 * as the caller spelt it, so they cannot rely on the call's queue. (Other instances are kept out by the store's
 * compare-and-set instead.)
 */
const operationsQueue = "\u0000operations";

/** Follows the invites of one bot instance; see the top of this file. Its dependencies come in {@link TrackerDeps}. */
export class OperationTracker {
  /** Who waits on each invite, and the deadlines of the invites this instance knows to be open. */
  private readonly waiters = new InviteWaiters((clientContext) => {
    void this.deps.queue.run(operationsQueue, () => this.timeOut(clientContext));
  });
  private recheckTimer: ReturnType<typeof setInterval> | undefined;
  /** Notifications naming only an operation id nobody knows yet, held for the answer that may bring it. */
  private readonly held: HeldNotifications;
  /** The last fingerprint of an invite being begun: the next is taken after it. */
  private fingerprints: Promise<unknown> = Promise.resolve();
  private readonly telemetry: Telemetry;

  constructor(private readonly deps: TrackerDeps) {
    this.telemetry = deps.telemetry ?? new Telemetry(false);
    this.held = new HeldNotifications({
      store: deps.store,
      waiters: this.waiters,
      apply: (record, notification) => this.change(record, (current) => applyNotification(current, notification)),
      keepUnmatched: deps.keepUnmatched,
    });
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
      for (const record of await this.deps.store.pendingOperations()) this.waiters.armDeadline(record);
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
      this.waiters.armDeadline(record);
      // Neither rejects: the client reports every failure as a result, and the queue reports what its tasks throw.
      void this.send(record, options.signal).then(({ result, traceparent }) =>
        queue.run(operationsQueue, () => this.answered(record, result, traceparent).then(() => {})),
      );
      return await untilAborted(waiter.outcome, options.signal);
    } finally {
      this.waiters.remove(record.clientContext, waiter);
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
      this.waiters.armDeadline(record);
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
      this.waiters.remove(clientContext, waiter);
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
    const waiter = this.waiters.add(clientContext, true);
    try {
      return await this.attach(record, waiter, options.signal);
    } finally {
      this.waiters.remove(clientContext, waiter);
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
      await attempt(() => this.applyOperationNotification(notification, span));
    });
  }

  /** Another instance changed an operation, or the news of changes may have been lost: read again what is waited on. */
  onStoreChange(change: StoreChange): Promise<void> | undefined {
    if (change.kind === "resync") return this.deps.queue.run(operationsQueue, () => this.recheck());
    if (change.kind !== "operation") return undefined;
    const held = change.operationId !== null && this.held.has(change.operationId);
    if (!this.waiters.has(change.clientContext) && !held) return undefined;
    return this.deps.queue.run(operationsQueue, async () => {
      const record = change.record ?? (await this.deps.store.operationByContext(change.clientContext));
      if (record !== undefined) this.waiters.wake(record);
      if (held) await this.held.retry();
    });
  }

  /**
   * Stops waiting: every pending `inviteAndWait` and `waitFor` rejects, and no timer is left to keep the process
   * alive. Records stay as they are in the store.
   */
  close(): void {
    clearInterval(this.recheckTimer);
    this.waiters.close(new Error("the bot closed before the invite ended"));
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
    const timeoutMs = checkedTimeoutMs(options.timeoutMs ?? this.deps.defaultTimeoutMs);
    const clientContext = body.clientContext ?? crypto.randomUUID();
    const request = { ...body, clientContext };
    // Digests are computed off the main thread and may finish in any order; taking them in turn keeps the records'
    // creation order the order the invites were asked for.
    const digest = inviteFingerprint(callId, request);
    const inTurn = this.fingerprints.then(() => digest);
    this.fingerprints = inTurn.catch(() => {});
    const fingerprint = await inTurn;
    const sentAt = Date.now();
    const { record: first, step } = firstRecord(
      { clientContext, callId, request, fingerprint, sentAt, timeoutMs },
      options,
    );
    const waiter = this.waiters.add(clientContext, false);
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
      this.waiters.remove(clientContext, waiter);
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
    await this.follow(record);
    return await untilAborted(waiter.outcome, signal);
  }

  /** The record once Graph has answered the invite that `record` is of (sent by this instance or another), or it ended. */
  private async untilAnswered(record: OperationRecord, signal: AbortSignal | undefined): Promise<OperationRecord> {
    if (hasAnswer(record) || ended(record)) return record;
    const waiter = this.waiters.add(record.clientContext, true, "answer");
    try {
      await this.follow(record);
      return (await untilAborted(waiter.outcome, signal)).record;
    } finally {
      this.waiters.remove(record.clientContext, waiter);
    }
  }

  /** Arms the invite's deadline and asks to hear of its changes, for a waiter just added. */
  private async follow(record: OperationRecord): Promise<void> {
    this.waiters.armDeadline(record);
    await this.deps.store.follow?.({ clientContext: record.clientContext });
    // Read again now that a change would wake the waiter: one written between the first read and now would not.
    const current = await this.deps.store.operationByContext(record.clientContext);
    if (current !== undefined) this.waiters.wake(current);
  }

  /**
   * Reads again every invite waited on, ends those of any instance whose deadline has passed (one that crashed
   * cannot), and gives held notifications another chance to match.
   */
  private async recheck(): Promise<void> {
    const { store } = this.deps;
    const records = await Promise.all([...this.waiters.contexts()].map((context) => store.operationByContext(context)));
    for (const record of records) if (record !== undefined) this.waiters.wake(record);
    for (const overdue of await store.pendingOperations(Date.now())) await this.timeOut(overdue.clientContext);
    if (this.held.size > 0) await this.held.retry();
  }

  private async applyOperationNotification(notification: OperationNotification, span?: KitSpan): Promise<void> {
    const { store } = this.deps;
    const { clientContext, operationId } = notification;
    const record =
      (clientContext !== null ? await store.operationByContext(clientContext) : undefined) ??
      (operationId !== null ? await store.operationById(operationId) : undefined);
    if (record !== undefined) {
      this.telemetry.link(span, record);
      await this.change(record, (current) => applyNotification(current, notification));
      return;
    }
    await this.held.holdOrKeep(notification);
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
    this.waiters.markAnswered(sent.clientContext);
    const record = await this.change(sent, (current) => applyAnswer(current, result, traceparent));
    if (record !== undefined) this.waiters.wake(record);
    await this.held.retry();
    return record;
  }

  /**
   * The deadline: the invite's outcome as the store has it. One that ended without Graph's answer having arrived (or
   * on another instance sharing the store) is reported as it ended; one still open becomes timed-out.
   */
  private async timeOut(clientContext: string): Promise<void> {
    const record = await this.change(clientContext, applyDeadline);
    if (record === undefined) return;
    this.waiters.resolveAll(record);
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
    return compareAndSet(`operation ${clientContext}`, async (first) => {
      const record = first && typeof from !== "string" ? from : await this.deps.store.operationByContext(clientContext);
      if (record === undefined) return undefined;
      const wasEnded = ended(record);
      const step = transition(record);
      if (step === undefined) return record;
      if (!(await this.write(record, step))) return lostRace;
      if (!wasEnded && ended(record)) this.telemetry.inviteEnded(record, record.updatedAt);
      return record;
    });
  }

  /** Writes the record with one more step if nobody changed it since it was read; resolves false if somebody did. */
  private async write(record: OperationRecord, step: Step): Promise<boolean> {
    const event = appendStep(record, step, new Date().toISOString());
    if (!(await this.deps.store.putOperation(record))) return false;
    record.revision++;
    this.deps.onChange({ record: structuredClone(record), step: event });
    this.waiters.wake(record);
    return true;
  }
}

/** The outcome, or the signal's reason once it aborts. */
function untilAborted<T>(outcome: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  return signal === undefined ? outcome : abortable(outcome, signal);
}
