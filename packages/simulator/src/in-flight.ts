import { setTimeout as wait } from "node:timers/promises";

// Counts the work still in flight (answers being waited for, notifications being delivered), so that a test can
// wait until the simulated world has settled instead of sleeping, and learns of any of it that broke.

export class InFlight {
  private readonly pending = new Set<Promise<void>>();
  private readonly failures: unknown[] = [];

  /**
   * Runs `work` in the background. A failure is kept for {@link idle} to report, except one caused by `cancelled`
   * (the simulator closing), which is how background work is meant to stop.
   */
  track(work: Promise<unknown>, cancelled: AbortSignal): void {
    const settled = work.then(
      () => undefined,
      (error: unknown) => {
        if (!cancelled.aborted) this.failures.push(error);
      },
    );
    this.pending.add(settled);
    void settled.then(() => this.pending.delete(settled));
  }

  /** Resolves once nothing is in flight, including work started while waiting; rejects if any of it failed. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
    if (this.failures.length > 0) {
      throw new AggregateError(this.failures, "the simulator failed while carrying out an invite");
    }
  }
}

/** Waits `ms`; rejects when the simulator closes, so that no timer outlives it. */
export const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  wait(Math.min(Math.max(0, ms), maxTimerMs), undefined, { signal });

/** The longest delay Node's timers honour (2^31 - 1 ms, about 24.8 days); a longer one would fire at once. */
export const maxTimerMs = 2 ** 31 - 1;
