// A 202 is a promise: a delivery acknowledged is processed even when the store fails under it for a while (a failover,
// a server refusing writes). Work that failed on a store error is tried again by the instance that took it, with a
// growing pause, until it succeeds or the delivery's retention ends; each failure is reported. Errors that are not the
// store's (a bug, a notification the code cannot handle) are not tried again: they would fail the same way.
import type { BotStore } from "./store.js";

/** The errors a store's methods rejected with: those worth trying the work again for. */
const storeFailures = new WeakSet<object>();

/** Whether `error` came from a method of a store wrapped by {@link markingFailures}. */
export function isStoreFailure(error: unknown): boolean {
  return typeof error === "object" && error !== null && storeFailures.has(error);
}

/** The store, whose methods' errors are remembered as the store's: any store, whichever errors it throws. */
export function markingFailures(store: BotStore): BotStore {
  const mark = (error: unknown) => {
    if (typeof error === "object" && error !== null) storeFailures.add(error);
    throw error;
  };
  return new Proxy(store, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        try {
          const result: unknown = value.apply(target, args);
          return result instanceof Promise ? result.catch(mark) : result;
        } catch (error) {
          return mark(error);
        }
      };
    },
  });
}

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
      const pause = Math.min(longestPauseMs, firstPauseMs * 2 ** attempt);
      if (!isStoreFailure(error) || options.stopped() || Date.now() + pause > options.until) throw error;
      options.failed(error);
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}
