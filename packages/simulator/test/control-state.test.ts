// The control API under /simulator, as a tool outside the process drives it: reading the simulator's state,
// creating calls and setting the scenario.

import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { AppRegistration, Delivery, ReceivedRequest, Scenario, SimulatedCall } from "../src/index.js";
import { control, type GraphError, invite, invitee, type State } from "./control-api.js";
import { lifecycle } from "./harness.js";

const { simulator, callback: bot, sharedSimulator } = lifecycle();

describe("reading the simulator's state", () => {
  it("lists the seeded calls, then the operations invites start", async () => {
    const callback = await bot();
    const callId = randomUUID();
    const sim = await simulator({ calls: [{ id: callId, kind: "group", callbackUri: callback.url }] });
    const before = await control<State>(sim, "GET", "state");
    expect(before.status).toBe(200);
    expect(before.body.operations).toEqual([]);
    expect(before.body.calls).toEqual([
      expect.objectContaining({ id: callId, kind: "group", appId: sim.app.appId, state: "established" }),
    ]);

    const invited = await invite(sim, callId, "invitee-1");
    await sim.settled();
    const after = await control<State>(sim, "GET", "state");
    expect(after.body.operations).toEqual([
      expect.objectContaining({ id: invited.body.id, callId, status: "completed", clientContext: "context-invitee-1" }),
    ]);
    expect(after.body.calls[0]?.participants).toHaveLength(1);
  });

  it("lists every delivery with its attempts and outcome", async () => {
    const callback = await bot();
    const sim = await simulator({ calls: [{ id: "call-1", kind: "group", callbackUri: callback.url }] });
    expect((await control<unknown>(sim, "GET", "deliveries")).body).toEqual({ value: [] });

    await invite(sim, "call-1", "invitee-1");
    await sim.settled();
    const { status, body } = await control<{ value: Delivery[] }>(sim, "GET", "deliveries");
    expect(status).toBe(200);
    expect(body.value.map((delivery) => delivery.kind)).toEqual(["operation", "roster"]);
    for (const delivery of body.value) {
      expect(delivery).toMatchObject({ callId: "call-1", url: callback.url, outcome: "delivered", duplicate: false });
      expect(delivery.attempts).toEqual([expect.objectContaining({ attempt: 1, status: 202, error: null })]);
    }
    expect(callback.received).toHaveLength(2);
  });

  it("lists Graph's and the identity platform's requests, not its own", async () => {
    const callback = await bot();
    const sim = await simulator({ calls: [{ id: "call-1", kind: "group", callbackUri: callback.url }] });
    await invite(sim, "call-1", "invitee-1");
    await control(sim, "GET", "state");
    const { status, body } = await control<{ value: ReceivedRequest[] }>(sim, "GET", "requests");
    expect(status).toBe(200);
    const seen = body.value.map((request) => [request.method, request.path, request.status]);
    expect(seen).toEqual([
      ["POST", `/${sim.app.tenantId}/oauth2/v2.0/token`, 200],
      ["POST", "/v1.0/communications/calls/call-1/participants/invite", 200],
    ]);
    expect(JSON.parse(body.value[1]?.body ?? "")).toEqual(invitee("invitee-1"));
  });
});

describe("creating calls", () => {
  const owner: AppRegistration = { appId: randomUUID(), secret: "owner-secret", tenantId: randomUUID() };
  const other: AppRegistration = { appId: randomUUID(), secret: "other-secret", tenantId: randomUUID() };
  const sim = sharedSimulator({ apps: [owner, other] });

  it("creates a group call of the first app, with a chat, and answers 201", async () => {
    const { status, body } = await control<SimulatedCall>(sim(), "POST", "calls", {
      kind: "group",
      callbackUri: "http://127.0.0.1:9/api/calls",
    });
    expect(status).toBe(201);
    expect(body).toMatchObject({
      kind: "group",
      appId: owner.appId,
      tenantId: owner.tenantId,
      callbackUri: "http://127.0.0.1:9/api/calls",
      state: "established",
      participants: [],
      chatInfo: { threadId: expect.stringMatching(/^19:meeting_\w+@thread\.v2$/), messageId: "0" },
    });
    expect(sim().call(body.id)).toEqual(body);
  });

  it("creates a peer-to-peer call of another app, with the given id and participants", async () => {
    const id = randomUUID();
    const { status, body } = await control<SimulatedCall>(sim(), "POST", "calls", {
      id,
      kind: "p2p",
      callbackUri: "https://bot.example/api/calls",
      appId: other.appId,
      participants: [{ id: "participant-1", identity: { user: { id: "user-1", displayName: "Ada" } } }],
    });
    expect(status).toBe(201);
    expect(body).toMatchObject({ id, kind: "p2p", appId: other.appId, tenantId: other.tenantId, chatInfo: null });
    expect(body.participants).toEqual([
      expect.objectContaining({ id: "participant-1", info: expect.objectContaining({ identity: expect.anything() }) }),
    ]);
    expect(body.participants[0]?.info.identity?.user).toMatchObject({ id: "user-1", displayName: "Ada" });
  });

  it("keeps a chatInfo it is given", async () => {
    const chatInfo = { "@odata.type": "#microsoft.graph.chatInfo", threadId: "19:given@thread.v2", messageId: "7" };
    const { status, body } = await control<SimulatedCall>(sim(), "POST", "calls", {
      kind: "meeting",
      callbackUri: "http://127.0.0.1:9/api/calls",
      chatInfo,
    });
    expect(status).toBe(201);
    expect(body.chatInfo).toEqual(chatInfo);
  });
});

describe("setting the scenario", () => {
  it("replaces the scenario and answers with it", async () => {
    const sim = await simulator({ scenario: { roster: "delta" } });
    const scenario = {
      answers: { "user-1": { kind: "decline", afterMs: 5, code: 486, subcode: 5000, message: "Busy" } },
      delivery: { maxAttempts: 2, retryDelayMs: 10, duplicate: true },
      deviations: ["status-casing"],
    };
    const { status, body } = await control<Scenario>(sim, "PUT", "scenario", scenario);
    expect(status).toBe(200);
    expect(body).toEqual(scenario);
    expect(sim.scenario).toEqual(scenario);
  });

  it("takes effect for the next invite: a rejection with Retry-After, then a decline", async () => {
    const callback = await bot();
    const sim = await simulator({ calls: [{ id: "call-1", kind: "group", callbackUri: callback.url }] });
    const put = await control(sim, "PUT", "scenario", {
      rejectInvites: [{ status: 429, retryAfter: "2.128" }],
      answers: { "user-1": { kind: "decline", afterMs: 5, code: 486, subcode: 5000, message: "Busy" } },
    });
    expect(put.status).toBe(200);

    const throttled = await invite<GraphError>(sim, "call-1", "user-1");
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get("retry-after")).toBe("2.128");
    expect(throttled.body.error.code).toBe("TooManyRequests");

    const declined = await invite(sim, "call-1", "user-1");
    expect(declined.status).toBe(200);
    await sim.settled();
    expect(sim.operation(declined.body.id)).toMatchObject({
      status: "failed",
      resultInfo: { code: 486, subcode: 5000, message: "Busy" },
    });
  });

  it("accepts an HTTP-date as Retry-After", async () => {
    const sim = await simulator();
    const retryAfter = "Wed, 21 Oct 2015 07:28:00 GMT";
    const { status, body } = await control<Scenario>(sim, "PUT", "scenario", {
      rejectInvites: [{ status: 503, retryAfter }],
    });
    expect(status).toBe(200);
    expect(body.rejectInvites).toEqual([{ status: 503, retryAfter }]);
  });
});
