// Operation notifications that name only an operation id, held on their own: held while an answer that may bring the
// id is awaited (here, or with a shared store on another instance), applied once a record names the id, and kept as
// unmatched once nothing can name it. A MemoryStore stands in for the store; the shared store's two optional methods
// are added to one, as a store several processes share has them, so that the shared path is taken.
import { randomUUID } from "node:crypto";
import type { OperationNotification } from "@graph-invite/validator";
import { afterEach, describe, expect, test, vi } from "vitest";
import type { BotStore, OperationRecord } from "../src/bot-store.js";
import { HeldNotifications } from "../src/held-notifications.js";
import { InviteWaiters } from "../src/invite-waiters.js";
import { MemoryStore } from "../src/memory-store.js";
import { callId, clientContext, notification, operationId, recordAt } from "./invite-transitions-fixtures.js";

/** A MemoryStore with what a shared store adds: a watch, follows, and a count of its reads of the invites in flight. */
class SharedMemoryStore extends MemoryStore {
  readonly follows: unknown[] = [];
  pendingReads = 0;

  watch(): () => void {
    return () => {};
  }

  async follow(interest: { readonly clientContext: string } | { readonly operationId: string }): Promise<void> {
    this.follows.push(interest);
  }

  override async pendingOperations(dueBy?: number): Promise<OperationRecord[]> {
    this.pendingReads++;
    return super.pendingOperations(dueBy);
  }
}

interface Kept {
  readonly callId: string | undefined;
  readonly reason: string;
  readonly notification: unknown;
}

function heldWith(options: { readonly store?: BotStore; readonly awaiting?: boolean } = {}) {
  const store = options.store ?? new MemoryStore();
  const waiters = new InviteWaiters(() => {});
  // Somebody here waits for Graph's answer to an invite: an answer that may bring a held notification's id.
  const awaiting = options.awaiting === true ? waiters.add(randomUUID(), false) : undefined;
  awaiting?.outcome.catch(() => {});
  const applied: Array<[OperationRecord, OperationNotification]> = [];
  const kept: Kept[] = [];
  const held = new HeldNotifications({
    store,
    waiters,
    apply: async (record, each) => {
      applied.push([record, each]);
    },
    keepUnmatched: async (callIdOf, reason, each) => {
      kept.push({ callId: callIdOf, reason, notification: each });
    },
  });
  return { held, applied, kept, waiters, awaiting };
}

const idOnly = (id: string = operationId) => notification("completed", { id, idOnly: true });

/** Writes a new invite record (revision 0 in, 1 stored) with this status and operation id. */
async function written(store: BotStore, status: "sending" | "running", id: string | null): Promise<OperationRecord> {
  const record = recordAt(status, {
    clientContext: randomUUID(),
    operationId: id,
    revision: 0,
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    deadline: new Date(Date.now() + 60_000).toISOString(),
  });
  expect(await store.putOperation(record)).toBe(true);
  return record;
}

afterEach(() => {
  vi.useRealTimers();
});

describe("held or kept", () => {
  test("an id-only notification is held while an invite here awaits Graph's answer", async () => {
    const { held, kept, applied } = heldWith({ awaiting: true });
    await held.holdOrKeep(idOnly());
    expect(held.has(operationId)).toBe(true);
    expect(held.size).toBe(1);
    expect(kept).toEqual([]);
    expect(applied).toEqual([]);
  });

  test("one that names its clientContext, or no operation id, is kept as unmatched, saying what it named", async () => {
    const { held, kept } = heldWith({ awaiting: true });
    const named = notification("completed");
    // The parser reads the id from the resource URL when the body has none: one with neither is built by hand.
    const nameless: OperationNotification = { ...notification("failed", { idOnly: true }), operationId: null };
    await held.holdOrKeep(named);
    await held.holdOrKeep(nameless);
    expect(held.size).toBe(0);
    expect(kept).toEqual([
      {
        callId,
        reason: `an operation notification (completed) that matches no invite of this bot: clientContext ${clientContext}, id ${operationId}`,
        notification: named.notification,
      },
      {
        callId,
        reason: "an operation notification (failed) that matches no invite of this bot: clientContext null, id null",
        notification: nameless.notification,
      },
    ]);
  });

  test("with no answer awaited, an id-only notification is kept as unmatched at once", async () => {
    const { held, kept } = heldWith();
    await held.holdOrKeep(idOnly());
    expect(held.size).toBe(0);
    expect(kept.map((each) => each.reason)).toEqual([
      `an operation notification (completed) that matches no invite of this bot: clientContext null, id ${operationId}`,
    ]);
  });

  test("at most 1000 are held; the next is kept as unmatched", async () => {
    const { held, kept } = heldWith({ awaiting: true });
    for (let index = 0; index < 1000; index++) await held.holdOrKeep(idOnly(randomUUID()));
    expect(held.size).toBe(1000);
    expect(kept).toEqual([]);
    const over = randomUUID();
    await held.holdOrKeep(idOnly(over));
    expect(held.has(over)).toBe(false);
    expect(held.size).toBe(1000);
    expect(kept).toHaveLength(1);
  });

  test("a store that is not shared is not asked which invites await an answer: only this process's waiters count", async () => {
    const store = new MemoryStore();
    const { held, kept } = heldWith({ store });
    // An invite still sending, in a store nobody else writes: its own waiter would be here if it still waited.
    await written(store, "sending", null);
    await held.holdOrKeep(idOnly());
    expect(held.size).toBe(0);
    expect(kept).toHaveLength(1);
  });

  test("a store that is not shared is not read when holding: the record is found by retry", async () => {
    const store = new MemoryStore();
    const { held, applied } = heldWith({ store, awaiting: true });
    await written(store, "running", operationId);
    await held.holdOrKeep(idOnly());
    expect(held.has(operationId)).toBe(true);
    expect(applied).toEqual([]);
  });
});

describe("retry", () => {
  test("applies those a record names by now, holds the rest while an answer is awaited, then keeps them", async () => {
    const store = new MemoryStore();
    const { held, applied, kept, waiters, awaiting } = heldWith({ store, awaiting: true });
    const [named, unnamed] = [randomUUID(), randomUUID()];
    await held.holdOrKeep(idOnly(named));
    await held.holdOrKeep(idOnly(unnamed));
    const record = await written(store, "running", named);

    await held.retry();
    expect(applied.map(([each, about]) => [each.clientContext, about.operationId])).toEqual([
      [record.clientContext, named],
    ]);
    expect(held.has(named)).toBe(false);
    expect(held.has(unnamed)).toBe(true);
    expect(kept).toEqual([]);

    // Graph has answered every invite here: nothing can name the id any more.
    if (awaiting !== undefined) waiters.remove([...waiters.contexts()][0] ?? "", awaiting);
    await held.retry();
    expect(held.size).toBe(0);
    expect(kept.map((each) => each.reason)).toEqual([
      `an operation notification (completed) that matches no invite of this bot: clientContext null, id ${unnamed}`,
    ]);
    expect(applied).toHaveLength(1);
  });
});

describe("with a shared store", () => {
  test("held while an invite on another instance awaits its answer, which is read at most once a second", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const store = new SharedMemoryStore();
    const { held, kept } = heldWith({ store });
    await written(store, "sending", null);

    await held.holdOrKeep(idOnly("first"));
    await held.holdOrKeep(idOnly("second"));
    expect([held.has("first"), held.has("second")]).toEqual([true, true]);
    expect(store.follows).toEqual([{ operationId: "first" }, { operationId: "second" }]);
    expect(store.pendingReads).toBe(1);

    vi.advanceTimersByTime(1000);
    await held.holdOrKeep(idOnly("third"));
    expect(store.pendingReads).toBe(1);
    vi.advanceTimersByTime(1);
    await held.holdOrKeep(idOnly("fourth"));
    expect(store.pendingReads).toBe(2);
    expect(held.size).toBe(4);
    expect(kept).toEqual([]);
  });

  test("a retry with nothing held does not read the invites in flight", async () => {
    const store = new SharedMemoryStore();
    const { held } = heldWith({ store });
    await written(store, "sending", null);
    await held.retry();
    expect(store.pendingReads).toBe(0);
  });

  test("kept as unmatched when every invite in flight has had Graph's answer", async () => {
    const store = new SharedMemoryStore();
    const { held, kept } = heldWith({ store });
    await written(store, "running", randomUUID());
    await held.holdOrKeep(idOnly());
    expect(held.size).toBe(0);
    expect(kept).toHaveLength(1);
  });

  test("a record that named the id before the follow was recorded is found by reading again, and applied", async () => {
    const store = new SharedMemoryStore();
    const { held, applied, kept } = heldWith({ store });
    await written(store, "sending", null);
    const record = await written(store, "running", operationId);

    await held.holdOrKeep(idOnly());
    expect(store.follows).toEqual([{ operationId }]);
    expect(held.has(operationId)).toBe(false);
    expect(applied.map(([each, about]) => [each.clientContext, about.operationId])).toEqual([
      [record.clientContext, operationId],
    ]);
    expect(kept).toEqual([]);
  });
});
