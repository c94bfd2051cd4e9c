// How a roster follows Graph's full and delta roster notifications.

import { parseNotifications } from "@graph-invite/validator";
import { describe, expect, test } from "vitest";
import { applyRosterNotification, emptyRoster, maxMembers, RosterDraft } from "../src/roster.js";
import {
  ann,
  bob,
  callId,
  contents,
  cy,
  delta,
  full,
  type Json,
  keys,
  person,
  play,
  reversedKeys,
  said,
} from "./roster-fixtures.js";

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
