// The BotStore contract's part on compare-and-set as a property, and, for a store that several processes share,
// the change feed. Run by storeContract in store-contract.ts.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import fc from "fast-check";
import { expect, test } from "vitest";
import type { CallStateEvent, OperationRecord, RosterEvent, RosterState, StoreChange } from "../src/index.js";
import { emptyRoster } from "../src/testing.js";
import { member, operation, type StoreUnderTest, until, update } from "./store-contract-fixtures.js";

/** The contract's part on compare-and-set as a property, and on the change feed. */
export function changesContract(subject: StoreUnderTest): void {
  test("property: any sequence of writes, fresh or stale, leaves what a model of compare-and-set predicts", async () => {
    const write = fc.record({
      slot: fc.integer({ min: 0, max: 2 }),
      stale: fc.boolean(),
      status: fc.constantFrom("sending", "running", "completed", "failed") as fc.Arbitrary<OperationRecord["status"]>,
    });
    await fc.assert(
      fc.asyncProperty(fc.array(write, { maxLength: 25 }), async (writes) => {
        const store = await subject.open();
        const slots = [randomUUID(), randomUUID(), randomUUID()];
        const model = new Map<string, { status: string; revision: number }>();
        for (const { slot, stale, status } of writes) {
          const clientContext = slots[slot] as string;
          const known = model.get(clientContext);
          const revision = stale ? (known?.revision ?? 0) + 1 : (known?.revision ?? 0);
          const written = await store.putOperation(operation("c", { clientContext, status, revision }));
          expect(written).toBe(!stale);
          if (written) model.set(clientContext, { status, revision: revision + 1 });
        }
        for (const clientContext of slots) {
          const stored = await store.operationByContext(clientContext);
          const expected = model.get(clientContext);
          expect(stored === undefined ? undefined : { status: stored.status, revision: stored.revision }).toEqual(
            expected,
          );
        }
      }),
      { numRuns: 25 },
    );
  });

  // One process has one handle, and nothing to tell anyone.
  if (!subject.shared) return;
  test("changes reach only the handles that follow them, and every roster change those that ask for all", async () => {
    const store = await subject.open();
    const [following, broadcast, idle] = [
      await subject.another(store),
      await subject.another(store),
      await subject.another(store),
    ];
    if (store.watch === undefined || following.watch === undefined || broadcast.watch === undefined) {
      throw new Error("a shared store has watch");
    }
    if (idle.watch === undefined || following.follow === undefined) throw new Error("a shared store has follow");
    const heard = { following: [] as StoreChange[], broadcast: [] as StoreChange[], idle: [] as StoreChange[] };
    const echoed: StoreChange[] = [];
    const stops = [
      following.watch((change) => heard.following.push(change)),
      broadcast.watch((change) => heard.broadcast.push(change), { broadcast: true }),
      idle.watch((change) => heard.idle.push(change)),
      store.watch((change) => echoed.push(change)),
    ];
    try {
      // Each inbox is opened, and the wish for every roster change recorded, by the first sign of life.
      await sleep(200);
      const followed = operation("call-w", { operationId: "op-w" });
      const other = operation("call-w");
      await following.follow({ clientContext: followed.clientContext });
      // Followed before it exists, by its id: the write that first names the id wakes the follower.
      const named = operation("call-w");
      await following.follow({ operationId: "op-named" });
      await store.putOperation(followed);
      await store.putOperation(other);
      await store.putOperation(named);
      await store.putOperation({ ...named, operationId: "op-named", revision: 1 });
      const event: RosterEvent = {
        type: "joined",
        callId: "call-w",
        key: "p-1",
        participant: member("p-1").participant,
      };
      await store.putRoster(emptyRoster("call-w"), [event]);
      // A change of the call's own state goes with its roster's write.
      const ended: CallStateEvent = { callId: "call-w", changeType: "deleted", state: "terminated", resultInfo: null };
      const written = (await store.roster("call-w")) as RosterState;
      await store.putRoster({ ...written, ended: true }, [], [ended]);
      await until(() => heard.following.length >= 2 && heard.broadcast.length >= 2);
      await sleep(300);
      // The record may come along, as written: then the follower need not read it again.
      const withoutRecord = ({ record, ...change }: StoreChange & { record?: OperationRecord }) => {
        if (record !== undefined) {
          expect(record).toMatchObject({ clientContext: change.kind === "operation" && change.clientContext });
        }
        return change;
      };
      expect(heard.following.map(withoutRecord)).toEqual([
        { kind: "operation", clientContext: followed.clientContext, operationId: "op-w" },
        { kind: "operation", clientContext: named.clientContext, operationId: "op-named" },
      ]);
      expect(heard.broadcast).toEqual([
        { kind: "roster", callId: "call-w", events: [event] },
        { kind: "roster", callId: "call-w", events: [], calls: [ended] },
      ]);
      expect(heard.idle).toEqual([]);
      expect(echoed).toEqual([]);
      // An invite that has ended has nobody waiting: later writes wake nobody.
      await update(store, followed.clientContext, (record) => {
        record.status = "completed";
      });
      await until(() => heard.following.length >= 3);
      await update(store, followed.clientContext, (record) => {
        record.late = true;
      });
      await sleep(300);
      expect(heard.following).toHaveLength(3);
    } finally {
      for (const stop of stops) stop();
    }
  });
}
