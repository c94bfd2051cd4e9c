// The console's server side over real HTTP: the live feed.

import { describe, expect, it } from "vitest";
import { feed, type Json, oneInvitee } from "./console-requests.js";
import { lifecycle, postInvite } from "./harness.js";

const { simulator, callback } = lifecycle();

describe("the live feed", () => {
  it("starts with the whole state, then sends each call, invite, operation and delivery as it changes", async () => {
    const bot = await callback();
    const sim = await simulator();
    const existing = sim.createCall({ kind: "p2p", callbackUri: bot.url });
    const call = sim.createCall({ kind: "group", callbackUri: bot.url });
    const ann = "278405a3-f568-4b3e-b684-009193463064";
    const body = {
      clientContext: "feed-test",
      participants: [
        {
          "@odata.type": "#microsoft.graph.invitationParticipantInfo",
          identity: { "@odata.type": "#microsoft.graph.identitySet", user: { id: ann } },
        },
      ],
    };
    const events = await feed(
      sim,
      (seen) => seen.filter((entry) => entry.event === "delivery" && entry.data.outcome === "delivered").length === 2,
      () => postInvite(sim, call.id, body),
    );
    const [reset] = events;
    expect(reset?.event).toBe("reset");
    expect(reset?.data.calls.map((entry: { id: string }) => entry.id)).toEqual([existing.id, call.id]);
    const invite = events.find((entry) => entry.event === "invite")?.data;
    expect(invite).toMatchObject({ callId: call.id, status: 200, verdict: { ok: true, errors: [] } });
    expect(invite.location).toMatch(new RegExp(`/operations/${invite.operationId}$`));
    const operations = events.filter((entry) => entry.event === "operation").map((entry) => entry.data);
    expect(operations[0]).toMatchObject({ id: invite.operationId, status: "running", clientContext: "feed-test" });
    expect(operations.at(-1)).toMatchObject({ status: "completed", invitees: [{ id: ann, answered: true }] });
    const roster = events.filter((entry) => entry.event === "call" && entry.data.id === call.id).at(-1)?.data;
    expect(roster.participants).toMatchObject([{ kind: "user", id: ann, inLobby: false, muted: false }]);
    const deliveries = events.filter((entry) => entry.event === "delivery").map((entry) => entry.data);
    expect(deliveries.find((delivery) => delivery.kind === "roster")).toMatchObject({
      operationId: invite.operationId,
    });
    const delivered = deliveries.find((delivery) => delivery.kind === "operation" && delivery.outcome === "delivered");
    expect(delivered).toMatchObject({ operationId: invite.operationId, callId: call.id });
    expect(delivered.attempts).toMatchObject([{ attempt: 1, status: 202 }]);
    expect(delivered.claims).toMatchObject({ aud: sim.app.appId, tid: sim.app.tenantId, iss: sim.notificationIssuer });
    expect(delivered.headers["X-Microsoft-Skype-Message-Id"]).toBe(delivered.messageId);
    const request = events.find((entry) => entry.event === "request" && entry.data.path.endsWith("/invite"))?.data;
    expect(request.headers.authorization).toBe("Bearer [redacted]");
  });

  it("shows the validator's verdict on a refused invite and the tolerant reader's warnings on a deviation", async () => {
    const bot = await callback();
    const sim = await simulator({ scenario: { deviations: ["status-casing"] } });
    const call = sim.createCall({ kind: "p2p", callbackUri: bot.url });
    const participant = (id: string) => ({
      "@odata.type": "#microsoft.graph.invitationParticipantInfo",
      identity: { "@odata.type": "#microsoft.graph.identitySet", user: { id } },
    });
    const events = await feed(
      sim,
      (seen) => seen.some((entry) => entry.event === "delivery" && entry.data.outcome === "delivered"),
      async () => {
        await postInvite(sim, call.id, { participants: [participant("a"), participant("b")] });
        await postInvite(sim, call.id, { participants: [participant("a")] });
      },
    );
    const [refused, accepted] = events.filter((entry) => entry.event === "invite").map((entry) => entry.data);
    expect(refused).toMatchObject({ status: 400, location: null, operationId: null, verdict: { ok: false } });
    expect(refused.verdict.errors.map((issue: { code: string }) => issue.code)).toContain(
      "invite.multiple-participants-group-call-only",
    );
    expect(refused.error.error.code).toBe("BadRequest");
    expect(refused.retryAfter).toBeNull();
    expect(accepted).toMatchObject({ status: 200, verdict: { ok: true } });
    const delivery = events.find((entry) => entry.event === "delivery" && entry.data.kind === "operation")?.data;
    expect(delivery.warnings.map((issue: { code: string }) => issue.code)).toContain("status.casing");
  });

  it("shows a refused invite's status and Retry-After, though its body was valid", async () => {
    const sim = await simulator({ scenario: { rejectInvites: [{ status: 503, retryAfter: "3" }] } });
    const call = sim.createCall({ kind: "group", callbackUri: "http://127.0.0.1:9/api/calls" });
    const events = await feed(
      sim,
      (seen) => seen.some((entry) => entry.event === "invite"),
      () => postInvite(sim, call.id, oneInvitee("ann")),
    );
    const invite = events.find((entry) => entry.event === "invite")?.data;
    expect(invite).toMatchObject({ status: 503, retryAfter: "3", location: null, verdict: { ok: true } });
    expect(invite.error.error.code).toBe("ServiceUnavailable");
  });

  it("links each roster change to the invite it followed, though no console was open then", async () => {
    const bot = await callback();
    const sim = await simulator();
    const call = sim.createCall({ kind: "group", callbackUri: bot.url });
    const invite = async (id: string) => {
      const answer = await postInvite(sim, call.id, oneInvitee(id));
      await sim.settled();
      return (answer.body as { id: string }).id;
    };
    const first = await invite("ann");
    const second = await invite("bob");
    const [reset] = await feed(
      sim,
      (seen) => seen.length > 0,
      async () => {},
    );
    const rosters = reset?.data.deliveries.filter((delivery: Json) => delivery.kind === "roster");
    expect(rosters.map((delivery: Json) => delivery.operationId)).toEqual([first, second]);
    // The delivery log says it too, operation notifications and roster changes alike.
    expect(sim.deliveries().map((delivery) => delivery.operationId)).toEqual([first, first, second, second]);
  });

  it("marks duplicated, reordered and dropped notifications", async () => {
    const bot = await callback();
    const sim = await simulator({ scenario: { delivery: { duplicate: true, reorder: true, drop: ["call"] } } });
    const call = sim.createCall({ kind: "group", callbackUri: bot.url });
    const p2p = sim.createCall({ kind: "p2p", callbackUri: bot.url });
    const body = {
      participants: [
        {
          "@odata.type": "#microsoft.graph.invitationParticipantInfo",
          identity: { "@odata.type": "#microsoft.graph.identitySet", user: { id: "u1" } },
          replacesCallId: p2p.id,
        },
      ],
    };
    const events = await feed(
      sim,
      (seen) =>
        seen.filter((entry) => entry.event === "delivery" && entry.data.outcome !== "pending").length >= 6 &&
        seen.some((entry) => entry.event === "delivery" && entry.data.outcome === "dropped"),
      () => postInvite(sim, call.id, body),
    );
    const deliveries = new Map<number, Json>();
    for (const entry of events) if (entry.event === "delivery") deliveries.set(entry.data.seq, entry.data);
    const all = [...deliveries.values()];
    expect(all.filter((delivery) => delivery.outcome === "dropped").map((delivery) => delivery.kind)).toEqual([
      "call",
      "call",
    ]);
    const sent = all.filter((delivery) => delivery.outcome !== "dropped");
    expect(sent.every((delivery) => delivery.reordered)).toBe(true);
    expect(sent.filter((delivery) => delivery.duplicate)).toHaveLength(sent.length / 2);
  });

  it("refuses more feeds than a person has consoles open", async () => {
    const sim = await simulator();
    const controllers = Array.from({ length: 32 }, () => new AbortController());
    try {
      await Promise.all(
        controllers.map((controller) => fetch(`${sim.url}/simulator/events`, { signal: controller.signal })),
      );
      const extra = await fetch(`${sim.url}/simulator/events`);
      expect(extra.status).toBe(503);
    } finally {
      for (const controller of controllers) controller.abort();
    }
  });
});
