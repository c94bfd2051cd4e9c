// The roster's edges: how a participant without an id is keyed, what an `id: null` borrows from the member it is,
// sequence numbers at their boundaries, and the bookkeeping behind the member and departure limits, which must
// count exactly, or a real call is refused a member or a departure is forgotten early.
import type { Participant } from "@graph-invite/types";
import { describe, expect, test } from "vitest";
import type { RosterMember, RosterState } from "../src/call-state.js";
import { applyRosterNotifications, maxDepartures, maxMembers, participantKey } from "../src/roster.js";
import { ann, bob, callId, delta, full, type Json, person, play, raw, said } from "./roster-fixtures.js";

/** A participant with no id and this identity set and info: keyed by what it is. */
const anonymous = (info: Json | undefined) => ({ "@odata.type": "#microsoft.graph.participant", id: null, info });

/** A roster of `count` members `m0`, `m1`, … (no versions), and `departed` departures `d0`, `d1`, …. */
function rosterOf(count: number, departed = 0): RosterState {
  const members: Record<string, RosterMember> = {};
  for (let index = 0; index < count; index++) {
    const participant = person(`m${index}`, "user", `u${index}`) as unknown as Participant;
    members[`m${index}`] = { participant, version: null };
  }
  const gone: Record<string, number | null> = {};
  for (let index = 0; index < departed; index++) gone[`d${index}`] = null;
  return { callId, members, departed: gone, ended: false, revision: 3 };
}

describe("participantKey", () => {
  test("a participant with neither id nor identity id is keyed by its info, as canonical JSON", () => {
    const info = { identity: { user: { displayName: "Ann" } }, endpointType: "default" };
    expect(participantKey(anonymous(info) as never)).toBe(
      'info:{"endpointType":"default","identity":{"user":{"displayName":"Ann"}}}',
    );
    expect(participantKey(anonymous(undefined) as never)).toBe("info:null");
  });

  test("by the first identity of its set that has an id, passing over those without", () => {
    const info = { identity: { user: { displayName: "no id" }, phone: { id: "+1555" } } };
    expect(participantKey(anonymous(info) as never)).toBe("phone:+1555");
  });
});

describe("a participant sent with id null", () => {
  test("takes the id of the member its identity names, in the event and the roster", () => {
    const first = play([full([ann()])]);
    const hidden = { ...ann({ muted: true }), id: null };
    const { roster, events } = play([delta(null, [hidden])], first.roster);
    expect(said(events)).toEqual([["updated", "a"]]);
    expect(events[0]?.participant.id).toBe("a");
    expect(roster.members["a"]?.participant.id).toBe("a");
  });

  test("keeps its own id when the member's is empty: an empty id is no id to lend", () => {
    const first = play([delta(null, [{ ...ann(), id: "" }])]);
    expect(Object.keys(first.roster.members)).toEqual(["user:ann"]);
    const { events } = play([raw([{ ...ann({ muted: true }), id: null }], true)], first.roster);
    expect(said(events)).toEqual([["updated", "user:ann"]]);
    expect(events[0]?.participant.id).toBeNull();
  });

  test("finds a member that joined earlier in the same batch by its identity", () => {
    const { roster, events } = applyRosterNotifications(
      { callId, members: {}, departed: {}, ended: false, revision: 0 },
      [delta(null, [ann()]), delta(null, [{ ...ann({ muted: true }), id: null }])],
    );
    expect(said(events)).toEqual([
      ["joined", "a"],
      ["updated", "a"],
    ]);
    expect(Object.keys(roster.members)).toEqual(["a"]);
  });
});

describe("sequence numbers", () => {
  test("the same number with a new state is an update; only a lower one is stale", () => {
    const first = play([full([ann({ seq: 5 })])]);
    const same = play([delta(null, [ann({ seq: 5, muted: true })])], first.roster);
    expect(said(same.events)).toEqual([["updated", "a"]]);
    const lower = play([delta(null, [ann({ seq: 4, lobby: true })])], same.roster);
    expect(lower.events).toEqual([]);
  });

  test("a full roster's newest number is its highest, in whatever order its participants come", () => {
    // Cy joined at 4. The list's newest state is bob's 5, listed first: cy is absent from a list newer than her join.
    const start = play([delta(null, [person("c", "user", "cy", { seq: 4 })])]);
    const { events } = play([full([bob({ seq: 5 }), ann({ seq: 3 })])], start.roster);
    expect(said(events)).toContainEqual(["left", "c", "absent"]);
  });

  test("a member whose number equals the list's newest is absent from it: it left", () => {
    const start = play([delta(null, [person("c", "user", "cy", { seq: 5 })])]);
    const { events } = play([full([ann({ seq: 5 })])], start.roster);
    expect(said(events)).toContainEqual(["left", "c", "absent"]);
  });

  test("a member without a number is absent from any list, even one whose numbers are below zero", () => {
    const start = play([delta(null, [person("c", "user", "cy")])]);
    const { events } = play([full([ann({ seq: -1 })])], start.roster);
    expect(said(events)).toContainEqual(["left", "c", "absent"]);
  });

  test("a member without a number takes any numbered state, one below zero too", () => {
    const first = play([full([ann()])]);
    expect(said(play([delta(null, [ann({ seq: -1, muted: true })])], first.roster).events)).toEqual([["updated", "a"]]);
  });

  test("a re-sent state that differs only in its number says nothing", () => {
    const first = play([full([ann({ seq: 1 })])]);
    expect(play([full([ann({ seq: 2 })])], first.roster).events).toEqual([]);
  });
});

describe("what a notification leaves alone", () => {
  test("a removedState of null is no removal: the participant joins", () => {
    const { events } = play([raw([{ ...ann(), removedState: null }], true)]);
    expect(said(events)).toEqual([["joined", "a"]]);
  });

  test("a delta leaves the members it does not name, whatever their keys", () => {
    // One-letter keys such as `S` and `t` once stood for characters of a string mistaken for the members.
    const start = play([full([person("S", "user", "s"), person("t", "user", "t")])]);
    expect(play([delta(null, [ann()])], start.roster).events.map(({ type }) => type)).toEqual(["joined"]);
  });

  test("a participant nested deeper than the stack is reported as updated, never as the same", () => {
    // Two copies, so that the comparison cannot stop at one object being itself.
    const deep = () => {
      let value: Json = {};
      for (let depth = 0; depth < 200_000; depth++) value = { value };
      return value;
    };
    // Only a store's reader or a hand-built notification gets one here: the parser refuses such depth.
    const first = play([raw([{ ...ann(), extra: deep() }])]);
    expect(said(play([raw([{ ...ann(), extra: deep() }])], first.roster).events)).toEqual([["updated", "a"]]);
  });
});

describe("the limits count exactly", () => {
  test("an update does not count as a member: the roster one short of full still takes a newcomer", () => {
    const { roster, events } = applyRosterNotifications(rosterOf(maxMembers - 1), [
      delta(null, [person("m0", "user", "u0", { muted: true })]),
      delta(null, [ann()]),
    ]);
    expect(said(events)).toEqual([
      ["updated", "m0"],
      ["joined", "a"],
    ]);
    expect(Object.keys(roster.members)).toHaveLength(maxMembers);
  });

  test("a member absent from a full roster frees its place for a newcomer in the same batch", () => {
    const start = rosterOf(maxMembers);
    const everyoneButM0 = Object.values(start.members)
      .slice(1)
      .map((member) => member.participant as Json);
    const { events } = applyRosterNotifications(start, [raw(everyoneButM0), delta(null, [ann()])]);
    expect(said(events)).toEqual([
      ["left", "m0", "absent"],
      ["joined", "a"],
    ]);
  });

  test("departures beyond the most kept forget the oldest tenth once, then count on from there", () => {
    const start = rosterOf(2, maxDepartures);
    const leave = (id: string) => delta(null, [person(id, "user", id, { removed: "left" })]);
    // The first departure over the limit forgets the oldest tenth: 10 001 - 1 000.
    const once = applyRosterNotifications(start, [leave("m0")]).roster;
    expect(Object.keys(once.departed)).toHaveLength(maxDepartures + 1 - maxDepartures / 10);
    // The next, in the same batch, is counted from there, with nothing more forgotten.
    const twice = applyRosterNotifications(start, [leave("m0"), leave("m1")]).roster;
    expect(Object.keys(twice.departed)).toHaveLength(maxDepartures + 2 - maxDepartures / 10);
  });

  test("a departed participant who comes back is no longer counted as departed", () => {
    // d0 rejoins, so the roster holds one departure fewer than the most: the next departure forgets nothing.
    const start = rosterOf(1, maxDepartures);
    const { roster } = applyRosterNotifications(start, [
      delta(null, [person("d0", "user", "d0")]),
      delta(null, [person("m0", "user", "u0", { removed: "left" })]),
    ]);
    expect(Object.keys(roster.departed)).toHaveLength(maxDepartures);
  });

  test("newcomers never seen before leave the count of departures as it was", () => {
    const start = rosterOf(0, maxDepartures);
    const newcomers = Array.from({ length: 2_000 }, (_, index) => person(`n${index}`, "user", `n${index}`));
    const leavers = newcomers.map((participant) => ({
      ...participant,
      removedState: { "@odata.type": "#microsoft.graph.removedState", reason: "left" },
    }));
    const { roster } = applyRosterNotifications(start, [delta(null, newcomers), delta(null, leavers)]);
    expect(Object.keys(roster.departed).length).toBeLessThanOrEqual(maxDepartures);
  });
});
