// A 202 is a promise: a delivery acknowledged is processed even when the store fails under it for a while (a failover,
// a server refusing writes). Work that failed on a store error is tried again by the instance that took it, with a
// growing pause, until it succeeds or the delivery's retention ends; each failure is reported. Errors that are not the
// store's (a bug, a notification the code cannot handle) are not tried again: they would fail the same way.
import { doublingDelayMs } from "@graph-invite/client/backoff";
import type { BotStore, OperationRecord, UnmatchedNotification } from "./bot-store.js";
import type { CallStateEvent, RosterEvent, RosterState } from "./call-state.js";
import type { StoreRetention } from "./retention.js";

/** The errors a store's methods rejected with: those worth trying the work again for. */
const storeFailures = new WeakSet<object>();

/** Whether `error` came from a method of a store wrapped by {@link markingFailures}. */
export function isStoreFailure(error: unknown): boolean {
  return typeof error === "object" && error !== null && storeFailures.has(error);
}

/** The store, whose methods' errors are remembered as the store's: any store, whichever errors it throws. */
export function markingFailures(store: BotStore): BotStore {
  return new FailureMarkingStore(store);
}

/** Remembers the error as the store's, and throws it on. */
function mark(error: unknown): never {
  if (typeof error === "object" && error !== null) storeFailures.add(error);
  throw error;
}

/** Calls one of the store's methods, marking what it throws or rejects with. */
function marked<T>(call: () => T): T {
  try {
    const result = call();
    return (result instanceof Promise ? result.catch(mark) : result) as T;
  } catch (error) {
    return mark(error);
  }
}

/**
 * A store that passes every call to `inner` and marks its failures. A store's optional methods are present here
 * exactly when `inner` has them, since the bot asks whether they are there.
 */
class FailureMarkingStore implements BotStore {
  readonly retention?: StoreRetention;
  readonly finishDelivery?: NonNullable<BotStore["finishDelivery"]>;
  readonly takeUnfinishedDeliveries?: NonNullable<BotStore["takeUnfinishedDeliveries"]>;
  readonly watch?: NonNullable<BotStore["watch"]>;
  readonly follow?: NonNullable<BotStore["follow"]>;

  constructor(private readonly inner: BotStore) {
    if (inner.retention !== undefined) this.retention = inner.retention;
    if (inner.finishDelivery !== undefined) {
      const finishDelivery = inner.finishDelivery;
      this.finishDelivery = (key) => marked(() => finishDelivery.call(inner, key));
    }
    if (inner.takeUnfinishedDeliveries !== undefined) {
      const takeUnfinished = inner.takeUnfinishedDeliveries;
      this.takeUnfinishedDeliveries = () => marked(() => takeUnfinished.call(inner));
    }
    if (inner.watch !== undefined) {
      const watch = inner.watch;
      this.watch = (listener, options) => marked(() => watch.call(inner, listener, options));
    }
    if (inner.follow !== undefined) {
      const follow = inner.follow;
      this.follow = (interest, options) => marked(() => follow.call(inner, interest, options));
    }
  }

  claimDelivery(key: string, body?: Uint8Array): Promise<boolean> {
    return marked(() => this.inner.claimDelivery(key, body));
  }
  putOperation(record: OperationRecord): Promise<boolean> {
    return marked(() => this.inner.putOperation(record));
  }
  operationByContext(clientContext: string): Promise<OperationRecord | undefined> {
    return marked(() => this.inner.operationByContext(clientContext));
  }
  operationById(operationId: string): Promise<OperationRecord | undefined> {
    return marked(() => this.inner.operationById(operationId));
  }
  operations(callId?: string): Promise<OperationRecord[]> {
    return marked(() => this.inner.operations(callId));
  }
  pendingOperations(dueBy?: number): Promise<OperationRecord[]> {
    return marked(() => this.inner.pendingOperations(dueBy));
  }
  putRoster(roster: RosterState, events: readonly RosterEvent[], calls?: readonly CallStateEvent[]): Promise<boolean> {
    return marked(() => this.inner.putRoster(roster, events, calls));
  }
  roster(callId: string): Promise<RosterState | undefined> {
    return marked(() => this.inner.roster(callId));
  }
  recordUnmatched(entry: UnmatchedNotification): Promise<void> {
    return marked(() => this.inner.recordUnmatched(entry));
  }
  unmatched(): Promise<UnmatchedNotification[]> {
    return marked(() => this.inner.unmatched());
  }
}

/** How {@link persist} runs one piece of work. */
export interface PersistOptions {
  /** Until when the work is worth doing: the delivery's retention, from its claim (epoch ms). */
  readonly until: number;
  /** Reports each failure that will be tried again. */
  readonly failed: (error: unknown) => void;
  /** Whether the bot has stopped: no more tries then. */
  readonly stopped: () => boolean;
}

/** The first pause after a failure, doubled at each, up to {@link longestPauseMs}. */
const firstPauseMs = 100;
const longestPauseMs = 5_000;

/**
 * Runs `work` until it succeeds; after a store failure, again after a pause, while time remains and the bot runs.
 * Rejects with the last error otherwise (reported by whoever awaits it, like any other failure).
 */
export async function persist(work: () => Promise<void>, options: PersistOptions): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await work();
      return;
    } catch (error) {
      const pause = doublingDelayMs(attempt, firstPauseMs, longestPauseMs);
      if (!isStoreFailure(error) || options.stopped() || Date.now() + pause > options.until) throw error;
      options.failed(error);
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}
