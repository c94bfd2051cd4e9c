// Properties of a roster over arbitrary sequences of roster notifications.

import type { Participant } from "@graph-invite/types";
import type { RosterNotification } from "@graph-invite/validator";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { applyRosterNotification, emptyRoster, endRoster, participantKey } from "../src/roster.js";
import { callId, contents, delta, full, type Json, keys, person, play, raw, type State } from "./roster-fixtures.js";

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
