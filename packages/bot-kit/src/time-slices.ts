// Cooperative scheduling. A delivery can carry a megabyte of notifications, and processing them with an in-memory
// store never waits on anything, so without a break it would run as one long task and hold every other request.
// Work checks in between steps, and gives the event loop a turn once a slice of time has passed.

/** A macrotask later: after the answer the current turn is writing, and after pending I/O. */
export const nextTurn: () => Promise<void> =
  typeof setImmediate === "function"
    ? () => new Promise((resolve) => setImmediate(resolve))
    : () => new Promise((resolve) => setTimeout(resolve, 0));

/** How long work runs before it lets others have the event loop, in milliseconds. */
export const defaultSliceMs = 8;

export class TimeSlices {
  private since = performance.now();

  constructor(private readonly sliceMs = defaultSliceMs) {}

  /** Resolves at once while the current slice lasts; after that, on the next turn of the event loop. */
  async pace(): Promise<void> {
    if (performance.now() - this.since < this.sliceMs) return;
    await nextTurn();
    this.since = performance.now();
  }
}
