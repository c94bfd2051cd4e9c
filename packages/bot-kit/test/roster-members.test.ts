// How a roster keys its members, including participants Graph sends with id: null, and what it does at the end of
// the call.

import { example } from "@graph-invite/test-support/examples";
import type { Participant } from "@graph-invite/types";
import { parseNotifications } from "@graph-invite/validator";
import { describe, expect, test } from "vitest";
import { applyRosterNotification, emptyRoster, endRoster, participantKey } from "../src/roster.js";
import {
  ann,
  bob,
  callId,
  cy,
  deepFreeze,
  delta,
  full,
  keys,
  person,
  play,
  raw,
  type State,
  said,
} from "./roster-fixtures.js";

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
