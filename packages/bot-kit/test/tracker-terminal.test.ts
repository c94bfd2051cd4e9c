// An invite's terminal status is final. Whatever Graph sends after it, in whatever order, repeated or late (a
// `running` that was overtaken, the same terminal notification again, or a different terminal status), the record
// keeps the status and resultInfo of the first terminal notification, and each later terminal one is recorded as a
// duplicate. The notifications go through the real parser into the tracker over a MemoryStore.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { MemoryStore } from "../src/index.js";
import { openRecord, parsedOperationNotification, trackerOver } from "./tracker-operations.js";

const statuses = ["notStarted", "running", "completed", "failed"] as const;
type Status = (typeof statuses)[number];
const terminal = (status: Status) => status === "completed" || status === "failed";

interface Sent {
  readonly status: Status;
  /** Graph may send only the operation's id, with `clientContext` absent. */
  readonly idOnly: boolean;
  /** Told apart in resultInfo, so that the test can say which notification the record ended with. */
  readonly code: number;
}

/** A tracker over a fresh MemoryStore, with an invite that Graph has answered (running, with its operation id). */
async function trackerWithInvite() {
  const store = new MemoryStore();
  const { tracker, errors, unmatched } = trackerOver(store);
  const record = openRecord();
  expect(await store.putOperation(record)).toBe(true);
  return { store, tracker, record, errors, unmatched };
}

const sent: fc.Arbitrary<Sent> = fc.record({
  status: fc.constantFrom(...statuses),
  idOnly: fc.boolean(),
  code: fc.integer({ min: 100, max: 999 }),
});

/**
 * Sequences that hold at least one terminal notification, with everything Graph may do around it: progress before,
 * stale progress after, the terminal one again, another terminal status.
 */
const sequences = fc
  .tuple(
    fc.array(sent, { maxLength: 4 }),
    sent.filter((one) => terminal(one.status)),
    fc.array(sent, { maxLength: 6 }),
    fc.nat(),
  )
  .chain(([before, first, after, repeatAt]) => {
    // The first terminal notification again, verbatim, somewhere after it: a repeat is a duplicate.
    const later = [...after];
    later.splice(repeatAt % (later.length + 1), 0, first);
    return fc.constant({ before: before.filter((one) => !terminal(one.status)), first, after: later });
  });

describe("an invite's terminal status", () => {
  test("is never changed by what arrives after it: running, a repeat, or another terminal status", async () => {
    await fc.assert(
      fc.asyncProperty(sequences, async ({ before, first, after }) => {
        const { store, tracker, record, errors, unmatched } = await trackerWithInvite();
        try {
          const all = [...before, first, ...after];
          // Queued at once, as a burst of deliveries is: the tracker applies them in the order they arrived.
          await Promise.all(all.map((one) => tracker.onOperation(parsedOperationNotification(record, one))));
          const stored = await store.operationByContext(record.clientContext);
          expect(errors).toEqual([]);
          expect(unmatched).toEqual([]);
          expect(stored?.status).toBe(first.status);
          expect(stored?.resultInfo).toMatchObject({ code: first.code });
          const events = stored?.history.map((step) => step.event) ?? [];
          // Every terminal notification after the first is a duplicate, whichever status it carries.
          const laterTerminal = after.filter((one) => terminal(one.status)).length;
          expect(events.filter((event) => event === "duplicate-notification")).toHaveLength(laterTerminal);
          expect(events).toHaveLength(1 + all.length);
        } finally {
          tracker.close();
        }
      }),
      { numRuns: 150 },
    );
  });
});
