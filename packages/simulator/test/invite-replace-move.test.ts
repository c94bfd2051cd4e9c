// The invite action as Graph carries it out for a replace and a move: the notifications and roster changes that
// follow.

import { inviteBody, movingParticipant, replacingCall, userParticipant } from "@graph-invite/client";
import { parseNotifications } from "@graph-invite/validator";
import { afterEach, describe, expect, test } from "vitest";
import type { SimulatorOptions } from "../src/index.js";
import { startCallback } from "./callback.js";
import { postInvite } from "./harness.js";
import { ann, bob, clientOf, open, refusal, world } from "./invite-worlds.js";

afterEach(async () => {
  for (const resource of open.splice(0)) await ("close" in resource ? resource.close() : resource.stop());
});

describe("a replace", () => {
  async function replaceWorld() {
    const { sim, bot } = await world();
    const p2pBot = await startCallback();
    open.push(p2pBot);
    const group = sim.createCall({ kind: "group", callbackUri: bot.url });
    const p2p = sim.createCall({
      kind: "p2p",
      callbackUri: p2pBot.url,
      participants: [{ identity: { user: { id: ann } } }],
    });
    return { sim, bot, p2pBot, group, p2p };
  }

  test("ends the peer-to-peer call once the invitee has joined the group call", async () => {
    const { sim, bot, p2pBot, group, p2p } = await replaceWorld();
    const result = await clientOf(sim).invite(group.id, inviteBody(replacingCall(userParticipant(ann), p2p.id)));
    expect(result.ok && result.operation?.participants?.[0]?.replacesCallId).toBe(p2p.id);
    await sim.settled();

    expect(bot.bodies().map((body) => body.value[0]?.["changeType"])).toEqual(["deleted", "updated"]);
    const [terminated, deleted] = p2pBot.bodies();
    expect(p2pBot.received).toHaveLength(2);
    expect(terminated?.value[0]).toMatchObject({
      changeType: "updated",
      resourceUrl: `/communications/calls/${p2p.id}`,
      resourceData: { "@odata.type": "#microsoft.graph.call", state: "terminated", resultInfo: { code: 200 } },
    });
    expect(deleted?.value[0]).toMatchObject({ changeType: "deleted", resourceUrl: `/communications/calls/${p2p.id}` });
    for (const received of p2pBot.received) {
      expect(parseNotifications(received.body, { mode: "strict" })).toMatchObject({ ok: true, warnings: [] });
    }
    expect(sim.call(p2p.id)?.state).toBe("terminated");
    const again = await postInvite(sim, p2p.id, inviteBody(userParticipant(bob)));
    expect(again.status).toBe(404);
  });

  test("keeps the peer-to-peer call when the invitee declines", async () => {
    const { sim, p2pBot, group, p2p } = await replaceWorld();
    sim.setScenario({ answers: { [ann]: { kind: "decline" } } });
    await clientOf(sim).invite(group.id, inviteBody(replacingCall(userParticipant(ann), p2p.id)));
    await sim.settled();
    expect(p2pBot.received).toEqual([]);
    expect(sim.call(p2p.id)?.state).toBe("established");
  });

  test("acts on the first participant only, as the page says", async () => {
    const { sim, bot, group, p2p } = await replaceWorld();
    const response = await postInvite(
      sim,
      group.id,
      inviteBody([replacingCall(userParticipant(ann), p2p.id), userParticipant(bob)]),
    );
    expect(response.status).toBe(200);
    expect((response.body as { participants: unknown[] }).participants).toHaveLength(1);
    await sim.settled();
    expect(sim.call(group.id)?.participants.map((participant) => participant.info.identity.user?.id)).toEqual([ann]);
    expect(bot.bodies()[0]?.value[0]).toMatchObject({
      resourceData: { participants: [{ identity: { user: { id: ann } } }] },
    });
  });

  test("refuses to replace a call that is not peer-to-peer", async () => {
    const { sim, group } = await replaceWorld();
    const other = sim.createCall({ kind: "group", callbackUri: "http://127.0.0.1:9/api/calls" });
    const response = await postInvite(sim, group.id, inviteBody(replacingCall(userParticipant(ann), other.id)));
    expect(response.status).toBe(400);
    expect(refusal(response.body).message).toContain("/participants/0/replacesCallId");
  });

  test("refuses to replace another app's call, or the call it invites into", async () => {
    const owner = { appId: "3c9e8f1a-5b2d-4e6f-8a7b-9c0d1e2f3a4b", secret: "s", tenantId: "t" };
    const stranger = { appId: "9d1f6c55-2b1e-4a8e-9f3e-5a7b0c6d4e21", secret: "s", tenantId: "t" };
    const { sim, bot } = await world({ apps: [owner, stranger] });
    const group = sim.createCall({ kind: "group", callbackUri: bot.url });
    const theirs = sim.createCall({ kind: "p2p", appId: stranger.appId, callbackUri: bot.url });
    const across = await postInvite(sim, group.id, inviteBody(replacingCall(userParticipant(ann), theirs.id)));
    expect(across.status).toBe(403);
    expect(refusal(across.body).message).toContain("/participants/0/replacesCallId");
    const itself = await postInvite(sim, group.id, inviteBody(replacingCall(userParticipant(ann), group.id)));
    expect(itself.status).toBe(400);
    expect(sim.call(theirs.id)?.state).toBe("established");
    expect(sim.operations()).toEqual([]);
  });

  test("fails an invite into the peer-to-peer call that a replace ends while it rings", async () => {
    const { sim, bot, p2pBot, group, p2p } = await replaceWorld();
    sim.setScenario({ answers: { [bob]: { kind: "accept", afterMs: 500 } } });
    const ringing = await clientOf(sim).invite(p2p.id, inviteBody(userParticipant(bob)));
    await clientOf(sim).invite(group.id, inviteBody(replacingCall(userParticipant(ann), p2p.id)));
    await sim.settled();
    expect(sim.operation(ringing.ok ? (ringing.operationId ?? "") : "")).toMatchObject({
      status: "failed",
      resultInfo: { code: 410 },
    });
    expect(sim.call(p2p.id)).toMatchObject({ state: "terminated", participants: [] });
    // The P2P bot hears the call end, then its invite fail; no roster change follows the end.
    expect(p2pBot.bodies().map((body) => body.value[0]?.["changeType"])).toEqual(["updated", "deleted", "deleted"]);
    expect(bot.received).toHaveLength(2);
  });

  test("ignores a replaced call it does not know, and says so by echoing null", async () => {
    const { sim, group } = await replaceWorld();
    const unknown = "a7ebfb2d-871e-419c-87af-27290b22e8db";
    const response = await postInvite(sim, group.id, inviteBody(replacingCall(userParticipant(bob), unknown)));
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ participants: [{ replacesCallId: null }] });
  });
});

test("finds a call whose id needs percent-encoding in the path", async () => {
  const { sim, bot } = await world();
  sim.createCall({ id: "call 1/a", kind: "group", callbackUri: bot.url });
  const response = await postInvite(sim, encodeURIComponent("call 1/a"), inviteBody(userParticipant(ann)));
  expect(response.status).toBe(200);
  expect(response.headers.get("location")).toContain(`/calls/${encodeURIComponent("call 1/a")}/operations/`);
});

describe("a move", () => {
  const participantId = "7d501bf1-5ee4-4605-ba92-0ae4513c611c";

  async function moveWorld(options: SimulatorOptions = {}) {
    const { sim, bot } = await world(options);
    const target = sim.createCall({ kind: "meeting", callbackUri: bot.url });
    const source = sim.createCall({
      kind: "meeting",
      callbackUri: bot.url,
      participants: [{ id: participantId, identity: { user: { id: ann } } }, { identity: { user: { id: bob } } }],
    });
    return { sim, bot, target, source };
  }

  test("takes the participant out of the source meeting and into the target", async () => {
    const { sim, bot, target, source } = await moveWorld();
    const invite = inviteBody(movingParticipant(userParticipant(ann), { participantId, replacesCallId: source.id }));
    const result = await clientOf(sim).invite(target.id, invite);
    expect(result.ok && result.operation?.participants?.[0]).toMatchObject({
      participantId,
      replacesCallId: source.id,
    });
    await sim.settled();
    expect(sim.call(source.id)?.participants.map((participant) => participant.id)).not.toContain(participantId);
    expect(sim.call(target.id)?.participants.map((participant) => participant.info.identity.user?.id)).toEqual([ann]);
    const rosters = bot.bodies().filter((body) => String(body.value[0]?.["resourceUrl"]).endsWith("/participants"));
    const sourceRoster = rosters.find((body) => String(body.value[0]?.["resourceUrl"]).includes(source.id));
    // The full roster of the source meeting no longer lists the moved participant.
    expect(sourceRoster?.value[0]?.["resourceData"]).toEqual([
      expect.objectContaining({
        info: expect.objectContaining({
          identity: expect.objectContaining({ user: expect.objectContaining({ id: bob }) }),
        }),
      }),
    ]);
  });

  test("reports the departure with a removedState in delta rosters", async () => {
    const { sim, bot, target, source } = await moveWorld({ scenario: { roster: "delta" } });
    const invite = inviteBody(movingParticipant(userParticipant(ann), { participantId, replacesCallId: source.id }));
    await clientOf(sim).invite(target.id, invite);
    await sim.settled();
    const sourceRoster = bot
      .bodies()
      .find((body) => body.value[0]?.["resourceUrl"] === `/communications/calls/${source.id}/participants`);
    expect(sourceRoster?.value[0]?.["resourceData"]).toMatchObject({
      "@odata.type": "#microsoft.graph.deltaParticipants",
      participants: [{ id: participantId, removedState: { reason: "movedToAnotherMeeting" } }],
    });
    expect(parseNotifications(sourceRoster, { mode: "strict" })).toMatchObject({ ok: true, warnings: [] });
  });

  test.each([
    {
      name: "a participant who is not in the source",
      id: "00000000-0000-0000-0000-000000000001",
      status: 404,
      pointer: "/participants/0/participantId",
    },
    {
      name: "a source that does not exist",
      source: "00000000-0000-0000-0000-000000000002",
      status: 404,
      pointer: "/participants/0/replacesCallId",
    },
  ])("refuses $name", async ({ id, source: sourceId, status, pointer }) => {
    const { sim, target, source } = await moveWorld();
    const from = { participantId: id ?? participantId, replacesCallId: sourceId ?? source.id };
    const response = await postInvite(sim, target.id, inviteBody(movingParticipant(userParticipant(ann), from)));
    expect(response.status).toBe(status);
    expect(refusal(response.body).message).toContain(pointer);
  });

  test("refuses a move between meetings of different apps", async () => {
    const other = { appId: "9d1f6c55-2b1e-4a8e-9f3e-5a7b0c6d4e21", secret: "s", tenantId: "t" };
    const { sim, bot } = await world({
      apps: [{ appId: "3c9e8f1a-5b2d-4e6f-8a7b-9c0d1e2f3a4b", secret: "s", tenantId: "t" }, other],
    });
    const target = sim.createCall({ kind: "meeting", callbackUri: bot.url });
    const source = sim.createCall({
      kind: "meeting",
      appId: other.appId,
      callbackUri: bot.url,
      participants: [{ id: participantId, identity: { user: { id: ann } } }],
    });
    const from = { participantId, replacesCallId: source.id };
    const response = await postInvite(sim, target.id, inviteBody(movingParticipant(userParticipant(ann), from)));
    expect(response.status).toBe(400);
    expect(refusal(response.body).message).toContain("same app");
  });
});
