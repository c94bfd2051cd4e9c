// Rosters end to end: the simulator sends full or delta rosters with rosterSequenceNumber, newest first and each one
// twice, and the bot's roster still ends as the call is; a participant moved between meetings leaves one roster and
// joins the other; a replaced peer-to-peer call's roster ends; Graph's `id: null` participants are keyed by identity.
import { inviteBody, movingParticipant, replacingCall, userParticipant } from "@graph-invite/client";
import type { Delivery, Scenario } from "@graph-invite/simulator";
import { describe, expect, test } from "vitest";
import type { RosterEvent, RosterMember } from "../src/call-state.js";
import { participantKey } from "../src/roster.js";
import { lifecycle, type World } from "./harness.js";

const { sharedWorld } = lifecycle();

/**
 * Ann, Bob and Cy answer one after another, so that an invite of the three changes the roster three times and the
 * reordered delivery has something to reorder.
 */
const staggered: Scenario["answers"] = {
  ann: { kind: "accept", afterMs: 5 },
  bob: { kind: "accept", afterMs: 20 },
  cy: { kind: "accept", afterMs: 35 },
};

const userIds = (participants: readonly RosterMember[]) =>
  participants.map((member) => member.participant.info.identity?.user?.id).sort();

/** The roster events of one call, from now on. */
function recordRoster(world: World, callId: string): RosterEvent[] {
  const events: RosterEvent[] = [];
  world.bot.on("roster", (event) => {
    if (event.callId === callId) events.push(event);
  });
  return events;
}

/** The highest rosterSequenceNumber in a roster notification's body, as sent. */
function newestVersion(body: Delivery["body"]): number {
  const data: unknown = body.value[0]?.resourceData;
  const list: unknown = Array.isArray(data) ? data : (data as { participants?: unknown } | undefined)?.participants;
  const versions = (Array.isArray(list) ? list : []).map(
    (participant) => (participant as { rosterSequenceNumber?: unknown }).rosterSequenceNumber,
  );
  return Math.max(...versions.filter((version): version is number => typeof version === "number"));
}

async function settle({ sim, bot }: World): Promise<void> {
  await sim.settled();
  await bot.idle();
}

for (const mode of ["full", "delta"] as const) {
  describe(`${mode} rosters with rosterSequenceNumber, delivered newest first and twice`, () => {
    const world = sharedWorld({
      scenario: {
        roster: mode,
        rosterSequenceNumbers: true,
        delivery: { reorder: true, duplicate: true },
        answers: staggered,
      },
    });

    test("a group invite of three users ends with exactly the three", async () => {
      const { sim, bot } = world();
      const call = sim.createCall({ kind: "group", callbackUri: bot.callbackUrl });
      const events = recordRoster(world(), call.id);
      const outcome = await bot.inviteAndWait(
        call.id,
        inviteBody([userParticipant("cy"), userParticipant("ann"), userParticipant("bob")]),
        { callKind: "group" },
      );
      expect(outcome.status).toBe("completed");
      await settle(world());

      // Three roster changes were sent, newest first, each twice.
      const rosters = sim.deliveries().filter((delivery) => delivery.kind === "roster" && delivery.callId === call.id);
      expect(rosters.map((delivery) => delivery.duplicate)).toEqual([false, true, false, true, false, true]);
      expect(rosters.map((delivery) => newestVersion(delivery.body))).toEqual([3, 3, 2, 2, 1, 1]);
      const roster = await bot.roster(call.id);
      expect(roster.ended).toBe(false);
      expect(userIds(roster.participants)).toEqual(["ann", "bob", "cy"]);
      expect(roster.participants.map((member) => member.version).sort()).toEqual([1, 2, 3]);
      // Each joined once, whatever order the lists came in; the older lists that came after changed nothing.
      expect(events.map((event) => event.type)).toEqual(["joined", "joined", "joined"]);
      expect(events.map((event) => event.key).sort()).toEqual(
        roster.participants.map((member) => member.participant.id).sort(),
      );
    });

    test("a participant moved from one meeting to another is in the target's roster", async () => {
      const { sim, bot } = world();
      const source = sim.createCall({
        kind: "meeting",
        callbackUri: bot.callbackUrl,
        participants: [{ id: "moving-participant-id", identity: { user: { id: "dora" } } }],
      });
      const target = sim.createCall({ kind: "meeting", callbackUri: bot.callbackUrl });
      const events = recordRoster(world(), target.id);
      const outcome = await bot.inviteAndWait(
        target.id,
        inviteBody(
          movingParticipant(userParticipant("dora"), {
            participantId: "moving-participant-id",
            replacesCallId: source.id,
          }),
        ),
        { callKind: "meeting" },
      );
      expect(outcome.status).toBe("completed");
      await settle(world());

      expect(userIds((await bot.roster(target.id)).participants)).toEqual(["dora"]);
      expect(events.map((event) => event.type)).toEqual(["joined"]);
      // The bot never saw the source's roster before (its participant was there from the start), so all it learns
      // is the departure: nobody it knew of is in the source meeting.
      expect(sim.call(source.id)?.participants).toEqual([]);
      expect((await bot.roster(source.id)).participants).toEqual([]);
    });

    test("the newest member of a meeting the bot follows leaves its roster when moved out (in full mode, at the next list)", async () => {
      const { sim, bot } = world();
      const source = sim.createCall({ kind: "meeting", callbackUri: bot.callbackUrl });
      const target = sim.createCall({ kind: "meeting", callbackUri: bot.callbackUrl });
      for (const id of ["ann", "bob"]) {
        const joined = await bot.inviteAndWait(source.id, inviteBody(userParticipant(id)), { callKind: "meeting" });
        expect(joined.status).toBe("completed");
        await settle(world());
      }
      const before = await bot.roster(source.id);
      expect(userIds(before.participants)).toEqual(["ann", "bob"]);
      const bob = before.participants.find((member) => member.participant.info.identity?.user?.id === "bob");
      if (typeof bob?.participant.id !== "string") throw new Error("the bot does not know Bob's participant id");

      const events = recordRoster(world(), source.id);
      const moved = await bot.inviteAndWait(
        target.id,
        inviteBody(
          movingParticipant(userParticipant("bob"), { participantId: bob.participant.id, replacesCallId: source.id }),
        ),
        { callKind: "meeting" },
      );
      expect(moved.status).toBe("completed");
      await settle(world());

      expect(userIds((await bot.roster(target.id)).participants)).toEqual(["bob"]);
      if (mode === "full") {
        // The full list that follows Bob's move ([ann]) is the list sent before he joined: a full roster carries no
        // version of its own, so Bob stays until a newer list omits him (the README's limits).
        expect(userIds((await bot.roster(source.id)).participants)).toEqual(["ann", "bob"]);
        const joined = await bot.inviteAndWait(source.id, inviteBody(userParticipant("cy")), { callKind: "meeting" });
        expect(joined.status).toBe("completed");
        await settle(world());
        expect(userIds((await bot.roster(source.id)).participants)).toEqual(["ann", "cy"]);
      } else {
        expect(userIds((await bot.roster(source.id)).participants)).toEqual(["ann"]);
      }
      expect(
        events.filter((event) => event.type === "left").map(({ type, key, reason }) => ({ type, key, reason })),
      ).toEqual([
        { type: "left", key: bob.participant.id, reason: mode === "delta" ? "movedToAnotherMeeting" : "absent" },
      ]);
    });

    test("a replaced peer-to-peer call's roster ends when the simulator terminates the call", async () => {
      const { sim, bot } = world();
      const p2p = sim.createCall({
        kind: "p2p",
        callbackUri: bot.callbackUrl,
        participants: [{ identity: { user: { id: "pat" } } }],
      });
      // Seeded participants are never notified; a roster change is, so the bot learns the call's roster from
      // Ann's joining it: the whole list in full mode, Ann alone in delta mode.
      const joined = await bot.inviteAndWait(p2p.id, inviteBody(userParticipant("ann")), { callKind: "p2p" });
      expect(joined.status).toBe("completed");
      await settle(world());
      const known = await bot.roster(p2p.id);
      expect(userIds(known.participants)).toEqual(mode === "full" ? ["ann", "pat"] : ["ann"]);
      const knownKeys = known.participants.map((member) => participantKey(member.participant)).sort();

      const group = sim.createCall({ kind: "group", callbackUri: bot.callbackUrl });
      const ending = recordRoster(world(), p2p.id);
      const replaced = await bot.inviteAndWait(group.id, inviteBody(replacingCall(userParticipant("bob"), p2p.id)), {
        callKind: "group",
      });
      expect(replaced.status).toBe("completed");
      await settle(world());

      expect(sim.call(p2p.id)?.state).toBe("terminated");
      expect(userIds((await bot.roster(group.id)).participants)).toEqual(["bob"]);
      expect(await bot.roster(p2p.id)).toEqual({ callId: p2p.id, participants: [], ended: true });
      expect(ending.map((event) => [event.type, event.reason])).toEqual(knownKeys.map(() => ["left", "call-ended"]));
      expect(ending.map((event) => event.key).sort()).toEqual(knownKeys);
    });
  });
}

describe("the null-ids deviation", () => {
  const world = sharedWorld({
    scenario: {
      deviations: ["null-ids"],
      rosterSequenceNumbers: true,
      delivery: { reorder: true, duplicate: true },
      answers: staggered,
    },
  });

  for (const mode of ["full", "delta"] as const) {
    test(`${mode} rosters of participants with id: null are keyed by identity`, async () => {
      const { sim, bot } = world();
      sim.setScenario({ ...sim.scenario, roster: mode });
      const call = sim.createCall({ kind: "group", callbackUri: bot.callbackUrl });
      const events = recordRoster(world(), call.id);
      const outcome = await bot.inviteAndWait(
        call.id,
        inviteBody([userParticipant("ann"), userParticipant("bob"), userParticipant("cy")]),
        { callKind: "group" },
      );
      expect(outcome.status).toBe("completed");
      await settle(world());

      const roster = await bot.roster(call.id);
      expect(roster.participants.map((member) => member.participant.id)).toEqual([null, null, null]);
      expect(roster.participants.map((member) => participantKey(member.participant)).sort()).toEqual([
        "user:ann",
        "user:bob",
        "user:cy",
      ]);
      expect(events.map(({ type, key }) => [type, key]).sort()).toEqual([
        ["joined", "user:ann"],
        ["joined", "user:bob"],
        ["joined", "user:cy"],
      ]);
    });
  }
});
