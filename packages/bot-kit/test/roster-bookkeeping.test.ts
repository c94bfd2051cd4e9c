// The roster's counts and versions at their limits: departures remembered up to maxDepartures and trimmed by the
// oldest tenth, members up to maxMembers with updates and departures counted right, and versions Graph may send as
// null, zero or a number JSON reads as Infinity. Hand-built notifications, since the limits need tens of thousands.
import { describe, expect, test } from "vitest";
import type { RosterState } from "../src/call-state.js";
import { emptyRoster, maxDepartures, maxMembers } from "../src/roster.js";
import { ann, callId, delta, type Json, person, play, raw, said } from "./roster-fixtures.js";

const someone = (index: number, state: Parameters<typeof person>[3] = {}) =>
  person(`p${index}`, "user", `u${index}`, state);

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, offset) => from + offset);

/** A roster in which participants p{from}…p{to - 1} have joined and then left, each departure remembered. */
function departed(from: number, to: number, start: RosterState = emptyRoster(callId)): RosterState {
  const joined = play(
    [
      raw(
        range(from, to).map((index) => someone(index)),
        true,
      ),
    ],
    start,
  ).roster;
  return play(
    [
      raw(
        range(from, to).map((index) => someone(index, { removed: "departed" })),
        true,
      ),
    ],
    joined,
  ).roster;
}

describe("departures", () => {
  test("up to maxDepartures are remembered; one more forgets the oldest tenth", () => {
    const atLimit = departed(0, maxDepartures);
    expect(Object.keys(atLimit.departed)).toHaveLength(maxDepartures);

    const over = departed(maxDepartures, maxDepartures + 1, atLimit);
    const remembered = Object.keys(over.departed);
    expect(remembered).toHaveLength(maxDepartures + 1 - maxDepartures / 10);
    expect(remembered[0]).toBe(`p${maxDepartures / 10}`);
    expect(remembered.at(-1)).toBe(`p${maxDepartures}`);
  });

  test("a participant who leaves twice is counted once", () => {
    const atLimit = departed(0, maxDepartures);
    const again = play([raw([someone(0, { removed: "departed" })], true)], atLimit).roster;
    expect(Object.keys(again.departed)).toHaveLength(maxDepartures);
  });

  test("a participant who comes back is no longer counted as departed", () => {
    const atLimit = departed(0, maxDepartures);
    const back = play([raw([someone(0)], true)], atLimit).roster;
    expect(Object.keys(back.departed)).toHaveLength(maxDepartures - 1);
    // Room for exactly one more departure before the limit.
    const oneMore = departed(maxDepartures, maxDepartures + 1, back);
    expect(Object.keys(oneMore.departed)).toHaveLength(maxDepartures);
  });
});

describe("members", () => {
  const fullRoster = () =>
    play([
      raw(
        range(0, maxMembers).map((index) => someone(index)),
        true,
      ),
    ]).roster;

  test("a member of a full roster is still updated", () => {
    const { events } = play([raw([someone(7, { muted: true })], true)], fullRoster());
    expect(said(events)).toEqual([["updated", "p7"]]);
  });

  test("updates do not count as members: one place left stays one place", () => {
    const start = play([
      raw(
        range(0, maxMembers - 1).map((index) => someone(index)),
        true,
      ),
    ]).roster;
    const updated = play(
      [raw([someone(1, { muted: true })], true), raw([someone(1, { muted: false })], true)],
      start,
    ).roster;
    const { events } = play([raw([someone(maxMembers)], true)], updated);
    expect(said(events)).toEqual([["joined", `p${maxMembers}`]]);
  });

  test("a member absent from a full list frees its place", () => {
    const everyoneButOne = range(1, maxMembers).map((index) => someone(index));
    const { roster, events } = play([raw(everyoneButOne)], fullRoster());
    expect(said(events)).toEqual([["left", "p0", "absent"]]);
    const { events: joined } = play([raw([someone(maxMembers)], true)], roster);
    expect(said(joined)).toEqual([["joined", `p${maxMembers}`]]);
  });
});

describe("versions", () => {
  const at = (seq: number | null, state: { muted?: boolean; removed?: string } = {}): Json => ann({ ...state, seq });

  test("a state without a version is applied over a versioned one", () => {
    const { events } = play([delta(null, [at(5)]), raw([ann({ muted: true })], true)]);
    expect(said(events)).toEqual([
      ["joined", "a"],
      ["updated", "a"],
    ]);
  });

  test("a return after a departure without a version is not stale, even at version 0", () => {
    const left = play([raw([ann()], true), raw([ann({ removed: "departed" })], true)]).roster;
    expect(left.departed).toEqual({ a: null });
    const { events } = play([raw([at(0)], true)], left);
    expect(said(events)).toEqual([["joined", "a"]]);
  });

  test("a return with a version newer than the departure is applied; an older one is stale", () => {
    const left = play([raw([at(1)], true), raw([at(2, { removed: "departed" })], true)]).roster;
    expect(said(play([raw([at(2)], true)], left).events)).toEqual([]);
    expect(said(play([raw([at(3)], true)], left).events)).toEqual([["joined", "a"]]);
  });

  test("a version JSON read as Infinity is no version: a later numbered state still applies", () => {
    const { events } = play([raw([at(Number.POSITIVE_INFINITY)], true), raw([at(5, { muted: true })], true)]);
    expect(said(events)).toEqual([
      ["joined", "a"],
      ["updated", "a"],
    ]);
  });
});
