// The BotStore contract, as one suite that every store runs: MemoryStore and RedisStore alike. Copies in and out,
// lookups, creation order, compare-and-set on every write (no update lost when writers race, from one handle or two),
// atomic delivery claims, invites still waiting with their deadlines, retention by age and by count, and, for a store
// that several processes share, the change feed.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { inviteBody, userParticipant } from "@graph-invite/client";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type {
  BotStore,
  OperationRecord,
  RetentionOverrides,
  RosterEvent,
  RosterState,
  StoreChange,
  UnmatchedNotification,
} from "../src/index.js";
import { emptyRoster } from "../src/testing.js";

export interface StoreUnderTest {
  /** A new, empty store with these retention overrides. */
  open(retention?: RetentionOverrides): Promise<BotStore>;
  /** Another handle on the same data, as a second instance of the bot has one (the same one, for one process). */
  another(store: BotStore, retention?: RetentionOverrides): Promise<BotStore>;
  /** Several processes share the store, and so it reports their changes through `watch`. */
  readonly shared: boolean;
}

export function operation(callId: string, overrides: Partial<OperationRecord> = {}): OperationRecord {
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
    deadline: new Date(Date.now() + 60_000).toISOString(),
    revision: 0,
    history: [{ at: "2024-01-01T00:00:00.000Z", event: "sent" }],
    ...overrides,
  };
}

/** Reads the record, lets `change` change it, and writes it back, again and again until no other writer came between. */
export async function update(store: BotStore, clientContext: string, change: (record: OperationRecord) => void) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const record = await store.operationByContext(clientContext);
    if (record === undefined) throw new Error(`no record ${clientContext}`);
    change(record);
    if (await store.putOperation(record)) return attempt;
  }
  throw new Error("200 conflicts in a row");
}

function member(id: string) {
  return {
    participant: { id, info: { identity: { user: { id, displayName: id } } }, isInLobby: false, isMuted: false },
    version: null,
  };
}

async function updateRoster(store: BotStore, callId: string, add: string) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const roster = (await store.roster(callId)) ?? emptyRoster(callId);
    const next: RosterState = { ...roster, members: { ...roster.members, [add]: member(add) } };
    if (await store.putRoster(next, [])) return;
  }
  throw new Error("200 conflicts in a row");
}

const contexts = (records: readonly OperationRecord[]) => records.map((record) => record.clientContext);

export function storeContract(name: string, subject: StoreUnderTest): void {
  describe(`${name} keeps the BotStore contract`, () => {
    test("records go in and come out as copies", async () => {
      const store = await subject.open();
      const record = operation("call-1");
      expect(await store.putOperation(record)).toBe(true);
      record.status = "failed";
      record.history.push({ at: "2024-01-01T00:00:01.000Z", event: "notification", status: "failed" });
      const stored = await store.operationByContext(record.clientContext);
      expect(stored).toMatchObject({ status: "sending", history: [{ event: "sent" }], revision: 1 });
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

    test("an operation is found by its clientContext, and by Graph's id once a write names it", async () => {
      const store = await subject.open();
      const record = operation("call-1");
      await store.putOperation(record);
      expect(await store.operationById("op-1")).toBeUndefined();
      expect(await store.putOperation({ ...record, operationId: "op-1", status: "running", revision: 1 })).toBe(true);
      expect(await store.operationById("op-1")).toMatchObject({ clientContext: record.clientContext, revision: 2 });
      expect(await store.operationByContext(record.clientContext)).toMatchObject({ operationId: "op-1" });
      expect(await store.operationByContext("unknown")).toBeUndefined();
      expect(await store.operationById("unknown")).toBeUndefined();
    });

    test("an operation's fingerprint is kept as written, and a record without one stays without", async () => {
      const store = await subject.open();
      const [kept, older] = [operation("call-1"), operation("call-1")];
      expect(await store.putOperation({ ...kept, fingerprint: "sha256:0123abcd" })).toBe(true);
      expect(await store.putOperation(older)).toBe(true);
      expect((await store.operationByContext(kept.clientContext))?.fingerprint).toBe("sha256:0123abcd");
      expect(await store.operationByContext(older.clientContext)).not.toHaveProperty("fingerprint");
    });

    test("operations are listed in creation order, of one call or of all; an update does not move one", async () => {
      const store = await subject.open();
      const [first, second, third] = [operation("call-a"), operation("call-b"), operation("call-a")];
      for (const record of [first, second, third]) await store.putOperation(record);
      await update(store, first.clientContext, (record) => {
        record.status = "completed";
      });
      expect(contexts(await store.operations())).toEqual(contexts([first, second, third]));
      expect(contexts(await store.operations("call-a"))).toEqual(contexts([first, third]));
      expect(contexts(await store.operations("call-b"))).toEqual(contexts([second]));
      expect(await store.operations("call-none")).toEqual([]);
    });

    test("a write is a compare-and-set on the revision: a stale one writes nothing", async () => {
      const store = await subject.open();
      const other = await subject.another(store);
      const record = operation("call-1");
      expect(await store.putOperation(record)).toBe(true);
      // A second invite with the same clientContext: revision 0 means "none stored yet".
      expect(await other.putOperation({ ...record, status: "running" })).toBe(false);
      const read = await other.operationByContext(record.clientContext);
      if (read === undefined) throw new Error("not stored");
      expect(await store.putOperation({ ...read, status: "running" })).toBe(true);
      // `read` is stale now: its writer must read again.
      expect(await other.putOperation({ ...read, status: "failed" })).toBe(false);
      expect(await store.operationByContext(record.clientContext)).toMatchObject({ status: "running", revision: 2 });
      expect(await store.putOperation({ ...read, revision: 7 })).toBe(false);
      expect(await store.putOperation(operation("call-1", { revision: 3 }))).toBe(false);
      expect(await store.operations()).toHaveLength(1);
    });

    test("writers racing on one record, through two handles, lose no update", async () => {
      const store = await subject.open();
      const other = await subject.another(store);
      const record = operation("call-1", { history: [] });
      await store.putOperation(record);
      const writers = Array.from({ length: 40 }, (_, index) => `writer-${index}`);
      await Promise.all(
        writers.map((writer, index) =>
          update(index % 2 === 0 ? store : other, record.clientContext, (current) => {
            current.history.push({ at: new Date().toISOString(), event: "notification", detail: writer });
          }),
        ),
      );
      const final = await store.operationByContext(record.clientContext);
      expect(final?.history.map((step) => step.detail).sort()).toEqual([...writers].sort());
      expect(final?.revision).toBe(writers.length + 1);
    });

    test("rosters are compare-and-set too: racing writers through two handles keep every member", async () => {
      const store = await subject.open();
      const other = await subject.another(store);
      const callId = `call-${randomUUID()}`;
      expect(await store.roster(callId)).toBeUndefined();
      expect(await store.putRoster(emptyRoster(callId), [])).toBe(true);
      expect(await other.putRoster(emptyRoster(callId), [])).toBe(false);
      const ids = Array.from({ length: 30 }, (_, index) => `p-${index}`);
      await Promise.all(ids.map((id, index) => updateRoster(index % 2 === 0 ? store : other, callId, id)));
      const roster = await other.roster(callId);
      expect(Object.keys(roster?.members ?? {}).sort()).toEqual([...ids].sort());
      expect(roster?.revision).toBe(ids.length + 1);
    });

    test("a roster keeps keys that are special in JavaScript, such as __proto__", async () => {
      const store = await subject.open();
      const callId = `call-${randomUUID()}`;
      const members = Object.assign(Object.create(null) as Record<string, ReturnType<typeof member>>, {
        ["__proto__"]: member("__proto__"),
        constructor: member("constructor"),
      });
      await store.putRoster({ ...emptyRoster(callId), members, departed: { toString: 4 } }, []);
      const roster = await store.roster(callId);
      expect(Object.keys(roster?.members ?? {}).sort()).toEqual(["__proto__", "constructor"]);
      expect(Object.hasOwn(roster?.departed ?? {}, "toString")).toBe(true);
    });

    test("ids map one-to-one onto keys: ids that differ only in lone surrogates, or look escaped, stay apart", async () => {
      const store = await subject.open();
      // UTF-8 turns every lone surrogate into U+FFFD: a store that wrote these as they are would merge each group.
      const ids = ["\ud800x", "\udbffx", "\udc00x", "\ufffdx", "~d800x", "~", "~d8000078", "plain"];
      const tag = randomUUID();
      const records = ids.map((id) =>
        operation(`${id}${tag}`, { clientContext: `${id}${tag}`, operationId: `${id}${tag}`, status: "running" }),
      );
      for (const record of records) expect(await store.putOperation(record)).toBe(true);
      for (const record of records) {
        expect(await store.operationByContext(record.clientContext)).toMatchObject({ callId: record.callId });
        expect(await store.operationById(record.clientContext)).toMatchObject({ clientContext: record.clientContext });
        expect(contexts(await store.operations(record.callId))).toEqual([record.clientContext]);
      }
      expect(contexts(await store.operations()).sort()).toEqual(contexts(records).sort());
      expect(contexts(await store.pendingOperations()).sort()).toEqual(contexts(records).sort());
      for (const id of ids) {
        const callId = `${id}${tag}`;
        expect(await store.putRoster({ ...emptyRoster(callId), members: { [id]: member(id) } }, [])).toBe(true);
        expect(await store.claimDelivery(`${id}${tag}`)).toBe(true);
      }
      for (const id of ids) {
        expect(Object.keys((await store.roster(`${id}${tag}`))?.members ?? {})).toEqual([id]);
        expect(await store.claimDelivery(`${id}${tag}`)).toBe(false);
      }
    });

    test("a delivery is claimed once, however many handles claim it at the same moment", async () => {
      const store = await subject.open();
      const other = await subject.another(store);
      const key = randomUUID();
      const claims = await Promise.all(
        Array.from({ length: 30 }, (_, index) => (index % 2 === 0 ? store : other).claimDelivery(key)),
      );
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await store.claimDelivery(randomUUID())).toBe(true);
    });

    test("invites still waiting are listed with their deadlines; those that ended are not", async () => {
      const store = await subject.open();
      const now = Date.now();
      const soon = operation("c", { deadline: new Date(now + 1000).toISOString() });
      const later = operation("c", { deadline: new Date(now + 60_000).toISOString(), status: "running" });
      const ended = operation("c", { status: "completed" });
      const refused = operation("c", { status: "rejected", deadline: null });
      for (const record of [soon, later, ended, refused]) await store.putOperation(record);
      expect(contexts(await store.pendingOperations()).sort()).toEqual(contexts([soon, later]).sort());
      expect(contexts(await store.pendingOperations(now + 5000))).toEqual(contexts([soon]));
      expect(await store.pendingOperations(now)).toEqual([]);
      await update(store, soon.clientContext, (record) => {
        record.status = "timed-out";
      });
      expect(contexts(await store.pendingOperations())).toEqual(contexts([later]));
    });

    test("unmatched notifications keep their order and come out as copies", async () => {
      const store = await subject.open();
      const entries: UnmatchedNotification[] = [1, 2, 3].map((n) => ({
        at: new Date().toISOString(),
        callId: n === 3 ? undefined : `call-${n}`,
        reason: `reason ${n}`,
        notification: n === 3 ? "a body the parser refused, as text" : { n },
      }));
      for (const entry of entries) await store.recordUnmatched(entry);
      const listed = await store.unmatched();
      expect(listed).toEqual(
        entries.map((entry) => (entry.callId === undefined ? { ...entry, callId: undefined } : entry)),
      );
      (listed[0]?.notification as { n: number }).n = 99;
      expect((await store.unmatched())[0]?.notification).toEqual({ n: 1 });
    });

    test("retention by age: delivery keys, finished operations and rosters are forgotten, each at its own age", async () => {
      // A figure of its own for each kind, a second apart, so that a store that applied one kind's age to another
      // would forget too early or too late.
      const ages = { deliveries: 400, operations: 1400, rosters: 2400 };
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

      await at(ages.deliveries + 500);
      expect(await store.operationByContext(finished.clientContext)).toBeDefined();
      expect(await store.roster(callId)).toBeDefined();
      expect(await store.claimDelivery(key)).toBe(true);

      await at(ages.operations + 500);
      expect(await store.roster(callId)).toBeDefined();
      expect(await store.operationByContext(finished.clientContext)).toBeUndefined();
      expect(await store.operationById(finished.operationId ?? "")).toBeUndefined();
      expect(await store.operations()).toEqual([]);

      await at(ages.rosters + 500);
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
        await until(() => heard.following.length >= 2 && heard.broadcast.length >= 1);
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
        expect(heard.broadcast).toEqual([{ kind: "roster", callId: "call-w", events: [event] }]);
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
  });
}

/** Polls `condition` every 10 ms, for at most 5 s. */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
    await sleep(10);
  }
}
