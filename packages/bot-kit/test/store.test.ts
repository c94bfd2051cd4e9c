// Any BotStore runs the bot end to end, here one that stands in for a database by serialising everything as JSON
// behind an asynchronous delay: invites settle, duplicates are dropped, rosters and late notifications are kept. (The
// contract each store keeps is store-contract.ts, run against MemoryStore and RedisStore.)
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { inviteBody, userParticipant } from "@graph-invite/client";
import { describe, expect, test } from "vitest";
import {
  type BotStore,
  MemoryStore,
  type OperationRecord,
  type RosterEvent,
  type RosterState,
  type UnmatchedNotification,
} from "../src/index.js";
import { example, lifecycle, postNotification, signedHeaders } from "./harness.js";

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
  putOperation(record: OperationRecord): Promise<boolean> {
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
  pendingOperations(dueBy?: number): Promise<OperationRecord[]> {
    return this.io("pendingOperations", () => this.inner.pendingOperations(dueBy));
  }
  putRoster(roster: RosterState, events: readonly RosterEvent[]): Promise<boolean> {
    const row = JSON.stringify(roster);
    return this.io("putRoster", () => this.inner.putRoster(JSON.parse(row) as RosterState, events));
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
    // Graph's answer comes well before the timeout, the invitee's end well after it, even on a loaded machine.
    sim.setScenario({ answers: { [user]: { kind: "no-answer", afterMs: 2500 } } });
    const call = sim.createCall({ kind: "group", callbackUri: bot.callbackUrl });
    const outcome = await bot.inviteAndWait(call.id, inviteBody(userParticipant(user)), { timeoutMs: 1000 });
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
