// The invite tracker end to end, over loopback against the simulator: invites rejected before sending or by Graph,
// and a wait that is aborted.

import { randomUUID } from "node:crypto";
import { getEventListeners } from "node:events";
import { applicationParticipant, createInviteClient, inviteBody, userParticipant } from "@graph-invite/client";
import type { InvitationParticipantInfo } from "@graph-invite/types";
import { describe, expect, test } from "vitest";
import { startBot } from "../src/node/index.js";
import { lifecycle } from "./harness.js";
import { arrange, inviteRequests, nextStep, quiet, recordOf, steps } from "./tracker-operations.js";

const { sharedWorld } = lifecycle();

describe("invites refused before sending", () => {
  const world = sharedWorld();

  const cases: Array<{
    name: string;
    participants: () => InvitationParticipantInfo[];
    kind: "group" | "p2p";
    code: string;
    pointer: string;
  }> = [
    {
      name: "six participants",
      participants: () => Array.from({ length: 6 }, () => userParticipant(randomUUID())),
      kind: "group",
      code: "invite.max-participants",
      pointer: "/participants",
    },
    {
      name: "two application participants",
      participants: () => [applicationParticipant(randomUUID()), applicationParticipant(randomUUID())],
      kind: "group",
      code: "invite.single-bot",
      pointer: "/participants/1/identity/application",
    },
    {
      name: "two participants into a peer-to-peer call",
      participants: () => [userParticipant(randomUUID()), userParticipant(randomUUID())],
      kind: "p2p",
      code: "invite.multiple-participants-group-call-only",
      pointer: "/participants",
    },
  ];

  test.each(cases)("$name: rejected with $code at $pointer, and nothing is sent", async (given) => {
    const w = world();
    w.sim.setScenario({});
    const call = w.sim.createCall({ kind: given.kind, callbackUri: w.bot.callbackUrl });
    const outcome = await w.bot.inviteAndWait(call.id, inviteBody(given.participants()), { callKind: given.kind });
    expect(outcome.status).toBe("rejected");
    expect(outcome.operationId).toBeNull();
    expect(outcome.error?.kind).toBe("validation");
    const issues = outcome.error?.kind === "validation" ? outcome.error.issues : [];
    expect(issues).toContainEqual(expect.objectContaining({ code: given.code, pointer: given.pointer }));
    expect(inviteRequests(w.sim, call.id)).toEqual([]);
    const record = await recordOf(w.bot, outcome.clientContext);
    expect(record).toMatchObject({ status: "rejected", callId: call.id, error: { kind: "validation" } });
    expect(steps(record)).toEqual(["refused"]);
    expect(record?.history[0]?.detail).toContain(given.code);
  });

  test("a second bot when one is in the call already (`botInCall`)", async () => {
    const w = world();
    const call = arrange(w);
    const outcome = await w.bot.inviteAndWait(call.id, inviteBody(applicationParticipant(randomUUID())), {
      callKind: "group",
      botInCall: true,
    });
    expect(outcome.status).toBe("rejected");
    expect(outcome.error).toMatchObject({
      kind: "validation",
      issues: [expect.objectContaining({ code: "invite.single-bot" })],
    });
    expect(inviteRequests(w.sim, call.id)).toEqual([]);
  });
});

describe("invites Graph refuses", () => {
  const other = { appId: randomUUID(), secret: "other-secret", tenantId: randomUUID() };
  const mine = { appId: randomUUID(), secret: "my-secret", tenantId: randomUUID() };
  const world = sharedWorld({ apps: [mine, other] });

  test("into a call Graph does not know: rejected with Graph's 404", async () => {
    const w = world();
    w.sim.setScenario({});
    const callId = randomUUID();
    const outcome = await w.bot.inviteAndWait(callId, inviteBody(userParticipant(randomUUID())));
    expect(outcome).toMatchObject({ status: "rejected", operationId: null, resultInfo: null });
    expect(outcome.error).toMatchObject({ kind: "graph", status: 404, code: "ItemNotFound", ambiguous: false });
    expect(steps(outcome.record)).toEqual(["sent", "refused"]);
    expect(inviteRequests(w.sim, callId)).toEqual([404]);
    expect(await recordOf(w.bot, outcome.clientContext)).toMatchObject({ status: "rejected" });
  });

  test("into another app's call: rejected with Graph's 403", async () => {
    const w = world();
    w.sim.setScenario({});
    const call = w.sim.createCall({ kind: "group", callbackUri: w.bot.callbackUrl, appId: other.appId });
    const outcome = await w.bot.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())));
    expect(outcome.status).toBe("rejected");
    expect(outcome.error).toMatchObject({ kind: "graph", status: 403, ambiguous: false });
    expect(w.sim.operations().filter((op) => op.callId === call.id)).toEqual([]);
  });

  test("a 503 is retried by the client, and the retry completes", async () => {
    const w = world();
    const call = arrange(w, { rejectInvites: [{ status: 503 }] });
    const outcome = await w.bot.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())));
    expect(outcome).toMatchObject({ status: "completed", error: null });
    expect(inviteRequests(w.sim, call.id)).toEqual([503, 200]);
    expect(steps(outcome.record)).toEqual(["sent", "accepted", "notification"]);
    await quiet(w);
  });

  test("429 on every attempt: the client gives up after its 4 attempts, rejected with the 429", async () => {
    const w = world();
    const call = arrange(w, { rejectInvites: Array.from({ length: 4 }, () => ({ status: 429, retryAfter: "0.02" })) });
    const outcome = await w.bot.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())));
    expect(outcome.status).toBe("rejected");
    expect(outcome.error).toMatchObject({ kind: "graph", status: 429, retryAfter: 0.02, ambiguous: false });
    expect(inviteRequests(w.sim, call.id)).toEqual([429, 429, 429, 429]);
    expect(steps(outcome.record)).toEqual(["sent", "refused"]);
    await quiet(w);
  });
});

describe("aborting the wait", () => {
  const world = sharedWorld();

  test("rejects with the signal's reason; the record stays and completes when the notification comes", async () => {
    const w = world();
    const user = randomUUID();
    const call = arrange(w, { answers: { [user]: { kind: "accept", afterMs: 300 } } });
    const clientContext = randomUUID();
    const controller = new AbortController();
    const reason = new Error("the caller hung up");
    const accepted = nextStep(w.bot, clientContext, "accepted");
    const pending = w.bot.inviteAndWait(call.id, inviteBody(userParticipant(user), clientContext), {
      signal: controller.signal,
    });
    await accepted;
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(await recordOf(w.bot, clientContext)).toMatchObject({ status: "running" });
    await quiet(w);
    const record = await recordOf(w.bot, clientContext);
    expect(record).toMatchObject({ status: "completed", late: false });
    expect(steps(record)).toEqual(["sent", "accepted", "notification"]);
  });

  test("a signal aborted before the call: rejects with its reason, as documented", async () => {
    const w = world();
    const call = arrange(w);
    const reason = new Error("aborted before starting");
    const outcome = w.bot.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())), {
      signal: AbortSignal.abort(reason),
      timeoutMs: 1_000,
    });
    await expect(outcome).rejects.toBe(reason);
    await quiet(w);
  });

  test("a signal that never aborts is left without the invite's listener once the invite ended", async () => {
    const { sim } = world();
    sim.setScenario({});
    // A bot whose client does not see the signal, so that every abort listener left on it is the tracker's.
    const client = createInviteClient({ credential: sim.credential(), baseUrl: sim.graphUrl });
    const bot = await startBot({
      client: { ...client, invite: (callId, body) => client.invite(callId, body) },
      auth: { appId: sim.app.appId, openIdConfigurationUrl: sim.openIdConfigurationUrl },
    });
    try {
      const call = sim.createCall({ kind: "group", callbackUri: bot.callbackUrl });
      const controller = new AbortController();
      for (let invite = 0; invite < 3; invite++) {
        const outcome = await bot.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())), {
          signal: controller.signal,
        });
        expect(outcome.status).toBe("completed");
      }
      await sim.settled();
      expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    } finally {
      await bot.close();
    }
  });
});
