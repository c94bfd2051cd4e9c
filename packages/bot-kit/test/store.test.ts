// The bot's store: MemoryStore keeps to the BotStore contract (copies in and out, lookups by clientContext and by
// operation id, operations per call in creation order, delivery keys claimed once and forgotten oldest first), and
// any BotStore, here one that stands in for a database by serialising everything as JSON behind an asynchronous
// delay, runs the bot end to end: invites settle, duplicates are dropped, rosters and late notifications are kept.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { inviteBody, userParticipant } from "@graph-invite/client";
import { describe, expect, test } from "vitest";
import {
  type BotStore,
  MemoryStore,
  type OperationRecord,
  type RosterState,
  type UnmatchedNotification,
} from "../src/index.js";
import { example, lifecycle, postNotification, signedHeaders } from "./harness.js";

function operation(callId: string, overrides: Partial<OperationRecord> = {}): OperationRecord {
  const clientContext = overrides.clientContext ?? randomUUID();
  return {
    clientContext,
    callId,
    operationId: null,
    status: "sending",
    request: inviteBody(userParticipant(randomUUID()), clientContext),
    resultInfo: null,
    error: null,
    late: false,
    createdAt: "2024-01-01T00:00:00.000Z",
    updatedAt: "2024-01-01T00:00:00.000Z",
    history: [{ at: "2024-01-01T00:00:00.000Z", event: "sent" }],
    ...overrides,
  };
}

describe("MemoryStore", () => {
  test("records go in and come out as copies", async () => {
    const store = new MemoryStore();
    const record = operation("call-1");
    await store.putOperation(record);
    record.status = "failed";
    record.history.push({ at: "2024-01-01T00:00:01.000Z", event: "notification", status: "failed" });
    const stored = await store.operationByContext(record.clientContext);
    expect(stored).toMatchObject({ status: "sending", history: [{ event: "sent" }] });
    if (stored === undefined) throw new Error("not stored");
    stored.status = "completed";
    stored.history.length = 0;
    expect(await store.operationByContext(record.clientContext)).toMatchObject({
      status: "sending",
      history: [{ event: "sent" }],
    });
    const [listed] = await store.operations();
    if (listed === undefined) throw new Error("not listed");
    listed.operationId = "changed";
    expect((await store.operations())[0]?.operationId).toBeNull();
  });

  test("an operation is found by its clientContext, and by Graph's id once a put names it", async () => {
    const store = new MemoryStore();
    const record = operation("call-1");
    await store.putOperation(record);
    expect(await store.operationById("op-1")).toBeUndefined();
    await store.putOperation({ ...record, operationId: "op-1", status: "running" });
    expect(await store.operationById("op-1")).toMatchObject({ clientContext: record.clientContext, status: "running" });
    expect(await store.operationByContext(record.clientContext)).toMatchObject({ operationId: "op-1" });
    expect(await store.operationByContext("unknown")).toBeUndefined();
    expect(await store.operationById("unknown")).toBeUndefined();
  });

  test("operations are listed in creation order, of one call or of all; an update does not move one", async () => {
    const store = new MemoryStore();
    const first = operation("call-a");
    const second = operation("call-b");
    const third = operation("call-a");
    for (const record of [first, second, third]) await store.putOperation(record);
    await store.putOperation({ ...first, status: "completed" });
    const contexts = (records: OperationRecord[]) => records.map((record) => record.clientContext);
    expect(contexts(await store.operations())).toEqual([first, second, third].map((r) => r.clientContext));
    expect(contexts(await store.operations("call-a"))).toEqual([first.clientContext, third.clientContext]);
    expect(contexts(await store.operations("call-b"))).toEqual([second.clientContext]);
    expect(await store.operations("call-c")).toEqual([]);
    expect((await store.operations("call-a"))[0]?.status).toBe("completed");
  });

  test("a delivery key is claimed once", async () => {
    const store = new MemoryStore();
    expect(await store.claimDelivery("message:1")).toBe(true);
    expect(await store.claimDelivery("message:1")).toBe(false);
    expect(await store.claimDelivery("message:2")).toBe(true);
    expect(await store.claimDelivery("message:1")).toBe(false);
  });

  test("beyond the deliveries retention count, the oldest keys are forgotten first", async () => {
    const store = new MemoryStore({ retention: { deliveries: { maxCount: 2 } } });
    for (const key of ["a", "b", "c"]) expect(await store.claimDelivery(key)).toBe(true);
    // Remembered: b and c. A repeated claim does not refresh a key.
    expect(await store.claimDelivery("c")).toBe(false);
    expect(await store.claimDelivery("b")).toBe(false);
    // a was forgotten, so it is new again; claiming it pushes out b, now the oldest.
    expect(await store.claimDelivery("a")).toBe(true);
    expect(await store.claimDelivery("c")).toBe(false);
    expect(await store.claimDelivery("b")).toBe(true);
  });

  test("rosters, which are immutable, are kept as given; unmatched notifications are copies and keep their order", async () => {
    const store = new MemoryStore();
    const roster: RosterState = { callId: "call-1", members: {}, departed: {}, ended: false };
    await store.putRoster(roster);
    expect(await store.roster("call-1")).toBe(roster);
    expect(await store.roster("call-2")).toBeUndefined();

    const entries: UnmatchedNotification[] = [1, 2].map((n) => ({
      at: "2024-01-01T00:00:00.000Z",
      callId: `call-${n}`,
      reason: `reason ${n}`,
      notification: { n },
    }));
    for (const entry of entries) await store.recordUnmatched(entry);
    const listed = await store.unmatched();
    expect(listed).toEqual(entries);
    (listed[0]?.notification as { n: number }).n = 99;
    expect((await store.unmatched())[0]?.notification).toEqual({ n: 1 });
  });
});

/**
 * A store that stands in for a database: every value is written and read as JSON, after an asynchronous round trip,
 * over a MemoryStore. It counts the calls, so that a test can tell it was used.
 */
class JsonStore implements BotStore {
  readonly calls: Record<string, number> = {};
  private readonly inner = new MemoryStore();

  private async io<T>(name: string, work: () => Promise<T>): Promise<T> {
    this.calls[name] = (this.calls[name] ?? 0) + 1;
    await sleep(2);
    const result = await work();
    return result === undefined ? result : (JSON.parse(JSON.stringify(result)) as T);
  }

  claimDelivery(key: string): Promise<boolean> {
    return this.io("claimDelivery", () => this.inner.claimDelivery(key));
  }
  putOperation(record: OperationRecord): Promise<void> {
    const row = JSON.stringify(record);
    return this.io("putOperation", () => this.inner.putOperation(JSON.parse(row) as OperationRecord));
  }
  operationByContext(clientContext: string): Promise<OperationRecord | undefined> {
    return this.io("operationByContext", () => this.inner.operationByContext(clientContext));
  }
  operationById(operationId: string): Promise<OperationRecord | undefined> {
    return this.io("operationById", () => this.inner.operationById(operationId));
  }
  operations(callId?: string): Promise<OperationRecord[]> {
    return this.io("operations", () => this.inner.operations(callId));
  }
  putRoster(roster: RosterState): Promise<void> {
    const row = JSON.stringify(roster);
    return this.io("putRoster", () => this.inner.putRoster(JSON.parse(row) as RosterState));
  }
  roster(callId: string): Promise<RosterState | undefined> {
    return this.io("roster", () => this.inner.roster(callId));
  }
  recordUnmatched(entry: UnmatchedNotification): Promise<void> {
    const row = JSON.stringify(entry);
    return this.io("recordUnmatched", () => this.inner.recordUnmatched(JSON.parse(row) as UnmatchedNotification));
  }
  unmatched(): Promise<UnmatchedNotification[]> {
    return this.io("unmatched", () => this.inner.unmatched());
  }
}

describe("a bot on a store of its own", () => {
  const { sharedWorld } = lifecycle();
  const store = new JsonStore();
  const world = sharedWorld({}, { store });

  test("invites settle, duplicate deliveries are dropped through the store, and the roster is kept", async () => {
    const { sim, bot } = world();
    const [ann, bob, cat] = [randomUUID(), randomUUID(), randomUUID()];
    sim.setScenario({
      answers: { [cat]: { kind: "decline", code: 603, subcode: 5400, message: "Declined." } },
      delivery: { duplicate: true, terminalBeforeResponse: true },
    });
    const call = sim.createCall({ kind: "group", callbackUri: bot.callbackUrl });
    const [joined, declined] = await Promise.all([
      bot.inviteAndWait(call.id, inviteBody([userParticipant(ann), userParticipant(bob)]), { callKind: "group" }),
      bot.inviteAndWait(call.id, inviteBody(userParticipant(cat))),
    ]);
    expect(joined.status).toBe("completed");
    expect(declined).toMatchObject({ status: "failed", resultInfo: { code: 603, subcode: 5400 } });
    await sim.settled();
    await bot.idle();

    const roster = await bot.roster(call.id);
    const members = roster.participants.map((member) => member.participant.info.identity?.user?.id);
    expect(members.sort()).toEqual([ann, bob].sort());

    const records = await bot.operations(call.id);
    expect(records.map((record) => record.clientContext)).toEqual([joined.clientContext, declined.clientContext]);
    for (const record of records) {
      expect(record.history.map((step) => step.event)).toEqual(["sent", "notification", "accepted"]);
    }
    expect(records.map((record) => record.status)).toEqual(["completed", "failed"]);

    // Every delivery was claimed through the store, and each copy refused as a duplicate.
    const deliveries = sim.deliveries().filter((delivery) => delivery.callId === call.id);
    expect(deliveries.filter((delivery) => delivery.duplicate)).toHaveLength(deliveries.length / 2);
    expect(store.calls["claimDelivery"]).toBeGreaterThanOrEqual(deliveries.length);
    expect(store.calls["putRoster"]).toBeGreaterThan(0);
    expect(store.calls["putOperation"]).toBeGreaterThanOrEqual(6);
  });

  test("a late terminal notification and an unmatched one are kept in the store", async () => {
    const { sim, bot } = world();
    const user = randomUUID();
    sim.setScenario({ answers: { [user]: { kind: "no-answer", afterMs: 400 } } });
    const call = sim.createCall({ kind: "group", callbackUri: bot.callbackUrl });
    const outcome = await bot.inviteAndWait(call.id, inviteBody(userParticipant(user)), { timeoutMs: 100 });
    expect(outcome.status).toBe("timed-out");
    await sim.settled();
    await bot.idle();
    const record = (await bot.operations(call.id))[0];
    expect(record).toMatchObject({ status: "failed", late: true, resultInfo: { code: 408 } });
    expect(record?.history.map((step) => step.event)).toEqual(["sent", "accepted", "timed-out", "late-notification"]);

    // The reference page's example, about a call and an operation this bot never saw.
    const foreign = JSON.stringify(example("example-1-invite-one-participant.operation-completed.json"));
    expect((await postNotification(bot, foreign, await signedHeaders(sim))).status).toBe(202);
    await bot.idle();
    expect(await bot.unmatched()).toEqual([
      expect.objectContaining({
        callId: "ab6233a5-20b7-4c5e-bea2-ce56c9776429",
        notification: expect.objectContaining({ resourceData: expect.objectContaining({ status: "completed" }) }),
      }),
    ]);
    expect(store.calls["recordUnmatched"]).toBe(1);
  });
});
