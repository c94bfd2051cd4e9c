// The invite action as Graph carries it out: what it accepts and refuses, the operation it answers with, and the
// notifications and roster changes that follow.

import { applicationParticipant, inviteBody, phoneParticipant, userParticipant } from "@graph-invite/client";
import { parseInviteResponse, parseNotifications } from "@graph-invite/validator";
import { afterEach, describe, expect, test } from "vitest";
import { postInvite } from "./harness.js";
import { ann, bob, clientOf, open, refusal, world } from "./invite-worlds.js";

afterEach(async () => {
  for (const resource of open.splice(0)) await ("close" in resource ? resource.close() : resource.stop());
});

describe("an accepted invite", () => {
  test("is answered 200 with a Running operation and its Location, then completes by notification", async () => {
    // Ann answers late enough that the operation is still running when read back, however loaded the machine.
    const { sim, bot } = await world({ scenario: { answers: { [ann]: { kind: "accept", afterMs: 1_000 } } } });
    const call = sim.createCall({ kind: "group", callbackUri: bot.url });
    const result = await clientOf(sim).invite(call.id, inviteBody(userParticipant(ann), "my-context"));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(parseInviteResponse(result.operation, { mode: "strict" })).toMatchObject({ ok: true, warnings: [] });
    expect(result.operation).toMatchObject({ status: "Running", clientContext: "my-context", resultInfo: null });
    expect(result.location).toBe(`${sim.graphUrl}/communications/calls/${call.id}/operations/${result.operationId}`);
    expect(sim.operation(result.operationId ?? "")?.status).toBe("running");

    await sim.settled();
    expect(sim.operation(result.operationId ?? "")).toMatchObject({ status: "completed", resultInfo: null });
    const [operation, roster] = bot.bodies();
    expect(bot.received).toHaveLength(2);
    expect(operation?.value[0]).toMatchObject({
      changeType: "deleted",
      resourceUrl: `/communications/calls/${call.id}/operations/${result.operationId}`,
      resourceData: { status: "completed", clientContext: "my-context", id: result.operationId },
    });
    expect(roster?.value[0]).toMatchObject({
      changeType: "updated",
      resourceUrl: `/communications/calls/${call.id}/participants`,
    });
    expect(sim.call(call.id)?.participants.map((participant) => participant.info.identity.user?.id)).toEqual([ann]);
  });

  test("sends notifications that meet the contract exactly, with no deviation to normalise", async () => {
    const { sim, bot } = await world();
    const call = sim.createCall({ kind: "group", callbackUri: bot.url });
    await clientOf(sim).invite(call.id, inviteBody([userParticipant(ann), phoneParticipant("+12345678901")]));
    await sim.settled();
    expect(bot.received.length).toBe(2);
    for (const received of bot.received) {
      const parsed = parseNotifications(received.body, { mode: "strict" });
      expect(parsed, received.body).toMatchObject({ ok: true, warnings: [] });
    }
  });

  test("can be read back through Graph's GET routes", async () => {
    const { sim, bot } = await world();
    const call = sim.createCall({ kind: "group", callbackUri: bot.url });
    const result = await clientOf(sim).invite(call.id, inviteBody(userParticipant(ann)));
    await sim.settled();
    const { token } = await sim.credential()();
    const get = async (path: string) =>
      (await fetch(`${sim.graphUrl}${path}`, { headers: { Authorization: `Bearer ${token}` } })).json();
    expect(
      await get(`/communications/calls/${call.id}/operations/${result.ok ? result.operationId : ""}`),
    ).toMatchObject({
      status: "Completed",
    });
    expect(await get(`/communications/calls/${call.id}`)).toMatchObject({ id: call.id, state: "established" });
    expect(await get(`/communications/calls/${call.id}/participants`)).toMatchObject({
      value: [{ info: { identity: { user: { id: ann } } } }],
    });
  });

  test("fills in the invitee's name and tenant from the directory in the response", async () => {
    const tenantId = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    const { sim, bot } = await world({ directory: [{ id: ann, displayName: "Ann Smith", tenantId }] });
    const call = sim.createCall({ kind: "group", callbackUri: bot.url });
    const result = await clientOf(sim).invite(call.id, inviteBody(userParticipant(ann, { displayName: "ann" })));
    expect(result.ok && result.operation?.participants?.[0]?.identity).toMatchObject({
      user: { id: ann, displayName: "Ann Smith", tenantId },
      application: null,
      device: null,
    });
  });
});

describe("a refused invite", () => {
  test("names the field and the rule of a bad body in Graph's error body", async () => {
    const { sim, bot } = await world();
    const call = sim.createCall({ kind: "group", callbackUri: bot.url });
    const response = await postInvite(sim, call.id, {
      participants: [{ identity: { "@odata.type": "#microsoft.graph.identitySet", phone: { id: "12345" } } }],
    });
    expect(response.status).toBe(400);
    const error = refusal(response.body);
    expect(error.code).toBe("BadRequest");
    expect(error.message).toContain("/participants/0/identity/phone/id");
    expect(error.detail).toMatchObject({ code: "invite.phone-e164", target: "/participants/0/identity/phone/id" });
    expect(sim.operations()).toEqual([]);
    await sim.settled();
    expect(bot.received).toEqual([]);
  });

  test.each([
    {
      name: "malformed JSON",
      body: '{"participants": [,]}',
      detail: { code: "json.syntax", target: "", message: expect.stringContaining("line 1, column 19") },
    },
    {
      name: "an undeclared property",
      body: { participants: [userParticipant(ann)], extra: true },
      detail: { code: "schema.unknown-property", target: "/extra" },
    },
    {
      name: "six participants",
      body: inviteBody([ann, bob, "a", "b", "c", "d"].map((id) => userParticipant(id))),
      detail: { code: "invite.max-participants", target: "/participants" },
    },
    {
      name: "a client context over 256 characters",
      body: inviteBody(userParticipant(ann), "x".repeat(257)),
      detail: { code: "invite.client-context-length", target: "/clientContext" },
    },
  ])("refuses $name", async ({ body, detail }) => {
    const { sim, bot } = await world();
    const call = sim.createCall({ kind: "group", callbackUri: bot.url });
    const response = await postInvite(sim, call.id, body);
    expect(response.status).toBe(400);
    expect(refusal(response.body).detail).toMatchObject(detail);
  });

  test("refuses several participants into a peer-to-peer call", async () => {
    const { sim, bot } = await world();
    const call = sim.createCall({ kind: "p2p", callbackUri: bot.url });
    const response = await postInvite(sim, call.id, inviteBody([userParticipant(ann), userParticipant(bob)]));
    expect(response.status).toBe(400);
    expect(refusal(response.body).detail).toMatchObject({ code: "invite.multiple-participants-group-call-only" });
  });

  test("refuses a second bot into a group call, and accepts the first", async () => {
    const { sim, bot } = await world();
    const empty = sim.createCall({ kind: "group", callbackUri: bot.url });
    const withBot = sim.createCall({
      kind: "group",
      callbackUri: bot.url,
      participants: [{ identity: { application: { id: "2b7ec3a2-6a8c-4b58-9d3a-4d1e0f1f5b8e" } } }],
    });
    const invite = inviteBody(applicationParticipant("5b8c0d3e-1f2a-4b6c-8d9e-0a1b2c3d4e5f"));
    expect((await postInvite(sim, empty.id, invite)).status).toBe(200);
    const refused = await postInvite(sim, withBot.id, invite);
    expect(refused.status).toBe(400);
    expect(refusal(refused.body).detail).toMatchObject({ code: "invite.single-bot" });
  });

  test("answers 415 to a body that is not JSON, 404 to an unknown call", async () => {
    const { sim } = await world();
    const call = sim.createCall({ kind: "group", callbackUri: "http://127.0.0.1:9/api/calls" });
    const wrongType = await postInvite(sim, call.id, inviteBody(userParticipant(ann)), {
      "Content-Type": "text/plain",
    });
    expect(wrongType.status).toBe(415);
    expect(refusal(wrongType.body).code).toBe("UnsupportedMediaType");
    const unknown = await postInvite(sim, "00000000-0000-0000-0000-000000000000", inviteBody(userParticipant(ann)));
    expect(unknown.status).toBe(404);
    expect(refusal(unknown.body).message).toContain("00000000-0000-0000-0000-000000000000");
  });

  test("echoes the caller's client-request-id in the error", async () => {
    const { sim } = await world();
    const call = sim.createCall({ kind: "group", callbackUri: "http://127.0.0.1:9/api/calls" });
    const response = await postInvite(sim, call.id, "{}", { "client-request-id": "trace-me" });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: { innerError: { "client-request-id": "trace-me" } } });
  });
});
