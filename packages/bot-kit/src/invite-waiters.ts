// Who waits on which invite in this process, and the deadline timer of each invite this process knows to be open.
// A deadline keeps the process alive only while someone waits on its invite.
import type { OperationRecord } from "./bot-store.js";
import { ended, isReady, outcomeOf, type WaiterState } from "./invite-transitions.js";
import { type InviteOutcome, maxInviteTimeoutMs } from "./invite-types.js";

/** One caller waiting on an invite. */
export interface Waiter extends WaiterState {
  /**
   * Graph's answer has been applied to the record. An invite's own waiter resolves with the outcome only after that,
   * so that the outcome carries what the answer said; one of `waitFor` starts answered.
   */
  answered: boolean;
  readonly resolve: (outcome: InviteOutcome) => void;
  readonly reject: (reason: unknown) => void;
}

/** A waiter with the promise its resolution settles. */
export type OutcomeWaiter = Waiter & { readonly outcome: Promise<InviteOutcome> };

/** The waiters and deadlines of one tracker, by clientContext. */
export class InviteWaiters {
  /** Who waits on each invite: the invite's own caller, and any `waitFor`. */
  private readonly waiters = new Map<string, Set<Waiter>>();
  /** The deadline of each invite this instance knows to be waiting. */
  private readonly deadlines = new Map<string, ReturnType<typeof setTimeout>>();

  /** @param onDeadline Called when an invite's deadline passes; the tracker ends it then, unless it has ended. */
  constructor(private readonly onDeadline: (clientContext: string) => void) {}

  /** Someone now waits on the invite: for its outcome, or with `until: "answer"` for Graph's answer only. */
  add(clientContext: string, answered: boolean, until: Waiter["until"] = "outcome"): OutcomeWaiter {
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

  remove(clientContext: string, waiter: Waiter): void {
    const waiters = this.waiters.get(clientContext);
    waiters?.delete(waiter);
    if (waiters?.size !== 0) return;
    this.waiters.delete(clientContext);
    // Nobody waits any more, so the deadline alone should not keep the process alive.
    this.deadlines.get(clientContext)?.unref();
  }

  /** The clientContexts somebody waits on. */
  contexts(): IterableIterator<string> {
    return this.waiters.keys();
  }

  /** Whether anybody waits on the invite. */
  has(clientContext: string): boolean {
    return this.waiters.has(clientContext);
  }

  /** Whether a waiter in this process still waits for Graph's answer to its invite. */
  anyUnanswered(): boolean {
    for (const waiters of this.waiters.values()) for (const waiter of waiters) if (!waiter.answered) return true;
    return false;
  }

  /** Graph's answer to the invite has been applied: its waiters may now have the outcome. */
  markAnswered(clientContext: string): void {
    for (const waiter of this.waiters.get(clientContext) ?? []) waiter.answered = true;
  }

  /** Resolves the invite's waiters that can have their outcome now. */
  wake(record: OperationRecord): void {
    for (const waiter of this.waiters.get(record.clientContext) ?? []) {
      if (isReady(waiter, record)) waiter.resolve(outcomeOf(record));
    }
  }

  /** Resolves every waiter of the invite with how it ended. */
  resolveAll(record: OperationRecord): void {
    for (const waiter of this.waiters.get(record.clientContext) ?? []) waiter.resolve(outcomeOf(record));
  }

  /** Calls `onDeadline` at the invite's deadline, unless it has ended or has a deadline here already. */
  armDeadline(record: OperationRecord): void {
    const { clientContext, deadline } = record;
    if (deadline === null || this.deadlines.has(clientContext) || ended(record)) return;
    const delay = Math.min(Math.max(0, Date.parse(deadline) - Date.now()), maxInviteTimeoutMs);
    const timer = setTimeout(() => {
      this.deadlines.delete(clientContext);
      this.onDeadline(clientContext);
    }, delay);
    if (!this.waiters.has(clientContext)) timer.unref();
    this.deadlines.set(clientContext, timer);
  }

  /** Stops every deadline and rejects every waiter with `error`. */
  close(error: Error): void {
    for (const timer of this.deadlines.values()) clearTimeout(timer);
    this.deadlines.clear();
    for (const waiters of this.waiters.values()) for (const waiter of waiters) waiter.reject(error);
    this.waiters.clear();
  }
}
