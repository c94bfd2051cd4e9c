// The dispatch on its own, with a real store, queue and event emitter: where each kind of notification goes, why one
// that attaches to nothing is kept (and under which call), what ends a call's roster, when a shared store is told a
// delivery is finished, and which of other instances' changes become events here.
import type { ClassifiedNotification, RejectedNotification } from "@graph-invite/validator";
import { describe, expect, test } from "vitest";
import type { StoreChange } from "../src/bot-store.js";
import type { BotEvents } from "../src/bot-types.js";
import type { CallStateEvent, RosterEvent, RosterState } from "../src/call-state.js";
import { DeliveryDispatch } from "../src/delivery-dispatch.js";
import { Emitter } from "../src/events.js";
import type { OperationTracker } from "../src/invite-tracker.js";
import { MemoryStore } from "../src/memory-store.js";
import { markingFailures } from "../src/persist.js";
import { KeyedQueue } from "../src/queue.js";
import { maxMembers } from "../src/roster.js";
import { Telemetry } from "../src/telemetry.js";
import { TimeSlices } from "../src/time-slices.js";
import { ann, bob, callId, delta, full, play } from "./roster-fixtures.js";

/** A dispatch over a MemoryStore that also counts finished deliveries, and everything it said. */
function dispatchWith(
  options: {
    broadcast?: boolean;
    finishes?: boolean;
    slowKeeping?: boolean;
    /** The bodies a store gives to take over, when it keeps them. */
    unfinished?: ReadonlyArray<{ key: string; body: string }>;
  } = {},
) {
  const store = new MemoryStore();
  if (options.unfinished !== undefined) {
    Object.assign(store, { takeUnfinishedDeliveries: async () => options.unfinished });
  }
  const finished: string[] = [];
  if (options.finishes !== false) {
    Object.assign(store, { finishDelivery: async (key: string) => void finished.push(key) });
  }
  const kept: Array<{ callId: string | undefined; reason: string; notification: unknown; finishedBefore: string[] }> =
    [];
  const toTracker: Array<StoreChange | ClassifiedNotification> = [];
  const tracker = {
    onOperation: async (notification: ClassifiedNotification) => void toTracker.push(notification),
    onStoreChange: (change: StoreChange) => void toTracker.push(change),
  } as unknown as OperationTracker;
  const said: Array<[string, unknown]> = [];
  const events = new Emitter<BotEvents>(() => {});
  for (const name of ["roster", "call", "error"] as const) events.on(name, (event) => said.push([name, event]));
  const queue = new KeyedQueue(() => {});
  const dispatch = new DeliveryDispatch({
    store: markingFailures(store),
    tracker,
    queue,
    slices: new TimeSlices(),
    events,
    telemetry: new Telemetry(false),
    keepUnmatched: async (call, reason, notification) => {
      if (options.slowKeeping === true) await new Promise((resolve) => setTimeout(resolve, 20));
      kept.push({ callId: call, reason, notification, finishedBefore: [...finished] });
    },
    deliveryRetentionMs: 60_000,
    broadcast: options.broadcast === true,
    stopped: () => false,
  });
  return { dispatch, store, finished, kept, toTracker, said, idle: () => queue.idle() };
}

const notification = (resourceUrl: string) => ({ changeType: "updated", resourceUrl }) as never;

/** A classified notification of `kind`, as the parser gives it. */
function classified(kind: "roster" | "call" | "other", call: string | undefined, extra: object = {}) {
  return {
    kind,
    callId: call,
    changeType: "updated",
    notification: notification(call === undefined ? "/communications/elsewhere" : `/communications/calls/${call}`),
    ...(kind === "roster" && { participants: [], delta: true, sequenceNumber: null }),
    ...(kind === "call" && { state: null, resultInfo: null, call: {} }),
    ...extra,
  } as unknown as ClassifiedNotification;
}

const rejected = (value: unknown): RejectedNotification => ({
  index: 0,
  pointer: "/value/0",
  notification: value,
  errors: [{ pointer: "/value/0/changeType", code: "schema.enum", message: "must be one of the listed values" }],
});

describe("what attaches to nothing is kept, with why", () => {
  test("a roster or call that names no call, and a notification of another kind, each with its own reason", async () => {
    const { dispatch, kept, idle } = dispatchWith();
    dispatch.dispatch(
      [classified("roster", undefined), classified("call", undefined), classified("other", "call-9")],
      undefined,
    );
    await idle();
    expect(kept.map(({ callId: call, reason }) => [call, reason])).toEqual([
      [undefined, "a roster whose resourceUrl names no call"],
      [undefined, "a call notification that names no call"],
      ["call-9", "neither an operation, a roster nor a call"],
    ]);
  });

  test("a notification the parser refused is filed under the call its path names, however it is spelt", async () => {
    const { dispatch, kept, idle } = dispatchWith();
    const refused = [
      { resourceUrl: "/communications/calls/call-1/participants" },
      { resourceUrl: "/communications/Calls/call-2?x=1" },
      { resourceUrl: "/communications/calls/call-3#part" },
      { resourceUrl: 7, resource: "/app/calls/call-4/operations/op" },
      { resource: 7 },
      { resourceUrl: "/communications/elsewhere" },
      "not an object",
      null,
    ];
    dispatch.dispatch([], undefined, refused.map(rejected));
    await idle();
    expect(kept.map(({ callId: call }) => call)).toEqual([
      "call-1",
      "call-2",
      "call-3",
      "call-4",
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(kept[0]?.reason).toBe(
      "a notification the parser refused: /value/0/changeType: must be one of the listed values",
    );
    expect(kept[0]?.notification).toBe(refused[0]);
  });
});

describe("a call's notifications", () => {
  async function withRoster(broadcast = false) {
    const world = dispatchWith({ broadcast });
    const { roster } = play([full([ann(), bob()])]);
    await world.store.putRoster(roster, []);
    return world;
  }

  test.each([
    ["terminated", "updated"],
    [null, "deleted"],
  ])("a call %s, %s, ends the roster: everyone leaves", async (state, changeType) => {
    const { dispatch, store, said, idle } = await withRoster();
    dispatch.dispatch([classified("call", callId, { state, changeType })], undefined);
    await idle();
    const left = said.filter(([name]) => name === "roster").map(([, event]) => (event as RosterEvent).reason);
    expect(left).toEqual(["call-ended", "call-ended"]);
    expect(said[0]?.[0]).toBe("call");
    expect((await store.roster(callId))?.ended).toBe(true);
  });

  test("a roster and a call state in one delivery: the roster is read and changed, the call announced", async () => {
    const { dispatch, said, idle } = await withRoster();
    dispatch.dispatch(
      [classified("call", callId, { state: "established" }), full([ann()]) as ClassifiedNotification],
      undefined,
    );
    await idle();
    expect(said.map(([name, event]) => [name, (event as RosterEvent).reason])).toEqual([
      ["call", undefined],
      ["roster", "absent"],
    ]);
  });

  test("a participant deleted on its own path leaves; the call and its roster go on", async () => {
    const { dispatch, store, said, idle } = await withRoster();
    const leaving = { ...delta(null, [bob()]), changeType: "deleted" } as ClassifiedNotification;
    dispatch.dispatch([leaving], undefined);
    await idle();
    expect(said.map(([, event]) => (event as RosterEvent).reason)).toEqual(["deleted"]);
    expect((await store.roster(callId))?.ended).toBe(false);
  });

  test("a newcomer to a full roster is not added, and that is reported", async () => {
    const world = dispatchWith();
    const members = Object.fromEntries(
      Array.from({ length: maxMembers }, (_, index) => [`m${index}`, { participant: {}, version: null }]),
    );
    await world.store.putRoster({ callId, members, departed: {}, ended: false, revision: 0 } as RosterState, []);
    world.dispatch.dispatch([delta(null, [ann()]) as ClassifiedNotification], undefined);
    await world.idle();
    expect(world.said.map(([name, event]) => [name, (event as Error).message])).toEqual([
      ["error", `the roster of call ${callId} is full: 1 participants were not added`],
    ]);
  });

  test("a call that is established leaves the roster as it was and is announced", async () => {
    const { dispatch, store, said, idle } = await withRoster();
    const before = await store.roster(callId);
    dispatch.dispatch([classified("call", callId, { state: "established" })], undefined);
    await idle();
    expect(said.map(([name]) => name)).toEqual(["call"]);
    expect(said[0]?.[1]).toEqual({ callId, changeType: "updated", state: "established", resultInfo: null });
    expect(await store.roster(callId)).toEqual(before);
  });
});

describe("a finished delivery", () => {
  test("is told to a store that keeps bodies once its work is done, under its key; without a key, not at all", async () => {
    const { dispatch, finished, kept, idle } = dispatchWith({ slowKeeping: true });
    dispatch.dispatch([classified("other", "call-1")], "delivery-1");
    dispatch.dispatch([classified("other", "call-1")], undefined);
    dispatch.keepInvalid("{", "not JSON", "delivery-2");
    await idle();
    expect(finished).toEqual(["delivery-1", "delivery-2"]);
    expect(kept.map(({ reason }) => reason)).toContain("not JSON");
    // Each was finished only once what it brought had been kept.
    expect(kept.map(({ finishedBefore }) => finishedBefore)).toEqual([[], ["delivery-1"], ["delivery-1"]]);
  });
});

describe("deliveries taken over from a stopped instance", () => {
  test("a store that keeps no bodies has none to give", async () => {
    const { dispatch, kept, idle } = dispatchWith();
    await dispatch.recoverDeliveries();
    await idle();
    expect(kept).toEqual([]);
  });

  test("each body is read again: one the parser takes is dispatched, one it refuses is kept, and both finished", async () => {
    const roster = { "@odata.type": "#microsoft.graph.commsNotifications", value: [full([ann()]).notification] };
    const world = dispatchWith({
      unfinished: [
        { key: "taken-1", body: JSON.stringify(roster) },
        { key: "taken-2", body: "{" },
      ],
    });
    await world.dispatch.recoverDeliveries();
    await world.idle();
    expect(world.said.map(([name, event]) => [name, (event as RosterEvent).type])).toEqual([["roster", "joined"]]);
    expect(world.kept.map(({ callId: call, reason }) => [call, reason.split(":")[0]])).toEqual([
      [undefined, "a delivery taken over from a stopped instance, which the parser refused"],
    ]);
    expect(world.finished.sort()).toEqual(["taken-1", "taken-2"]);
  });
});

describe("other instances' changes", () => {
  const rosterChange = (extra: Partial<StoreChange & { kind: "roster" }> = {}): StoreChange => ({
    kind: "roster",
    callId: "call-1",
    events: [{ type: "joined", callId: "call-1", key: "a" } as RosterEvent],
    calls: [{ callId: "call-1", changeType: "updated", state: "established", resultInfo: null } as CallStateEvent],
    ...extra,
  });

  const withoutCalls = (change: StoreChange): StoreChange => {
    const { calls: _, ...rest } = change as StoreChange & { calls?: unknown };
    return rest as StoreChange;
  };

  test("an invite's change goes to the tracker; a roster's, by default, nowhere", () => {
    const { dispatch, toTracker, said } = dispatchWith();
    const operation: StoreChange = { kind: "operation", clientContext: "c-1", operationId: null };
    dispatch.onStoreChange(operation);
    dispatch.onStoreChange(rosterChange());
    expect(toTracker).toEqual([operation]);
    expect(said).toEqual([]);
  });

  test("when every event is broadcast, a roster change's call events, then its roster events, are emitted here", () => {
    const { dispatch, toTracker, said } = dispatchWith({ broadcast: true });
    dispatch.onStoreChange(rosterChange());
    dispatch.onStoreChange(withoutCalls(rosterChange()));
    expect(said.map(([name]) => name)).toEqual(["call", "roster", "roster"]);
    expect(toTracker).toEqual([]);
  });

  test("a change too large to broadcast is reported as an error naming the call", () => {
    const { dispatch, said } = dispatchWith({ broadcast: true });
    dispatch.onStoreChange(withoutCalls(rosterChange({ events: [], tooLarge: true })));
    expect(said).toHaveLength(1);
    expect(said[0]?.[0]).toBe("error");
    expect((said[0]?.[1] as Error | undefined)?.message).toBe(
      "the events of a roster change of call call-1 were too large to broadcast (the store's inbox budget): read bot.roster()",
    );
  });
});
