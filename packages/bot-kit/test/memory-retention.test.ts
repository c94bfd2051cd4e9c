// MemoryStore's retention, against a model written as plainly as possible: any sequence of claims and clock steps
// leaves the same deliveries remembered, by age and by count, as the model does. The store keeps its order in a
// structure built for speed (a Map used as a queue costs time in proportion to the entries deleted before its front);
// this holds it to the simple meaning. The defaults are the README's figures.
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { defaultRetention, MemoryStore } from "../src/index.js";

/** The deliveries a store should remember: newest last; each forgotten after maxAgeMs, the oldest beyond maxCount. */
class RetentionModel {
  private remembered: Array<{ key: string; expires: number }> = [];

  constructor(
    private readonly maxAgeMs: number,
    private readonly maxCount: number,
  ) {}

  claim(key: string, now: number): boolean {
    this.remembered = this.remembered.filter((entry) => entry.expires >= now);
    if (this.remembered.some((entry) => entry.key === key)) return false;
    this.remembered.push({ key, expires: now + this.maxAgeMs });
    if (this.remembered.length > this.maxCount) this.remembered.shift();
    return true;
  }
}

describe("MemoryStore remembers deliveries as its retention says", () => {
  test("any sequence of claims and clock steps: the same answers as the model", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 8 }),
        fc.array(
          fc.oneof(
            // Few keys and short waits, so that claims meet the same key again at the edges of age and count.
            fc.record({ claim: fc.integer({ min: 0, max: 5 }) }),
            fc.record({ wait: fc.integer({ min: 0, max: 8 }) }),
          ),
          { maxLength: 40 },
        ),
        async (maxCount, maxAgeMs, steps) => {
          let now = 1_000;
          const store = new MemoryStore({ retention: { deliveries: { maxAgeMs, maxCount } }, now: () => now });
          const model = new RetentionModel(maxAgeMs, maxCount);
          for (const step of steps) {
            if ("wait" in step) {
              now += step.wait;
              continue;
            }
            const key = `message:${step.claim}`;
            expect(await store.claimDelivery(key)).toBe(model.claim(key, now));
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  test("far past its count (50 000 claims on a store of 10 000), the newest are remembered, the oldest forgotten", async () => {
    const store = new MemoryStore({ retention: { deliveries: { maxAgeMs: 3_600_000, maxCount: 10_000 } } });
    for (let index = 0; index < 50_000; index++) {
      expect(await store.claimDelivery(`message:${index}`)).toBe(true);
    }
    // The oldest were forgotten for count, the newest are remembered.
    expect(await store.claimDelivery("message:0")).toBe(true);
    expect(await store.claimDelivery("message:49999")).toBe(false);
  });
});

describe("defaultRetention, as the README gives it", () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8").replace(/\s+/g, " ");
  const hours = (ms: number) => ms / 3_600_000;
  const count = (value: number) => value.toLocaleString("en-US").replace(",", " ");
  const mib = (bytes: number) => bytes / 1024 / 1024;
  // Each sentence is built when its test runs, not when the file is read: a wrong figure fails that test.
  const sentences: Record<string, () => string> = {
    deliveries: () => {
      const { maxAgeMs, maxCount } = defaultRetention.deliveries;
      return `delivery ids after ${hours(maxAgeMs)} hour or beyond ${count(maxCount)}`;
    },
    operations: () => {
      const { maxAgeMs, maxCount } = defaultRetention.operations;
      return `operations after ${hours(maxAgeMs)} hours without change or beyond ${count(maxCount)}`;
    },
    rosters: () => {
      const { maxAgeMs, maxCount, maxBytes } = defaultRetention.rosters;
      return `rosters after ${hours(maxAgeMs)} hours without change, beyond ${count(maxCount)} calls, or beyond ${mib(maxBytes)} MiB as JSON`;
    },
    unmatched: () => {
      const { maxAgeMs, maxCount, maxBytes } = defaultRetention.unmatched;
      return `unmatched notifications and refused bodies after ${hours(maxAgeMs)} hours, beyond ${count(maxCount)}, or beyond ${mib(maxBytes)} MiB`;
    },
  };

  test.each(Object.keys(sentences))("%s", (kind) => {
    expect(readme).toContain(sentences[kind]?.());
  });
});

describe("MemoryStore keeps an invite still waiting past its deadline", () => {
  const minute = 60_000;
  /** An invite written at `at`, waiting until `deadline` (epoch ms). */
  const waitingInvite = (at: number, deadline: number) =>
    ({
      clientContext: "ctx-1",
      callId: "call-1",
      operationId: null,
      status: "running",
      deadline: new Date(deadline).toISOString(),
      createdAt: new Date(at).toISOString(),
      updatedAt: new Date(at).toISOString(),
      revision: 0,
    }) as never;

  test("for the operations' retention after its deadline, however far off that is", async () => {
    // Written five minutes before its deadline of ten.
    let now = 5 * minute;
    const store = new MemoryStore({ retention: { operations: { maxAgeMs: minute } }, now: () => now });
    expect(await store.putOperation(waitingInvite(now, 10 * minute))).toBe(true);
    now = 11 * minute - 1;
    expect((await store.operationByContext("ctx-1"))?.status).toBe("running");
    now = 11 * minute + 1;
    expect(await store.operationByContext("ctx-1")).toBeUndefined();
  });

  test("is due at its deadline, to the millisecond", async () => {
    const store = new MemoryStore();
    const deadline = Date.now() + minute;
    await store.putOperation(waitingInvite(Date.now(), deadline));
    expect((await store.pendingOperations(deadline)).map(({ clientContext }) => clientContext)).toEqual(["ctx-1"]);
    expect(await store.pendingOperations(deadline - 1)).toEqual([]);
  });
});
