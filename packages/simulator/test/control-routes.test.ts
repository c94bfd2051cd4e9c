// The control API under /simulator and Graph's GET routes for calls, participants and operations. Bad bodies must
// come back as 400s that point at the wrong field.

import { randomUUID } from "node:crypto";
import type { Participant } from "@graph-invite/types";
import { describe, expect, it } from "vitest";
import type { AppRegistration } from "../src/index.js";
import { control, graphGet, invite, type JsonResponse, send } from "./control-api.js";
import { lifecycle } from "./harness.js";

const { simulator, callback: bot, sharedSimulator } = lifecycle();

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
