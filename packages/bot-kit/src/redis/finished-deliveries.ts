// Finishing a delivery costs no round trip of its own: the keys of finished deliveries wait briefly for the next claim
// to carry them, and are written on their own only if none comes.

/**
 * How long finished deliveries wait for the next claim to carry them (at no round trip of their own) before they are
 * written on their own.
 */
export const finishWaitMs = 200;

/** Finished deliveries not yet written, and whoever waits for them to be. */
export class FinishedDeliveries {
  readonly keys: string[] = [];
  readonly written: Promise<void>;
  settle: (error?: unknown) => void = () => {};

  constructor(readonly timer: ReturnType<typeof setTimeout>) {
    this.written = new Promise<void>((resolve, reject) => {
      this.settle = (error) => (error === undefined ? resolve() : reject(error));
    });
  }
}

/**
 * The deliveries finished since the last write of them: a claim takes them to carry, and if none comes within
 * {@link finishWaitMs}, `writeAlone` writes them by themselves.
 */
export class FinishedBatch {
  private pending: FinishedDeliveries | undefined;

  constructor(private readonly writeAlone: (keys: readonly string[]) => Promise<unknown>) {}

  /** Adds a finished delivery; resolves once it is written, with a claim or on its own. */
  add(key: string): Promise<void> {
    this.pending ??= new FinishedDeliveries(setTimeout(() => void this.flush(), finishWaitMs));
    this.pending.keys.push(key);
    return this.pending.written;
  }

  /** The deliveries finished so far, now the taker's to write and to settle. */
  take(): FinishedDeliveries | undefined {
    const finished = this.pending;
    this.pending = undefined;
    if (finished !== undefined) clearTimeout(finished.timer);
    return finished;
  }

  private async flush(): Promise<void> {
    const finished = this.take();
    if (finished === undefined) return;
    try {
      await this.writeAlone(finished.keys);
      finished.settle();
    } catch (error) {
      finished.settle(error);
    }
  }
}
