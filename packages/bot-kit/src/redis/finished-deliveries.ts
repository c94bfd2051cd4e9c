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
