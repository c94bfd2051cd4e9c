// One notification the reader cannot use never costs its siblings: a delivery that carries an invite's outcome beside
// a call state Graph has not documented yet and a notification nobody can read is acknowledged, the outcome reaches
// the invite, the new state reaches the call's listeners, and the unreadable one is kept with why, on node:http and
// through the Web handler (`bot.fetch`) alike.
import { randomUUID } from "node:crypto";
import { inviteBody, userParticipant } from "@graph-invite/client";
import { describe, expect, test } from "vitest";
import type { CallStateEvent, OperationRecord, UnmatchedNotification } from "../src/index.js";
import type { StartedBot } from "../src/node/index.js";
import { lifecycle, signedHeaders, type World } from "./harness.js";

const { sharedWorld } = lifecycle();

/** The invite's terminal notification, a call in a state Graph may add, and a notification that is not one. */
function mixedBatch(callId: string, operationId: string, clientContext: string): string {
  return JSON.stringify({
    "@odata.type": "#microsoft.graph.commsNotifications",
    value: [
      {
        changeType: "updated",
        resourceUrl: `/communications/calls/${callId}`,
        resourceData: { "@odata.type": "#microsoft.graph.call", state: "parkedInOrbit" },
      },
      {
        changeType: "deleted",
        resourceUrl: `/communications/calls/${callId}/operations/${operationId}`,
        resourceData: {
          "@odata.type": "#microsoft.graph.inviteParticipantsOperation",
          id: operationId,
          clientContext,
          status: "Completed",
          resultInfo: { code: 200, subcode: 0, message: "OK" },
        },
      },
      { changeType: "updated", resourceUrl: `/communications/calls/${callId}`, resourceData: "not an entity" },
    ],
  });
}

/** Resolves with the record once the invite of `clientContext` has been accepted by Graph. */
function accepted(bot: StartedBot, clientContext: string): Promise<OperationRecord> {
  return new Promise((resolve) => {
    const stop = bot.on("operation", ({ record, step }) => {
      if (record.clientContext === clientContext && step.event === "accepted") {
        stop();
        resolve(record);
      }
    });
  });
}

const posts = {
  "node:http": async (w: World, body: string) => {
    const response = await fetch(w.bot.callbackUrl, {
      method: "POST",
      headers: await signedHeaders(w.sim),
      body,
    });
    return response.status;
  },
  "bot.fetch": async (w: World, body: string) => {
    const request = new Request(w.bot.callbackUrl, { method: "POST", headers: await signedHeaders(w.sim), body });
    return (await w.bot.fetch(request)).status;
  },
};

describe.each(Object.entries(posts))("a mixed batch through %s", (_, post) => {
  const world = sharedWorld();

  test("reaches the invite's outcome, announces the new call state and keeps the unreadable notification", async () => {
    const w = world();
    const user = randomUUID();
    // The invitee rings for a minute: the only terminal notification is the one this test sends.
    w.sim.setScenario({ answers: { [user]: { kind: "no-answer", afterMs: 60_000 } } });
    const call = w.sim.createCall({ kind: "group", callbackUri: w.bot.callbackUrl });
    const clientContext = randomUUID();
    const calls: CallStateEvent[] = [];
    const unmatched: UnmatchedNotification[] = [];
    const stops = [w.bot.on("call", (event) => calls.push(event)), w.bot.on("unmatched", (e) => unmatched.push(e))];
    const answered = accepted(w.bot, clientContext);
    const outcome = w.bot.inviteAndWait(call.id, inviteBody(userParticipant(user), clientContext));
    const { operationId } = await answered;

    const status = await post(w, mixedBatch(call.id, operationId as string, clientContext));

    expect(status).toBe(202);
    expect(await outcome).toMatchObject({ status: "completed", clientContext, resultInfo: { code: 200 } });
    await w.bot.idle();
    for (const stop of stops) stop();
    expect(calls).toEqual([expect.objectContaining({ callId: call.id, state: "parkedInOrbit" })]);
    expect(unmatched).toEqual([
      expect.objectContaining({
        callId: call.id,
        reason: expect.stringContaining("/value/2/resourceData"),
        notification: expect.objectContaining({ resourceData: "not an entity" }),
      }),
    ]);
    expect(await w.bot.unmatched()).toContainEqual(expect.objectContaining({ reason: unmatched[0]?.reason }));
  });

  test("refuses with 400 a body none of whose notifications can be used, and keeps it", async () => {
    const w = world();
    const body = JSON.stringify({
      value: [{ changeType: "updated", resourceUrl: "/communications/calls/x", resourceData: 7 }],
    });
    const before = (await w.bot.unmatched()).length;
    expect(await post(w, body)).toBe(400);
    await w.bot.idle();
    expect((await w.bot.unmatched()).length).toBe(before + 1);
  });
});
