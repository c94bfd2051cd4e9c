// The whole flow over loopback: the bot invites through the simulator, which answers, rings the invitees and
// notifies the bot's endpoint; the bot reports how the invite ended and who is in the call.
import { inviteBody, phoneParticipant, userParticipant } from "@graph-invite/client";
import { describe, expect, test } from "vitest";
import { lifecycle } from "./harness.js";

const { sharedWorld } = lifecycle();

describe("an invite into a group call", () => {
  const world = sharedWorld({
    scenario: { answers: { "+12345678901": { kind: "decline", code: 603, subcode: 5400 } } },
  });

  test("completes, and the roster lists everyone who joined", async () => {
    const { sim, bot } = world();
    const call = sim.createCall({ kind: "group", callbackUri: bot.callbackUrl });
    const outcome = await bot.inviteAndWait(
      call.id,
      inviteBody([userParticipant("ann", { displayName: "Ann" }), userParticipant("bob", { displayName: "Bob" })]),
      { callKind: "group" },
    );
    expect(outcome).toMatchObject({ status: "completed", callId: call.id, error: null });
    // Only an invite that timed out lists what was refused while it waited.
    expect(outcome).not.toHaveProperty("refusedWhileWaiting");
    expect(outcome.operationId).toBe(sim.operations()[0]?.id);
    await sim.settled();
    await bot.idle();
    const roster = await bot.roster(call.id);
    const invited = roster.participants.map((member) => member.participant.info.identity?.user?.id);
    expect(invited.sort()).toEqual(["ann", "bob"]);
    const steps = (await bot.operations(call.id))[0]?.history.map((step) => step.event);
    expect(steps).toEqual(["sent", "accepted", "notification"]);
  });

  test("fails with Graph's code, subcode and message when the invitee declines", async () => {
    const { sim, bot } = world();
    const call = sim.createCall({ kind: "group", callbackUri: bot.callbackUrl });
    const outcome = await bot.inviteAndWait(call.id, inviteBody(phoneParticipant("+12345678901")));
    expect(outcome.status).toBe("failed");
    expect(outcome.resultInfo).toMatchObject({ code: 603, subcode: 5400, message: expect.any(String) });
    await sim.settled();
    await bot.idle();
    expect((await bot.roster(call.id)).participants).toEqual([]);
  });
});

describe("listeners", () => {
  const world = sharedWorld();

  test("one that throws is reported as an error event, and the bot carries on", async () => {
    const { sim, bot } = world();
    const errors: unknown[] = [];
    const stops = [
      bot.on("roster", () => {
        throw new Error("a listener's bug");
      }),
      bot.on("error", (error) => errors.push(error)),
      // An error listener that throws too must not make the bot report errors about errors forever.
      bot.on("error", () => {
        throw new Error("an error listener's bug");
      }),
    ];
    try {
      const call = sim.createCall({ kind: "group", callbackUri: bot.callbackUrl });
      const outcome = await bot.inviteAndWait(call.id, inviteBody(userParticipant("cy")));
      expect(outcome.status).toBe("completed");
      await sim.settled();
      await bot.idle();
      expect(errors).toEqual([new Error("a listener's bug")]);
      expect((await bot.roster(call.id)).participants).toHaveLength(1);
    } finally {
      for (const stop of stops) stop();
    }
  });
});
