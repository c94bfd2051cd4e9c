// MemoryStore's bounds at their edges, on a clock the test moves: byte budgets met exactly and overrun by one, how
// unmatched notifications are sized (text by its length, anything else as JSON, one too deep as a whole delivery),
// several evicted at once for one large entry, what an evicted invite leaves behind (nothing), an ended invite's
// retention counted from its last change whatever its deadline, entries past their age that an older long-lived
// one shelters from trimming, and the count kept after the store's order has been compacted many times.
import { describe, expect, test } from "vitest";
import type { RosterState } from "../src/call-state.js";
import { MemoryStore, type OperationRecord, type UnmatchedNotification } from "../src/index.js";
import type { RetentionOverrides } from "../src/retention.js";
import { openRecord } from "./tracker-operations.js";

/** A store on a clock the test moves. */
function storeWith(retention: RetentionOverrides) {
  const clock = { now: 1_000_000 };
  const store = new MemoryStore({ retention, now: () => clock.now });
  return { store, clock };
}

const unmatched = (notification: unknown, reason = "r"): UnmatchedNotification => ({
  at: "2026-12-07T00:00:00.000Z",
  callId: undefined,
  reason,
  notification,
});

const reasons = async (store: MemoryStore) => (await store.unmatched()).map((entry) => entry.reason);

describe("the unmatched notifications' byte budget", () => {
  test("text counts its length: a budget met exactly keeps everything, one byte more forgets the oldest", async () => {
    const { store } = storeWith({ unmatched: { maxBytes: 100 } });
    await store.recordUnmatched(unmatched("x".repeat(40), "a"));
    await store.recordUnmatched(unmatched("x".repeat(40), "b"));
    await store.recordUnmatched(unmatched("x".repeat(20), "c"));
    expect(await reasons(store)).toEqual(["a", "b", "c"]);
    await store.recordUnmatched(unmatched("x", "d"));
    expect(await reasons(store)).toEqual(["b", "c", "d"]);
  });

  test("anything else counts its JSON", async () => {
    const { store } = storeWith({ unmatched: { maxBytes: 100 } });
    const sized = { text: "x".repeat(39) }; // {"text":"…"}: 50 bytes as JSON
    expect(JSON.stringify(sized)).toHaveLength(50);
    await store.recordUnmatched(unmatched(sized, "a"));
    await store.recordUnmatched(unmatched(sized, "b"));
    expect(await reasons(store)).toEqual(["a", "b"]);
    await store.recordUnmatched(unmatched(null, "nothing")); // "null": 4 bytes
    expect(await reasons(store)).toEqual(["b", "nothing"]);
    await store.recordUnmatched(unmatched(undefined, "undefined")); // no JSON at all: 0 bytes
    expect(await reasons(store)).toEqual(["b", "nothing", "undefined"]);
  });

  test("one too deep for JSON counts as a whole delivery, a mebibyte", async () => {
    let deep: unknown = {};
    for (let depth = 0; depth < 200_000; depth++) deep = { deep };
    const { store } = storeWith({ unmatched: { maxBytes: 1024 * 1024 + 10 } });
    await store.recordUnmatched(unmatched("x".repeat(10), "small"));
    await store.recordUnmatched(unmatched(deep, "deep"));
    expect(await reasons(store)).toEqual(["small", "deep"]);
    await store.recordUnmatched(unmatched("x", "one more"));
    expect(await reasons(store)).toEqual(["deep", "one more"]);
  });

  test("one large entry forgets as many of the oldest as it takes", async () => {
    const { store } = storeWith({ unmatched: { maxBytes: 100 } });
    for (const reason of ["a", "b", "c"]) await store.recordUnmatched(unmatched("x".repeat(30), reason));
    await store.recordUnmatched(unmatched("x".repeat(80), "large"));
    expect(await reasons(store)).toEqual(["large"]);
  });
});

describe("the rosters' byte budget", () => {
  const roster = (callId: string, ended: boolean, revision = 0): RosterState => ({
    callId,
    members: {},
    departed: {},
    ended,
    revision,
  });

  test("met exactly keeps every roster; one byte more forgets the oldest", async () => {
    const a = roster("call-a", false);
    const b = roster("call-b", true);
    const { store } = storeWith({ rosters: { maxBytes: JSON.stringify(a).length + JSON.stringify(b).length } });
    expect(await store.putRoster(a, [])).toBe(true);
    expect(await store.putRoster(b, [])).toBe(true);
    expect(await store.roster("call-a")).toBeDefined();
    expect(await store.roster("call-b")).toBeDefined();
    // call-b written again, one byte longer ("false" for "true"): over the budget by one.
    const longer = roster("call-b", false, 1);
    expect(JSON.stringify(longer).length).toBe(JSON.stringify(b).length + 1);
    expect(await store.putRoster(longer, [])).toBe(true);
    expect(await store.roster("call-a")).toBeUndefined();
    expect(await store.roster("call-b")).toMatchObject({ ended: false, revision: 2 });
  });
});

describe("an invite the store has forgotten", () => {
  test("leaves nothing behind: its operation id finds no other invite, and its clientContext starts afresh", async () => {
    const { store } = storeWith({ operations: { maxCount: 1 } });
    const first = openRecord({ status: "completed" });
    await store.putOperation(first);
    // A second ended invite pushes the first out by count.
    await store.putOperation(openRecord({ status: "completed" }));
    expect(await store.operationByContext(first.clientContext)).toBeUndefined();
    // The first's clientContext is used again, for an invite with another operation id.
    const again = openRecord({ clientContext: first.clientContext, status: "completed" });
    expect(await store.putOperation(again)).toBe(true);
    expect(await store.operationById(first.operationId as string)).toBeUndefined();
    expect(await store.operationById(again.operationId as string)).toMatchObject({
      clientContext: first.clientContext,
    });
  });

  test("one created again after it was forgotten is listed as the newest", async () => {
    const { store } = storeWith({ operations: { maxCount: 2 } });
    const [a, b, c] = [1, 2, 3].map(() => openRecord({ status: "completed" })) as [
      OperationRecord,
      OperationRecord,
      OperationRecord,
    ];
    for (const record of [a, b, c]) await store.putOperation(record);
    expect(await store.putOperation({ ...a, revision: 0 })).toBe(true);
    expect((await store.operations()).map((record) => record.clientContext)).toEqual([
      c.clientContext,
      a.clientContext,
    ]);
  });
});

describe("ages", () => {
  test("an ended invite is kept for the retention from its last change, however far off its deadline was", async () => {
    const { store, clock } = storeWith({ operations: { maxAgeMs: 1000 } });
    const ended = openRecord({ status: "completed", deadline: new Date(clock.now + 3_600_000).toISOString() });
    await store.putOperation(ended);
    clock.now += 1000;
    expect(await store.operationByContext(ended.clientContext)).toBeDefined();
    clock.now += 1;
    expect(await store.operationByContext(ended.clientContext)).toBeUndefined();
  });

  test("an entry past its age is not listed, though an older one still waiting is in front of it", async () => {
    const { store, clock } = storeWith({ operations: { maxAgeMs: 1000 } });
    const waiting = openRecord({ deadline: new Date(clock.now + 3_600_000).toISOString() });
    const ended = openRecord({ status: "completed" });
    await store.putOperation(waiting);
    await store.putOperation(ended);
    clock.now += 1000;
    expect((await store.operations()).map((record) => record.clientContext)).toEqual([
      waiting.clientContext,
      ended.clientContext,
    ]);
    clock.now += 1;
    expect((await store.operations()).map((record) => record.clientContext)).toEqual([waiting.clientContext]);
  });

  test("pendingOperations(dueBy) gives the invites waiting whose deadline is at or before it", async () => {
    const { store, clock } = storeWith({});
    const due = openRecord({ deadline: new Date(clock.now + 100).toISOString() });
    const later = openRecord({ deadline: new Date(clock.now + 101).toISOString() });
    const none = openRecord({ deadline: null });
    for (const record of [due, later, none]) await store.putOperation(record);
    expect((await store.pendingOperations(clock.now + 100)).map((record) => record.clientContext)).toEqual([
      due.clientContext,
    ]);
    expect(await store.pendingOperations()).toHaveLength(3);
  });
});

test("the count holds after the store's order is compacted, with an invite still waiting in front all along", async () => {
  const { store, clock } = storeWith({ operations: { maxCount: 10 } });
  const waiting = openRecord({ deadline: new Date(clock.now + 3_600_000).toISOString() });
  await store.putOperation(waiting);
  // Thousands of ended invites pass behind it, each pushing an older one out: the order is compacted many times.
  const written: string[] = [];
  for (let index = 0; index < 5000; index++) {
    const record = openRecord({ status: "completed" });
    await store.putOperation(record);
    written.push(record.clientContext);
  }
  // The invite still waiting, and the nine newest of the others.
  expect((await store.operations()).map((record) => record.clientContext)).toEqual([
    waiting.clientContext,
    ...written.slice(-9),
  ]);
});
