import { example } from "@graph-invite/test-support/examples";
import type { CommsNotification, Participant } from "@graph-invite/types";
import { parseNotifications, type RosterNotification } from "@graph-invite/validator";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  applyRosterNotification,
  emptyRoster,
  endRoster,
  maxMembers,
  participantKey,
  RosterDraft,
  type RosterEvent,
} from "../src/roster.js";
import type { RosterState } from "../src/store.js";

type Json = Record<string, unknown>;

const callId = "2f1a0b00-52c4-4c5e-9b6f-0c1d2e3f4a5b";

interface State {
  readonly muted?: boolean;
  readonly lobby?: boolean;
  /** `rosterSequenceNumber`; left out when undefined. */
  readonly seq?: number | string | null;
  /** `removedState.reason`: the participant left. */
  readonly removed?: string;
}

/** A roster entry shaped as the reference page's examples and the simulator shape them. */
function person(
  id: string | null,
  kind: "user" | "phone" | "application",
  identityId: string,
  state: State = {},
): Json {
  return {
    "@odata.type": "#microsoft.graph.participant",
    id,
    info: {
      "@odata.type": "#microsoft.graph.participantInfo",
      identity: {
        "@odata.type": "#microsoft.graph.identitySet",
        [kind]: { "@odata.type": "#microsoft.graph.identity", id: identityId },
      },
      endpointType: "default",
    },
    mediaStreams: [
      {
        "@odata.type": "#microsoft.graph.mediaStream",
        mediaType: "audio",
        sourceId: "1",
        direction: "sendReceive",
        serverMuted: false,
      },
    ],
    isMuted: state.muted ?? false,
    isInLobby: state.lobby ?? false,
    ...(state.seq !== undefined && { rosterSequenceNumber: state.seq }),
    ...(state.removed !== undefined && {
      removedState: { "@odata.type": "#microsoft.graph.removedState", reason: state.removed },
    }),
  };
}

const ann = (state: State = {}) => person("a", "user", "ann", state);
const bob = (state: State = {}) => person("b", "user", "bob", state);
const cy = (state: State = {}) => person("c", "user", "cy", state);

/** A commsNotifications body with one roster notification, run through the validator's tolerant parser. */
function parsed(resourceData: unknown, call = callId): RosterNotification {
  const result = parseNotifications({
    "@odata.type": "#microsoft.graph.commsNotifications",
    value: [
      {
        "@odata.type": "#microsoft.graph.commsNotification",
        changeType: "updated",
        resource: `/app/calls/${call}/participants`,
        resourceUrl: `/communications/calls/${call}/participants`,
        resourceData,
      },
    ],
  });
  if (!result.ok) throw new Error(`the parser refused the roster: ${JSON.stringify(result.errors)}`);
  const [notification] = result.notifications;
  if (notification?.kind !== "roster") throw new Error(`not a roster: ${notification?.kind}`);
  return notification;
}

/** A full roster: everyone in the call. */
const full = (participants: readonly Json[]) => parsed(participants);

/** A delta roster: the participants that changed, with the delta's sequence number. */
const delta = (sequenceNumber: number | null, participants: readonly Json[]) =>
  parsed({ "@odata.type": "#microsoft.graph.deltaParticipants", sequenceNumber, participants });

/** A roster notification built by hand, for what the parser refuses or never produces. */
function raw(
  participants: readonly unknown[],
  isDelta = false,
  sequenceNumber: number | null = null,
): RosterNotification {
  const resourceData = isDelta
    ? { "@odata.type": "#microsoft.graph.deltaParticipants", sequenceNumber, participants }
    : participants;
  return {
    kind: "roster",
    participants: participants as Participant[],
    delta: isDelta,
    sequenceNumber,
    callId,
    changeType: "updated",
    notification: {
      changeType: "updated",
      resourceUrl: `/communications/calls/${callId}/participants`,
      resourceData,
    } as unknown as CommsNotification,
  };
}

/** Applies the notifications in order; returns the last roster and every event. */
function play(notifications: readonly RosterNotification[], start: RosterState = emptyRoster(callId)) {
  let roster = start;
  const events: RosterEvent[] = [];
  for (const notification of notifications) {
    const change = applyRosterNotification(roster, notification);
    roster = change.roster;
    events.push(...change.events);
  }
  return { roster, events };
}

/** What the events say, without the participants' states. */
const said = (events: readonly RosterEvent[]) =>
  events.map(({ type, key, reason }) => (reason === undefined ? [type, key] : [type, key, reason]));

const keys = (roster: RosterState) => Object.keys(roster.members);

/** The members as key → participant, for comparisons that ignore the order they joined in. */
const contents = (roster: RosterState) =>
  Object.fromEntries(Object.entries(roster.members).map(([key, member]) => [key, member.participant]));

/** The same value with every object's keys in reverse order. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([key, item]) => [key, reversedKeys(item)]),
  );
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

describe("full rosters", () => {
  test("the first list makes everyone join, the next one only the newcomer", () => {
    const first = applyRosterNotification(emptyRoster(callId), full([ann()]));
    expect(first.events).toEqual([{ type: "joined", callId, key: "a", participant: ann() }]);
    const second = applyRosterNotification(first.roster, full([ann(), bob()]));
    expect(said(second.events)).toEqual([["joined", "b"]]);
    expect(second.events[0]?.participant).toEqual(bob());
    expect(keys(second.roster)).toEqual(["a", "b"]);
    expect(second.roster.members["b"]).toEqual({ participant: bob(), version: null });
  });

  test("a participant who mutes is updated, with the state it replaced", () => {
    const { roster } = play([full([ann(), bob()])]);
    const { events, roster: after } = play([full([ann({ muted: true }), bob()])], roster);
    expect(events).toEqual([{ type: "updated", callId, key: "a", participant: ann({ muted: true }), previous: ann() }]);
    expect(after.members["a"]?.participant.isMuted).toBe(true);
  });

  test("someone the list leaves out has left, as absent", () => {
    const { roster, events } = play([full([ann(), bob()]), full([bob()])]);
    expect(said(events)).toEqual([
      ["joined", "a"],
      ["joined", "b"],
      ["left", "a", "absent"],
    ]);
    expect(events[2]?.participant).toEqual(ann());
    expect(keys(roster)).toEqual(["b"]);
    expect(Object.keys(roster.departed)).toEqual(["a"]);
  });

  test("the same list twice changes nothing the second time", () => {
    const once = play([full([ann(), bob({ lobby: true })])]);
    const twice = applyRosterNotification(once.roster, full([ann(), bob({ lobby: true })]));
    expect(twice.events).toEqual([]);
    expect(twice.roster).toEqual(once.roster);
  });

  test("a list that differs only in the order of keys changes nothing", () => {
    const { roster } = play([full([ann(), bob()])]);
    const reordered = [ann(), bob()].map((participant) => reversedKeys(participant) as Json);
    expect(JSON.stringify(reordered[0])).not.toBe(JSON.stringify(ann()));
    const change = applyRosterNotification(roster, full(reordered.reverse()));
    expect(change.events).toEqual([]);
    expect(keys(change.roster).sort()).toEqual(["a", "b"]);
  });

  test("a new rosterSequenceNumber alone is not an update, but it is the member's new version", () => {
    const { roster } = play([full([ann({ seq: 1 })])]);
    const change = applyRosterNotification(roster, full([ann({ seq: 4 })]));
    expect(change.events).toEqual([]);
    expect(change.roster.members["a"]?.version).toBe(4);
  });

  test("with rosterSequenceNumber, the joins [a], [a,b], [a,b,c] delivered newest first end with a, b and c", () => {
    const lists = [
      [ann({ seq: 1 })],
      [ann({ seq: 1 }), bob({ seq: 2 })],
      [ann({ seq: 1 }), bob({ seq: 2 }), cy({ seq: 3 })],
    ];
    const { roster, events } = play(lists.map(full).reverse());
    expect(said(events)).toEqual([
      ["joined", "a"],
      ["joined", "b"],
      ["joined", "c"],
    ]);
    expect(keys(roster).sort()).toEqual(["a", "b", "c"]);
    expect(contents(roster)).toEqual({ a: ann({ seq: 1 }), b: bob({ seq: 2 }), c: cy({ seq: 3 }) });
  });

  test("with rosterSequenceNumber, the newest member's departure is seen once a newer list omits them", () => {
    // Ann joins (1), Bob joins (2), Bob leaves (3): Graph's next list names Ann only, still at the version she joined
    // at, which is exactly the list sent before Bob joined. A full list carries no version of its own, so Bob stays
    // (the README's limits say so) until a list newer than his state, here after Cy joins (4), omits him.
    const lists = [[ann({ seq: 1 })], [ann({ seq: 1 }), bob({ seq: 2 })], [ann({ seq: 1 })]];
    const { roster, events } = play(lists.map(full));
    expect(said(events)).toEqual([
      ["joined", "a"],
      ["joined", "b"],
    ]);
    expect(keys(roster).sort()).toEqual(["a", "b"]);
    const later = applyRosterNotification(roster, full([ann({ seq: 1 }), cy({ seq: 4 })]));
    expect(said(later.events)).toEqual([
      ["joined", "c"],
      ["left", "b", "absent"],
    ]);
    expect(keys(later.roster).sort()).toEqual(["a", "c"]);
  });

  test("without any version, the list that arrives last wins even when it is older", () => {
    const { roster, events } = play([full([ann(), bob()]), full([ann()])]);
    expect(said(events).at(-1)).toEqual(["left", "b", "absent"]);
    expect(keys(roster)).toEqual(["a"]);
  });
});

describe("delta rosters", () => {
  test("participants join, one per delta", () => {
    const { roster, events } = play([delta(1, [ann({ seq: 1 })]), delta(2, [bob({ seq: 2 })])]);
    expect(said(events)).toEqual([
      ["joined", "a"],
      ["joined", "b"],
    ]);
    expect(roster.members["b"]).toEqual({ participant: bob({ seq: 2 }), version: 2 });
  });

  test("a participant with a removedState has left, with its reason", () => {
    const joined = play([delta(1, [ann({ seq: 1 }), bob({ seq: 1 })])]);
    const change = applyRosterNotification(joined.roster, delta(2, [bob({ seq: 2, removed: "hungUp" })]));
    expect(change.events).toEqual([
      { type: "left", callId, key: "b", participant: bob({ seq: 2, removed: "hungUp" }), reason: "hungUp" },
    ]);
    expect(keys(change.roster)).toEqual(["a"]);
    expect(change.roster.departed).toEqual({ b: 2 });
  });

  test("the same delta twice changes nothing the second time", () => {
    const history = [delta(1, [ann({ seq: 1 }), bob({ seq: 1 })]), delta(2, [bob({ seq: 2, removed: "hungUp" })])];
    const once = play(history);
    for (const notification of history) {
      const again = applyRosterNotification(once.roster, notification);
      expect(again.events).toEqual([]);
      expect(again.roster).toEqual(once.roster);
    }
  });

  test("a delta older than a member's state is ignored", () => {
    // Versions from the delta's sequence number only, then from rosterSequenceNumber.
    const byDelta = play([delta(1, [ann()]), delta(5, [ann({ muted: true })])]);
    const stale = applyRosterNotification(byDelta.roster, delta(3, [ann({ lobby: true })]));
    expect(stale.events).toEqual([]);
    expect(stale.roster.members["a"]).toEqual({ participant: ann({ muted: true }), version: 5 });

    const bySeq = play([delta(7, [ann({ seq: 7, muted: true })])]);
    const older = applyRosterNotification(bySeq.roster, delta(8, [ann({ seq: 6 })]));
    expect(older.events).toEqual([]);
    expect(older.roster.members["a"]?.participant.isMuted).toBe(true);
  });

  test("an older delta does not bring back someone who left, and a newer one does", () => {
    const left = play([
      delta(1, [ann({ seq: 1 }), bob({ seq: 1 })]),
      delta(3, [bob({ seq: 3, removed: "movedToAnotherMeeting" })]),
    ]);
    expect(keys(left.roster)).toEqual(["a"]);
    const stale = play([delta(2, [bob({ seq: 2, muted: true })]), delta(1, [bob({ seq: 1 })])], left.roster);
    expect(stale.events).toEqual([]);
    expect(keys(stale.roster)).toEqual(["a"]);

    const back = applyRosterNotification(stale.roster, delta(4, [bob({ seq: 4 })]));
    expect(said(back.events)).toEqual([["joined", "b"]]);
    expect(back.roster.members["b"]?.version).toBe(4);
    expect(back.roster.departed).toEqual({});
  });

  test("a state at exactly the version someone left at does not bring them back, in a delta or a full roster", () => {
    const left = play([delta(1, [ann({ seq: 1 }), bob({ seq: 1 })]), delta(3, [bob({ seq: 3, removed: "hungUp" })])]);
    for (const sameVersion of [delta(3, [bob({ seq: 3 })]), full([ann({ seq: 1 }), bob({ seq: 3 })])]) {
      const replayed = applyRosterNotification(left.roster, sameVersion);
      expect(said(replayed.events)).toEqual([]);
      expect(keys(replayed.roster)).toEqual(["a"]);
    }
  });

  test("a participant deleted on its own path has left, with the reason deleted, and a stale state keeps them out", () => {
    const joined = play([delta(1, [ann({ seq: 1 }), bob({ seq: 1 })])]);
    const result = parseNotifications({
      value: [
        {
          changeType: "deleted",
          resourceUrl: `/communications/calls/${callId}/participants/b`,
          resourceData: bob({ seq: 2 }),
        },
      ],
    });
    if (!result.ok || result.notifications[0]?.kind !== "roster") throw new Error("not read as a roster");
    const gone = applyRosterNotification(joined.roster, result.notifications[0]);
    expect(said(gone.events)).toEqual([["left", "b", "deleted"]]);
    expect(keys(gone.roster)).toEqual(["a"]);
    expect(keys(applyRosterNotification(gone.roster, delta(1, [bob({ seq: 1 })])).roster)).toEqual(["a"]);
  });

  test("a roster holds at most maxMembers: who joins a full roster is counted as refused, not added", () => {
    const crowd = Array.from({ length: maxMembers + 2 }, (_, index) => person(`p${index}`, "user", `u${index}`, {}));
    const draft = new RosterDraft(emptyRoster(callId));
    const events = draft.apply(delta(1, crowd));
    expect(events).toHaveLength(maxMembers);
    expect(draft.refused).toBe(2);
    expect(Object.keys(draft.state().members)).toHaveLength(maxMembers);
    draft.apply(delta(2, [person("p0", "user", "u0", { removed: "hungUp" })]));
    expect(said(draft.apply(delta(3, [person("late", "user", "late", {})])))).toEqual([["joined", "late"]]);
  });

  test("a departure that overtakes the join is remembered, so the late join is ignored", () => {
    const { roster, events } = play([delta(2, [ann({ seq: 2, removed: "hungUp" })]), delta(1, [ann({ seq: 1 })])]);
    expect(events).toEqual([]);
    expect(keys(roster)).toEqual([]);
    expect(roster.departed).toEqual({ a: 2 });
  });

  test("a removedState without a reason is reported as removed", () => {
    const { events } = play([
      delta(1, [ann()]),
      delta(2, [{ ...ann(), removedState: { "@odata.type": "#microsoft.graph.removedState" } }]),
    ]);
    expect(said(events)).toEqual([
      ["joined", "a"],
      ["left", "a", "removed"],
    ]);
  });
});

describe("participants Graph sends with id: null", () => {
  test("one known by its id stays that member, with its id, when a list sends it with id: null", () => {
    const { roster, events } = play([
      full([person("p1", "user", "u1")]),
      full([person(null, "user", "u1", { muted: true })]),
    ]);
    expect(said(events)).toEqual([
      ["joined", "p1"],
      ["updated", "p1"],
    ]);
    expect(keys(roster)).toEqual(["p1"]);
    expect(roster.members["p1"]?.participant).toMatchObject({ id: "p1", isMuted: true });
  });

  test("one first seen with id: null keeps its identity key when its id turns up", () => {
    const { roster, events } = play([full([person(null, "user", "u1")]), full([person("p1", "user", "u1")])]);
    expect(said(events)).toEqual([
      ["joined", "user:u1"],
      ["updated", "user:u1"],
    ]);
    expect(keys(roster)).toEqual(["user:u1"]);
    expect(roster.members["user:u1"]?.participant.id).toBe("p1");
  });

  test("one removed earlier in the same list is not found again by its identity", () => {
    // Found by fast-check: the member's identity still pointed at it after the list's first entry removed it.
    const first = raw([{ id: "p1", info: { identity: { user: { id: "u2" } } }, rosterSequenceNumber: 0 }]);
    const second = raw([{ id: "p1", removedState: {} }, { info: { identity: { user: { id: "u2" } } } }]);
    const { roster, events } = play([first, second]);
    expect(said(events)).toEqual([
      ["joined", "p1"],
      ["left", "p1", "removed"],
      ["joined", "user:u2"],
    ]);
    expect(keys(roster)).toEqual(["user:u2"]);
  });

  test("two endpoints of one user, each with its id, are two members", () => {
    const { roster } = play([full([person("p1", "user", "u1"), person("p2", "user", "u1")])]);
    expect(keys(roster).sort()).toEqual(["p1", "p2"]);
  });

  test("are keyed by identity, as in the reference page's example 2", () => {
    const result = parseNotifications(example("example-2-invite-multiple-participants.roster-updated.json"));
    if (!result.ok) throw new Error("example 2 no longer parses");
    const [notification] = result.notifications;
    if (notification?.kind !== "roster") throw new Error("example 2 is not a roster");
    const { roster, events } = play([notification]);
    expect(keys(roster)).toEqual([
      "application:7e1b4346-85a6-4bdd-abe3-d11c5d420efe",
      "user:1e126418-44a0-4a94-a6f8-0efe1ad71acb",
    ]);
    expect(events.map((event) => event.type)).toEqual(["joined", "joined"]);
  });

  test("two with different identities are two members; the same identity again is the same member", () => {
    const phone = (state: State = {}) => person(null, "phone", "+12345678901", state);
    const user = (state: State = {}) => person(null, "user", "ann", state);
    const { roster, events } = play([full([user(), phone()]), full([user({ muted: true }), phone()]), full([phone()])]);
    expect(said(events)).toEqual([
      ["joined", "user:ann"],
      ["joined", "phone:+12345678901"],
      ["updated", "user:ann"],
      ["left", "user:ann", "absent"],
    ]);
    expect(keys(roster)).toEqual(["phone:+12345678901"]);
  });

  test("an id wins over the identity, and an empty id counts as none", () => {
    expect(participantKey(ann() as unknown as Participant)).toBe("a");
    expect(participantKey(person("", "user", "ann") as unknown as Participant)).toBe("user:ann");
    // No identity with an id at all: keyed by the whole info, whatever the order of its keys.
    const anonymous = { id: null, info: { endpointType: "default", identity: {} } };
    const reordered = { id: null, info: { identity: {}, endpointType: "default" } };
    expect(participantKey(anonymous as unknown as Participant)).toBe(
      participantKey(reordered as unknown as Participant),
    );
  });
});

describe("keys", () => {
  test("participant ids that are names of Object.prototype members are ordinary keys", () => {
    for (const id of ["constructor", "toString", "hasOwnProperty", "__proto__"]) {
      const participant = { ...ann(), id };
      const joined = applyRosterNotification(emptyRoster(callId), raw([participant]));
      expect(said(joined.events), id).toEqual([["joined", id]]);
      expect(Object.keys(joined.roster.members), id).toEqual([id]);
      const left = applyRosterNotification(joined.roster, raw([]));
      expect(said(left.events), id).toEqual([["left", id, "absent"]]);
      expect(Object.keys(left.roster.members), id).toEqual([]);
    }
  });
});

describe("the end of the call", () => {
  const before = () =>
    play([
      delta(1, [ann({ seq: 1 }), bob({ seq: 1 })]),
      delta(2, [cy({ seq: 2 })]),
      delta(3, [cy({ seq: 3, removed: "hungUp" })]),
    ]).roster;

  test("everyone in the call leaves, as call-ended", () => {
    const { roster, events } = endRoster(before());
    expect(events).toEqual([
      { type: "left", callId, key: "a", participant: ann({ seq: 1 }), reason: "call-ended" },
      { type: "left", callId, key: "b", participant: bob({ seq: 1 }), reason: "call-ended" },
    ]);
    expect(roster).toEqual({ callId, members: {}, departed: { a: 1, b: 1, c: 3 }, ended: true, revision: 0 });
  });

  test("notifications after the end change nothing, nor does a second end", () => {
    const { roster } = endRoster(before());
    for (const late of [delta(9, [ann({ seq: 9 })]), full([ann(), bob()]), full([]), raw([ann({ seq: 1 })])]) {
      const change = applyRosterNotification(roster, late);
      expect(change.events).toEqual([]);
      expect(change.roster).toEqual(roster);
    }
    expect(endRoster(roster).events).toEqual([]);
    expect(endRoster(roster).roster).toEqual(roster);
  });

  test("no function modifies the roster or the notification it is given", () => {
    const roster = deepFreeze(before());
    const snapshot = structuredClone(roster);
    // An update, a departure and a rejoin; a full list with a newcomer and an absentee; a stale delta.
    const notifications = [
      delta(4, [ann({ seq: 4, muted: true }), bob({ seq: 4, removed: "hungUp" }), cy({ seq: 4 })]),
      full([ann(), person(null, "phone", "+12345678901")]),
      delta(0, [ann({ seq: 0, lobby: true })]),
    ].map(deepFreeze);
    const copies = notifications.map((notification) => structuredClone(notification));
    const changes = notifications.map((notification) => applyRosterNotification(roster, notification));
    expect(changes.map(({ events }) => said(events))).toEqual([
      [
        ["updated", "a"],
        ["left", "b", "hungUp"],
        ["joined", "c"],
      ],
      [
        ["joined", "phone:+12345678901"],
        ["left", "b", "absent"],
      ],
      [],
    ]);
    expect(endRoster(roster).events).toHaveLength(2);
    expect(roster).toEqual(snapshot);
    expect(notifications).toEqual(copies);
  });
});

describe("properties", () => {
  const people = 4;

  interface Change {
    readonly who: number;
    readonly leave: boolean;
    readonly muted: boolean;
    readonly lobby: boolean;
    readonly reason: string;
  }

  const change: fc.Arbitrary<Change> = fc.record({
    who: fc.nat({ max: people - 1 }),
    leave: fc.boolean(),
    muted: fc.boolean(),
    lobby: fc.boolean(),
    reason: fc.constantFrom("hungUp", "movedToAnotherMeeting", "removedByOrganizer"),
  });

  /** Each step changes one to three participants at the next sequence number. */
  const history = fc.record({
    nullIds: fc.boolean(),
    steps: fc.array(fc.uniqueArray(change, { minLength: 1, maxLength: 3, selector: (entry) => entry.who }), {
      minLength: 1,
      maxLength: 20,
    }),
  });

  /** The deltas a history produces, one per step, and who is in the call at its end, by key. */
  function deltas({ nullIds, steps }: { nullIds: boolean; steps: readonly (readonly Change[])[] }) {
    const present = new Map<number, Json>();
    const entry = (who: number, state: State) => person(nullIds ? null : `p${who}`, "user", `u${who}`, state);
    const notifications = steps.map((step, index) => {
      const seq = index + 1;
      const changed = step.map(({ who, leave, muted, lobby, reason }) => {
        const current = present.get(who);
        if (current !== undefined && leave) {
          present.delete(who);
          return entry(who, {
            muted: current["isMuted"] === true,
            lobby: current["isInLobby"] === true,
            seq,
            removed: reason,
          });
        }
        const next = entry(who, { muted, lobby, seq });
        present.set(who, next);
        return next;
      });
      return delta(seq, changed);
    });
    const truth = Object.fromEntries(
      [...present].map(([who, participant]) => [nullIds ? `user:u${who}` : `p${who}`, participant]),
    );
    return { notifications, truth };
  }

  test("delta rosters delivered in any order, some twice, end as the history ended", () => {
    const scenario = history.chain((generated) => {
      const count = generated.steps.length;
      const order = fc.array(fc.nat({ max: count - 1 }), { maxLength: count }).chain((duplicates) => {
        const all = [...Array.from({ length: count }, (_, index) => index), ...duplicates];
        return fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length });
      });
      return fc.tuple(fc.constant(generated), order);
    });
    fc.assert(
      fc.property(scenario, ([generated, order]) => {
        const { notifications, truth } = deltas(generated);
        const inOrder = play(notifications).roster;
        const shuffled = play(order.map((index) => notifications[index] as RosterNotification)).roster;
        expect(contents(inOrder)).toEqual(truth);
        expect(contents(shuffled)).toEqual(contents(inOrder));
        for (const [key, member] of Object.entries(shuffled.members)) {
          expect(member.version).toBe(inOrder.members[key]?.version);
        }
      }),
      { numRuns: 200 },
    );
  });

  /** Participants as they should never be: any id, any identity, versions of any type, odd removedStates. */
  const oddParticipant = fc.record(
    {
      "@odata.type": fc.constant("#microsoft.graph.participant"),
      id: fc.oneof(
        fc.constantFrom("a", "b", "c"),
        fc.constant(null),
        fc.constant(""),
        // Any string, and the names of Object.prototype's members that fast-check only slips in now and then.
        fc.string({ maxLength: 12 }),
        fc.constantFrom("constructor", "toString", "__proto__"),
      ),
      info: fc.oneof(
        fc.record({
          identity: fc.oneof(
            fc.record({ user: fc.record({ id: fc.constantFrom("u1", "u2") }) }),
            fc.record({ phone: fc.record({ id: fc.oneof(fc.constant("+1555"), fc.string(), fc.integer()) }) }),
            fc.constant(null),
            fc.anything(),
          ),
        }),
        fc.constant(null),
        fc.anything(),
      ),
      isMuted: fc.oneof(fc.boolean(), fc.anything()),
      isInLobby: fc.boolean(),
      rosterSequenceNumber: fc.oneof(
        fc.integer({ min: -2, max: 8 }),
        fc.constantFrom(null, "3", "007", "-1", "x", "", "1e2", 2.5, Number.NaN, Number.POSITIVE_INFINITY),
        fc.string({ maxLength: 4 }),
      ),
      removedState: fc.oneof(
        fc.record({ reason: fc.option(fc.constantFrom("hungUp", "")) }),
        fc.constant(null),
        fc.anything(),
      ),
    },
    { requiredKeys: [] },
  );

  const oddNotification = fc
    .record({
      participants: fc.array(oddParticipant, { maxLength: 5 }),
      delta: fc.boolean(),
      sequenceNumber: fc.option(fc.integer({ min: -1, max: 8 })),
    })
    .map(({ participants, delta: isDelta, sequenceNumber }) => raw(participants, isDelta, sequenceNumber));

  test("any roster notifications, however odd, never throw, and the events replay into the new key set", () => {
    const step = fc.oneof(
      { weight: 12, arbitrary: oddNotification },
      { weight: 1, arbitrary: fc.constant("end" as const) },
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 12 }), (steps) => {
        let roster = emptyRoster(callId);
        for (const next of steps) {
          const change = next === "end" ? endRoster(roster) : applyRosterNotification(roster, next);
          const replayed = new Set(keys(roster));
          for (const event of change.events) {
            expect(event.callId).toBe(callId);
            if (event.type === "joined") {
              expect(replayed.has(event.key), `joined twice: ${event.key}`).toBe(false);
              replayed.add(event.key);
            } else if (event.type === "left") {
              expect(replayed.has(event.key), `left without being in: ${event.key}`).toBe(true);
              expect(typeof event.reason).toBe("string");
              replayed.delete(event.key);
            } else {
              expect(replayed.has(event.key), `updated without being in: ${event.key}`).toBe(true);
              expect(event.previous).toBeDefined();
            }
          }
          roster = change.roster;
          expect([...replayed].sort()).toEqual(keys(roster).sort());
          for (const [key, member] of Object.entries(roster.members)) {
            // A member keeps the key it was first seen under: its id, or its identity when that came with id: null.
            expect([participantKey(member.participant), participantKey({ ...member.participant, id: null })]).toContain(
              key,
            );
            expect(Object.hasOwn(roster.departed, key), `${key} is both in the call and departed`).toBe(false);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  test("full rosters without versions end as the last list delivered", () => {
    interface Spec {
      readonly who: number;
      readonly nullId: boolean;
      readonly muted: boolean;
      readonly lobby: boolean;
    }
    const spec: fc.Arbitrary<Spec> = fc.record({
      who: fc.nat({ max: 4 }),
      nullId: fc.boolean(),
      muted: fc.boolean(),
      lobby: fc.boolean(),
    });
    const list = fc.uniqueArray(spec, { maxLength: 5, selector: ({ who }) => who });
    fc.assert(
      fc.property(fc.array(list, { minLength: 1, maxLength: 8 }), (lists) => {
        const build = ({ who, nullId, muted, lobby }: Spec) =>
          person(nullId ? null : `p${who}`, "user", `u${who}`, { muted, lobby });
        const { roster } = play(lists.map((entries) => full(entries.map(build))));
        const last = lists.at(-1) ?? [];
        // Compared by user and without ids: a participant the roster knew by id keeps it when a list sends id: null.
        const byUser = (participants: readonly Participant[]) =>
          Object.fromEntries(
            participants.map(({ id: _id, ...participant }) => [participant.info.identity?.user?.id, participant]),
          );
        expect(byUser(Object.values(roster.members).map((member) => member.participant))).toEqual(
          byUser(last.map(build) as unknown as Participant[]),
        );
        for (const member of Object.values(roster.members)) expect(member.version).toBeNull();
      }),
      { numRuns: 200 },
    );
  });
});
