// Runs tasks one after another per key (a call), and different keys side by side: notifications about one call are
// processed in the order they arrived, while a slow call does not hold up the others.

export class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();

  constructor(private readonly onError: (error: unknown, key: string) => void) {}

  /** Queues `task` after the tasks already queued under `key`. A task that throws is reported and does not stop the queue. */
  run(key: string, task: () => Promise<void> | void): Promise<void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(task).catch((error: unknown) => this.onError(error, key));
    this.tails.set(key, next);
    // Forget a key whose queue has drained, so that the map does not grow with every call the bot has seen.
    void next.then(() => {
      if (this.tails.get(key) === next) this.tails.delete(key);
    });
    return next;
  }

  /** Resolves once every task queued so far, and any they queued in turn, has finished. */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all(this.tails.values());
  }
}
