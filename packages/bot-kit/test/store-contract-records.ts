// The BotStore contract's part on records: copies in and out, lookups, creation order, compare-and-set on every
// write (no update lost when writers race, from one handle or two), atomic delivery claims, invites still waiting
// with their deadlines, and unmatched notifications. Run by storeContract in store-contract.ts.
import { randomUUID } from "node:crypto";
import { expect, test } from "vitest";
import type { UnmatchedNotification } from "../src/index.js";
import { emptyRoster } from "../src/testing.js";
import { contexts, member, operation, type StoreUnderTest, update, updateRoster } from "./store-contract-fixtures.js";

/** The contract's part on records: copies, lookups, order, compare-and-set, claims, waiting invites and unmatched notifications. */
export function recordsContract(subject: StoreUnderTest): void {
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
}
