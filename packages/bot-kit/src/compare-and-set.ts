// Every write of a record is a compare-and-set on its revision (see bot-store.ts): a writer that loses to another
// reads the record again and redoes its change. This is that loop, for operation records and rosters alike.

/** What an attempt returns when another writer changed the record between its read and its write. */
export const lostRace: unique symbol = Symbol("lost to another writer");

/** The most times a change to one record is redone because another writer changed the record first. */
export const maxConflicts = 20;

/**
 * Runs `attempt` (read, change, write) until it returns anything but {@link lostRace}, and resolves with that. `first`
 * is true on the first attempt only, so that a caller holding a fresh copy can skip the first read.
 *
 * @throws Error naming `what` after {@link maxConflicts} attempts in a row lost.
 */
export async function compareAndSet<T>(
  what: string,
  attempt: (first: boolean) => Promise<T | typeof lostRace>,
): Promise<T> {
  for (let tries = 1; ; tries++) {
    const result = await attempt(tries === 1);
    if (result !== lostRace) return result;
    if (tries === maxConflicts) {
      throw new Error(`${what}: ${maxConflicts} writes in a row lost to other writers; gave up`);
    }
  }
}
