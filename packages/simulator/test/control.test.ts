// The control API under /simulator, as a tool outside the process drives it, and Graph's GET routes for calls,
// participants and operations. Bad bodies must come back as 400s that point at the wrong field.
import { randomUUID } from "node:crypto";
import type { Participant } from "@graph-invite/types";
import { describe, expect, it } from "vitest";
import type {
  AppRegistration,
  Delivery,
  ReceivedRequest,
  Scenario,
  SimulatedCall,
  SimulatedOperation,
  Simulator,
} from "../src/index.js";
import { lifecycle } from "./harness.js";

const { simulator, callback: bot, sharedSimulator } = lifecycle();

/** The body is typed as the route promises; the assertions check that it is. */
interface JsonResponse<T = GraphError> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

interface GraphError {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly details?: ReadonlyArray<{ code: string; message: string; target: string }>;
  };
}

async function send<T = GraphError>(
  url: string,
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse<T>> {
  const response = await fetch(url, {
    method,
    headers: { "Content-Type": "application/json", ...headers },
    ...(body !== undefined && { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === "" ? undefined : JSON.parse(text) };
}

const control = <T = GraphError>(sim: Simulator, method: string, path: string, body?: unknown) =>
  send<T>(`${sim.url}/simulator/${path}`, method, body);

interface State {
  readonly calls: SimulatedCall[];
  readonly operations: SimulatedOperation[];
}

const invitee = (id: string) => ({
  participants: [
    {
      "@odata.type": "#microsoft.graph.invitationParticipantInfo",
      identity: { "@odata.type": "#microsoft.graph.identitySet", user: { id, displayName: "Invitee" } },
    },
  ],
  clientContext: `context-${id}`,
});

async function invite<T = { id: string }>(sim: Simulator, callId: string, inviteeId: string, app?: AppRegistration) {
  const { token } = await sim.credential(app)();
  const url = `${sim.graphUrl}/communications/calls/${callId}/participants/invite`;
  return send<T>(url, "POST", invitee(inviteeId), { Authorization: `Bearer ${token}` });
}

async function graphGet<T = GraphError>(sim: Simulator, path: string, app?: AppRegistration): Promise<JsonResponse<T>> {
  const { token } = await sim.credential(app)();
  return send<T>(`${sim.graphUrl}/communications/calls/${path}`, "GET", undefined, {
    Authorization: `Bearer ${token}`,
  });
}

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

describe("bad bodies", () => {
  const sim = sharedSimulator();
  const callbackUri = "http://127.0.0.1:9/api/calls";

  function expectPointedAt(response: JsonResponse, pointer: string): void {
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("BadRequest");
    expect(response.body.error.message).toMatch(new RegExp(`^${pointer === "" ? "the document" : pointer}: `));
    expect(response.body.error.details).toEqual([
      { code: "simulator.invalid", message: expect.any(String), target: pointer },
    ]);
    expect(response.body.error.details?.[0]?.message.length).toBeGreaterThan(5);
  }

  it.each([
    ["not JSON", "{kind: group}", ""],
    ["an array", [], ""],
    ["an unknown kind", { kind: "conference", callbackUri }, "/kind"],
    ["no callbackUri", { kind: "group" }, "/callbackUri"],
    ["a callbackUri that is not http", { kind: "group", callbackUri: "ftp://bot.example/calls" }, "/callbackUri"],
    ["a callbackUri that is not a URL", { kind: "group", callbackUri: "bot.example/calls" }, "/callbackUri"],
    ["an unknown property", { kind: "group", callbackUri, ringTone: "bell" }, "/ringTone"],
    ["an empty id", { id: "", kind: "group", callbackUri }, "/id"],
    [
      "a chatInfo threadId of the wrong type",
      { kind: "group", callbackUri, chatInfo: { threadId: 7 } },
      "/chatInfo/threadId",
    ],
    [
      "a participant without an identity",
      { kind: "group", callbackUri, participants: [{ id: "p" }] },
      "/participants/0/identity",
    ],
    [
      "an identity with an id of the wrong type",
      { kind: "group", callbackUri, participants: [{ identity: { user: { id: 1 } } }] },
      "/participants/0/identity/user/id",
    ],
    [
      "an identity that names nobody",
      { kind: "group", callbackUri, participants: [{ identity: { user: null } }] },
      "/participants/0/identity",
    ],
  ])("POST /simulator/calls with %s", async (_, body, pointer) => {
    const before = sim().calls().length;
    expectPointedAt(await control(sim(), "POST", "calls", body), pointer);
    expect(sim().calls()).toHaveLength(before);
  });

  it.each([
    ["not JSON", "", ""],
    ["a string", "accept", ""],
    ["maxAttempts of 0", { delivery: { maxAttempts: 0 } }, "/delivery/maxAttempts"],
    ["a fractional maxAttempts", { delivery: { maxAttempts: 1.5 } }, "/delivery/maxAttempts"],
    ["a negative delay", { delivery: { delayMs: -1 } }, "/delivery/delayMs"],
    ["a delay past Node's timer limit", { delivery: { retryDelayMs: 2 ** 31 } }, "/delivery/retryDelayMs"],
    ["an unknown answer kind", { answers: { "user-1": { kind: "maybe" } } }, "/answers/user-1/kind"],
    ["an answer id with / and ~", { answers: { "a/b~c": { kind: "maybe" } } }, "/answers/a~1b~0c/kind"],
    ["a decline code of the wrong type", { defaultAnswer: { kind: "decline", code: "486" } }, "/defaultAnswer/code"],
    [
      "a rejection status Graph does not throttle with",
      { rejectInvites: [{ status: 500 }] },
      "/rejectInvites/0/status",
    ],
    ["a second rejection without a status", { rejectInvites: [{ status: 429 }, {}] }, "/rejectInvites/1/status"],
    [
      "a Retry-After that would break the header",
      { rejectInvites: [{ status: 429, retryAfter: "1\r\nSet-Cookie: x=1" }] },
      "/rejectInvites/0/retryAfter",
    ],
    ["an unknown deviation", { deviations: ["status-casing", "sideways"] }, "/deviations/1"],
    ["an unknown roster mode", { roster: "partial" }, "/roster"],
    ["an unknown drop kind", { delivery: { drop: ["roster", "email"] } }, "/delivery/drop/1"],
    ["an unknown property", { answer: {} }, "/answer"],
  ])("PUT /simulator/scenario with %s", async (_, body, pointer) => {
    const before = sim().scenario;
    expectPointedAt(await control(sim(), "PUT", "scenario", body), pointer);
    expect(sim().scenario).toBe(before);
  });

  it("answers a body over 1 MiB with 413, and takes one of exactly 1 MiB", async () => {
    const seed = JSON.stringify({ kind: "group", callbackUri });
    const oneMiB = 1024 * 1024;
    const largest = await control(sim(), "POST", "calls", seed.padEnd(oneMiB, " "));
    expect(largest.status).toBe(201);
    const tooLarge = await control(sim(), "POST", "calls", seed.padEnd(oneMiB + 1, " "));
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.error.code).toBe("RequestEntityTooLarge");
  });
});

describe("routing", () => {
  const sim = sharedSimulator();

  it.each([
    ["GET", "/simulator/nothing"],
    ["GET", "/simulator"],
    ["GET", "/v1.0/me"],
    ["POST", "/v1.0/communications/calls"],
    ["GET", "/v1.0"],
    ["GET", "/consoles"],
  ])("answers %s %s with 404", async (method, path) => {
    const { status, body } = await send(`${sim().url}${path}`, method);
    expect(status).toBe(404);
    expect(body.error.code).toBe("UnknownRoute");
  });

  it.each([
    ["DELETE", "/simulator/state"],
    ["GET", "/simulator/calls"],
    ["POST", "/simulator/scenario"],
    ["PUT", "/simulator/deliveries"],
    ["GET", "/common/oauth2/v2.0/token"],
    ["DELETE", "/v1.0/communications/calls/call-1"],
  ])("answers %s %s with 405 and the methods it takes", async (method, path) => {
    const { status, headers, body } = await send(`${sim().url}${path}`, method);
    expect(status).toBe(405);
    expect(body.error.code).toBe("MethodNotAllowed");
    expect(headers.get("allow")).toMatch(/^(GET|POST|PUT)(, (GET|POST|PUT))*$/);
  });
});

describe("Graph's GET routes", () => {
  const owner: AppRegistration = { appId: randomUUID(), secret: "owner-secret", tenantId: randomUUID() };
  const other: AppRegistration = { appId: randomUUID(), secret: "other-secret", tenantId: randomUUID() };

  async function world() {
    const callback = await bot();
    const sim = await simulator({
      apps: [owner, other],
      calls: [
        {
          id: "call-1",
          kind: "group",
          callbackUri: callback.url,
          participants: [{ id: "participant-1", identity: { user: { id: "user-1" } } }],
        },
        { id: "call-2", kind: "group", callbackUri: callback.url },
      ],
    });
    return sim;
  }

  it("reads a call, its participants and an invite's operation", async () => {
    const sim = await world();
    const call = await graphGet<unknown>(sim, "call-1");
    expect(call.status).toBe(200);
    expect(call.body).toMatchObject({
      "@odata.type": "#microsoft.graph.call",
      id: "call-1",
      state: "established",
      tenantId: owner.tenantId,
      chatInfo: { threadId: expect.any(String) },
    });

    // Long enough that the operation is still running when read back, however loaded the machine.
    sim.setScenario({ answers: { "user-2": { kind: "accept", afterMs: 1_000 } } });
    const invited = await invite(sim, "call-1", "user-2");
    expect(invited.status).toBe(200);
    const running = await graphGet<unknown>(sim, `call-1/operations/${invited.body.id}`);
    expect(running.status).toBe(200);
    expect(running.body).toMatchObject({ id: invited.body.id, status: "Running", clientContext: "context-user-2" });

    await sim.settled();
    const done = await graphGet<unknown>(sim, `call-1/operations/${invited.body.id}`);
    expect(done.body).toMatchObject({
      "@odata.type": "#microsoft.graph.inviteParticipantsOperation",
      status: "Completed",
      resultInfo: null,
    });
    const participants = await graphGet<{ value: Participant[] }>(sim, "call-1/participants");
    expect(participants.status).toBe(200);
    expect(participants.body.value.map((participant) => participant.info.identity?.user?.id)).toEqual([
      "user-1",
      "user-2",
    ]);
  });

  it("answers 401 without a token", async () => {
    const sim = await world();
    for (const path of ["call-1", "call-1/participants"]) {
      const { status, body } = await send(`${sim.graphUrl}/communications/calls/${path}`, "GET");
      expect(status).toBe(401);
      expect(body.error.code).toBe("InvalidAuthenticationToken");
    }
  });

  it("answers 404 for what does not exist and 403 for another app's call, as the invite does", async () => {
    const sim = await world();
    const invited = await invite(sim, "call-1", "user-2");
    for (const [path, app, status, code] of [
      ["unknown-call", owner, 404, "ItemNotFound"],
      ["call-1", other, 403, "Forbidden"],
      ["call-1/participants", other, 403, "Forbidden"],
      [`call-1/operations/${invited.body.id}`, other, 403, "Forbidden"],
      [`call-2/operations/${invited.body.id}`, owner, 404, "ItemNotFound"],
      ["call-1/operations/unknown-operation", owner, 404, "ItemNotFound"],
    ] as const) {
      const { status: actual, body } = await graphGet(sim, path, app);
      expect({ path, status: actual, code: body.error.code }).toEqual({ path, status, code });
    }
  });
});
