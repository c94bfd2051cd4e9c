// The BotStore contract's part on retention: by age, by count and by bytes. Run by storeContract in
// store-contract.ts.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { expect, test, vi } from "vitest";
import type { RosterState } from "../src/index.js";
import { emptyRoster } from "../src/testing.js";
import { contexts, member, operation, type StoreUnderTest } from "./store-contract-fixtures.js";

/** The contract's part on retention: by age, by count and by bytes. */
export function retentionContract(subject: StoreUnderTest): void {
  test("retention by age: delivery keys, finished operations and rosters are forgotten, each at its own age", async () => {
    // A figure of its own for each kind, two seconds apart, so that a store that applied one kind's age to another
    // would forget too early or too late. Each look comes a second after an age: with half a second, a machine
    // loaded by two test runs at once woke too late for the look before the next age.
    const ages = { deliveries: 1000, operations: 3000, rosters: 5000 };
    const store = await subject.open({
      deliveries: { maxAgeMs: ages.deliveries },
      operations: { maxAgeMs: ages.operations },
      rosters: { maxAgeMs: ages.rosters },
    });
    const key = randomUUID();
    const finished = operation("c", { status: "completed", operationId: `op-${randomUUID()}` });
    const callId = `call-${randomUUID()}`;
    const written = Date.now();
    expect(await store.claimDelivery(key)).toBe(true);
    await store.putOperation(finished);
    await store.putRoster(emptyRoster(callId), []);
    expect(await store.claimDelivery(key)).toBe(false);
    const at = (ms: number) => sleep(Math.max(0, written + ms - Date.now()));

    await at(ages.deliveries + 1000);
    expect(await store.operationByContext(finished.clientContext)).toBeDefined();
    expect(await store.roster(callId)).toBeDefined();
    expect(await store.claimDelivery(key)).toBe(true);

    await at(ages.operations + 1000);
    expect(await store.roster(callId)).toBeDefined();
    expect(await store.operationByContext(finished.clientContext)).toBeUndefined();
    expect(await store.operationById(finished.operationId ?? "")).toBeUndefined();
    expect(await store.operations()).toEqual([]);

    await at(ages.rosters + 1000);
    expect(await store.roster(callId)).toBeUndefined();
  });

  test("an invite still waiting outlives the operations' age until its deadline has passed", async () => {
    const store = await subject.open({ operations: { maxAgeMs: 200 } });
    const waiting = operation("c", { deadline: new Date(Date.now() + 1000).toISOString() });
    await store.putOperation(waiting);
    await sleep(400);
    expect(await store.operationByContext(waiting.clientContext)).toBeDefined();
    expect(contexts(await store.pendingOperations())).toEqual(contexts([waiting]));
  });

  test("retention by count: oldest first, passing over invites still waiting, each kind at its own count", async () => {
    // A count of its own for each kind, so that a store that applied one kind's count to another would keep too
    // many or too few.
    const store = await subject.open({
      deliveries: { maxCount: 2 },
      operations: { maxCount: 3 },
      rosters: { maxCount: 1 },
      unmatched: { maxCount: 4 },
    });
    for (const key of ["a", "b", "c"]) expect(await store.claimDelivery(key)).toBe(true);
    // Remembered: b and c. A repeated claim does not refresh a key.
    expect(await store.claimDelivery("c")).toBe(false);
    expect(await store.claimDelivery("b")).toBe(false);
    // a was forgotten, so it is new again; claiming it pushes out b, now the oldest.
    expect(await store.claimDelivery("a")).toBe(true);
    expect(await store.claimDelivery("c")).toBe(false);
    expect(await store.claimDelivery("b")).toBe(true);

    const waiting = operation("c", { status: "running", operationId: "op-waiting" });
    const done = [1, 2, 3, 4].map((n) => operation("c", { status: "completed", operationId: `op-done-${n}` }));
    for (const record of [waiting, ...done]) await store.putOperation(record);
    expect(contexts(await store.operations())).toEqual(contexts([waiting, ...done.slice(2)]));
    expect(await store.operationById("op-done-1")).toBeUndefined();
    expect(await store.operationById("op-done-2")).toBeUndefined();
    expect(await store.operationById("op-done-3")).toBeDefined();
    expect(await store.operationById("op-waiting")).toMatchObject({ clientContext: waiting.clientContext });

    for (const callId of ["r1", "r2"]) await store.putRoster(emptyRoster(callId), []);
    expect(await store.roster("r1")).toBeUndefined();
    expect(await store.roster("r2")).toBeDefined();

    for (const n of [1, 2, 3, 4, 5, 6]) {
      await store.recordUnmatched({ at: new Date().toISOString(), callId: "c", reason: `${n}`, notification: n });
    }
    expect((await store.unmatched()).map((entry) => entry.reason)).toEqual(["3", "4", "5", "6"]);
  });

  test("rosters written within one millisecond are forgotten least recently changed first", async () => {
    const store = await subject.open({ rosters: { maxCount: 2 } });
    // The clock alone, so that the store's client still runs on real timers.
    vi.useFakeTimers({ toFake: ["Date"], now: Date.parse("2026-01-01T00:00:00.000Z") });
    try {
      // Not in the order of their names: a store that ordered writes of one millisecond by key would forget another.
      for (const callId of ["r3", "r2"]) await store.putRoster(emptyRoster(callId), []);
      const r3 = (await store.roster("r3")) as RosterState;
      expect(await store.putRoster(r3, [])).toBe(true);
      await store.putRoster(emptyRoster("r1"), []);
    } finally {
      vi.useRealTimers();
    }
    expect(await store.roster("r2")).toBeUndefined();
    expect(await store.roster("r3")).toMatchObject({ revision: 2 });
    expect(await store.roster("r1")).toBeDefined();
  });

  test("unmatched entries are bounded by bytes: 40 refused 1 MiB bodies keep at most the budget", async () => {
    const store = await subject.open({ unmatched: { maxBytes: 4 * 1024 * 1024 } });
    const body = "x".repeat(1024 * 1024);
    for (let index = 0; index < 40; index++) {
      await store.recordUnmatched({
        at: new Date().toISOString(),
        callId: undefined,
        reason: `${index}`,
        notification: body,
      });
    }
    const kept = (await store.unmatched()).map((entry) => entry.reason);
    expect(kept.length).toBeGreaterThanOrEqual(3);
    expect(kept.length).toBeLessThanOrEqual(4);
    expect(kept.at(-1)).toBe("39");
  });

  test("rosters are bounded by bytes: twenty 1 MiB rosters keep at most the budget, the newest first", async () => {
    const budget = 4 * 1024 * 1024;
    const store = await subject.open({ rosters: { maxBytes: budget } });
    const calls = Array.from({ length: 20 }, (_, index) => `call-${index}-${randomUUID()}`);
    for (const [index, callId] of calls.entries()) {
      // 1 MiB: 64 participants of 16 KiB each, all new at each swap.
      const members = Object.fromEntries(
        Array.from({ length: 64 }, (_, n) => {
          const id = `p-${index}-${n}`;
          const bulky = member(id);
          return [id, { ...bulky, participant: { ...bulky.participant, bulk: "x".repeat(16 * 1024) } }];
        }),
      );
      expect(await store.putRoster({ ...emptyRoster(callId), members }, [])).toBe(true);
    }
    const kept: string[] = [];
    let bytes = 0;
    for (const callId of calls) {
      const roster = await store.roster(callId);
      if (roster === undefined) continue;
      kept.push(callId);
      bytes += JSON.stringify({ ...roster, revision: 0 }).length;
    }
    expect(bytes).toBeLessThanOrEqual(budget);
    expect(kept.length).toBeGreaterThanOrEqual(3);
    expect(kept).toEqual(calls.slice(-kept.length));
    // A roster larger than the whole budget is still kept: the one written is never dropped for bytes.
    const tight = await subject.open({ rosters: { maxBytes: 1024 } });
    const big = { ...emptyRoster("big"), members: { p: { ...member("p"), version: 1 } }, departed: { x: 1 } };
    await tight.putRoster({ ...big, departed: Object.fromEntries([["y".repeat(4096), 1]]) }, []);
    expect(await tight.roster("big")).toBeDefined();
  });

  test("a roster written again counts its bytes once: five rewrites of one leave room for another", async () => {
    const budget = 3 * 1024 * 1024;
    const store = await subject.open({ rosters: { maxBytes: budget } });
    const bulky = (callId: string, version: number): RosterState => {
      const base = member(`p-${callId}`);
      const participant = { ...base.participant, bulk: "x".repeat(1024 * 1024) };
      return { ...emptyRoster(callId), members: { [`p-${callId}`]: { participant, version } } };
    };
    const first = `call-${randomUUID()}`;
    let revision = 0;
    for (let version = 1; version <= 5; version++) {
      expect(await store.putRoster({ ...bulky(first, version), revision }, [])).toBe(true);
      revision++;
    }
    // About 2 MiB stored: within the budget, so the first roster stays.
    const second = `call-${randomUUID()}`;
    expect(await store.putRoster(bulky(second, 1), [])).toBe(true);
    expect((await store.roster(first))?.revision).toBe(5);
    expect(await store.roster(second)).toBeDefined();
  });
}
