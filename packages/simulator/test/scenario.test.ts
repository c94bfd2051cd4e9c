// The scenario controls a bot's tests use to make Graph answer as they need: how invitees answer, throttling and
// outages, the roster's shape, and each known deviation of Graph's real payloads.
import { createInviteClient, inviteBody, userParticipant } from "@graph-invite/client";
import { parseGraphError, parseNotifications } from "@graph-invite/validator";
import { afterEach, describe, expect, test } from "vitest";
import { type Deviation, type Scenario, type Simulator, start } from "../src/index.js";
import { type Callback, startCallback } from "./callback.js";
import { postInvite } from "./harness.js";

const ann = "7e1b4346-85a6-4bdd-abe3-d11c5d420efe";
const bob = "1e126418-44a0-4a94-a6f8-0efe1ad71acb";

let sim: Simulator | undefined;
let bot: Callback | undefined;
afterEach(async () => {
  await sim?.close();
  await bot?.stop();
});

async function groupCall(scenario: Scenario) {
  bot = await startCallback();
  sim = await start({ scenario });
  const call = sim.createCall({ kind: "group", callbackUri: bot.url });
  const client = createInviteClient({ credential: sim.credential(), baseUrl: sim.graphUrl, retry: { maxAttempts: 1 } });
  return { sim, bot, call, client };
}

const operationOf = (body: { value: Array<Record<string, unknown>> } | undefined) =>
  body?.value[0]?.["resourceData"] as Record<string, unknown> | undefined;

describe("answers", () => {
  test("a decline fails the operation with the scenario's code, subcode and message", async () => {
    const answers = { [ann]: { kind: "decline", code: 603, subcode: 5400, message: "Declined by Ann." } } as const;
    const { sim, bot, call, client } = await groupCall({ answers });
    const result = await client.invite(call.id, inviteBody(userParticipant(ann)));
    await sim.settled();
    expect(bot.received).toHaveLength(1);
    expect(operationOf(bot.bodies()[0])).toMatchObject({
      status: "failed",
      id: result.ok ? result.operationId : "",
      resultInfo: { code: 603, subcode: 5400, message: "Declined by Ann." },
    });
    expect(sim.call(call.id)?.participants).toEqual([]);
  });

  test("no answer keeps the operation running until the ring time ends, then fails it", async () => {
    const answers = { [ann]: { kind: "no-answer", afterMs: 1_000 } } as const;
    const { sim, bot, call, client } = await groupCall({ answers });
    const result = await client.invite(call.id, inviteBody(userParticipant(ann)));
    const operationId = result.ok ? (result.operationId ?? "") : "";
    expect(sim.operation(operationId)?.status).toBe("running");
    expect(bot.received).toEqual([]);
    await sim.settled();
    expect(operationOf(bot.bodies()[0])).toMatchObject({ status: "failed", resultInfo: { code: 408, subcode: 0 } });
    const operation = sim.operation(operationId);
    expect(Date.parse(operation?.completedAt ?? "") - Date.parse(operation?.createdAt ?? "")).toBeGreaterThanOrEqual(
      900,
    );
  });

  test("one invitee declining fails the operation, and the one who accepted still joins", async () => {
    const { sim, bot, call, client } = await groupCall({ answers: { [bob]: { kind: "decline" } } });
    await client.invite(call.id, inviteBody([userParticipant(ann), userParticipant(bob)]));
    await sim.settled();
    const [operation, roster] = bot.bodies();
    expect(operationOf(operation)).toMatchObject({ status: "failed", resultInfo: { code: 603 } });
    expect(roster?.value[0]?.["resourceData"]).toEqual([
      expect.objectContaining({
        info: expect.objectContaining({
          identity: expect.objectContaining({ user: expect.objectContaining({ id: ann }) }),
        }),
      }),
    ]);
  });

  test("the default answer applies to invitees the scenario does not name", async () => {
    const { sim, bot, call, client } = await groupCall({ defaultAnswer: { kind: "decline", code: 486, subcode: 1 } });
    await client.invite(call.id, inviteBody(userParticipant(ann)));
    await sim.settled();
    expect(operationOf(bot.bodies()[0])).toMatchObject({ status: "failed", resultInfo: { code: 486, subcode: 1 } });
  });
});

describe("throttling and outages", () => {
  test("429 with Retry-After, then the retried invite is accepted", async () => {
    const { sim, call } = await groupCall({ rejectInvites: [{ status: 429, retryAfter: "0.05" }] });
    const client = createInviteClient({
      credential: sim.credential(),
      baseUrl: sim.graphUrl,
      retry: { maxAttempts: 2 },
    });
    const result = await client.invite(call.id, inviteBody(userParticipant(ann)));
    expect(result.ok).toBe(true);
    const invites = sim.requests().filter((request) => request.path.endsWith("/participants/invite"));
    expect(invites.map((request) => request.status)).toEqual([429, 200]);
    // Both attempts carry the same client context, so the retry cannot start a second invite unnoticed.
    expect(new Set(invites.map((request) => JSON.parse(request.body).clientContext)).size).toBe(1);
  });

  test("the Graph error body and headers of a 429 and a 503", async () => {
    const { sim, call } = await groupCall({ rejectInvites: [{ status: 429, retryAfter: "2.128" }, { status: 503 }] });
    const throttled = await postInvite(sim, call.id, inviteBody(userParticipant(ann)));
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get("retry-after")).toBe("2.128");
    expect(throttled.body).toMatchObject({ error: { code: "TooManyRequests" } });
    const unavailable = await postInvite(sim, call.id, inviteBody(userParticipant(ann)));
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get("retry-after")).toBeNull();
    expect(unavailable.body).toMatchObject({ error: { code: "ServiceUnavailable" } });
    for (const body of [throttled.body, unavailable.body]) {
      expect(parseGraphError(body, { mode: "strict" })).toMatchObject({ ok: true, warnings: [] });
    }
    expect((await postInvite(sim, call.id, inviteBody(userParticipant(ann)))).status).toBe(200);
    expect(sim.operations()).toHaveLength(1);
  });

  test("a new scenario replaces the rejections still queued", async () => {
    const { sim, call } = await groupCall({ rejectInvites: [{ status: 503 }, { status: 503 }] });
    expect((await postInvite(sim, call.id, inviteBody(userParticipant(ann)))).status).toBe(503);
    sim.setScenario({});
    expect((await postInvite(sim, call.id, inviteBody(userParticipant(ann)))).status).toBe(200);
  });
});

describe("rosters", () => {
  test("full rosters list everyone in the call", async () => {
    const { sim, bot, call, client } = await groupCall({});
    await client.invite(call.id, inviteBody(userParticipant(ann)));
    await sim.settled();
    await client.invite(call.id, inviteBody(userParticipant(bob)));
    await sim.settled();
    type Roster = Array<{ info: { identity: { user: { id: string } } } }>;
    const rosters = bot.bodies().flatMap((body) => {
      const data = body.value[0]?.["resourceData"];
      return Array.isArray(data) ? [data as Roster] : [];
    });
    const ids = rosters.map((roster) => roster.map((participant) => participant.info.identity.user.id));
    expect(ids).toEqual([[ann], [ann, bob]]);
  });

  test("delta rosters carry only the change, with a rising sequence number", async () => {
    const { sim, bot, call, client } = await groupCall({ roster: "delta", rosterSequenceNumbers: true });
    await client.invite(call.id, inviteBody(userParticipant(ann)));
    await sim.settled();
    await client.invite(call.id, inviteBody(userParticipant(bob)));
    await sim.settled();
    const deltas = bot
      .bodies()
      .map((body) => body.value[0]?.["resourceData"] as Record<string, unknown>)
      .filter((data) => data["@odata.type"] === "#microsoft.graph.deltaParticipants");
    expect(deltas).toMatchObject([
      { sequenceNumber: 1, participants: [{ rosterSequenceNumber: 1, info: { identity: { user: { id: ann } } } }] },
      { sequenceNumber: 2, participants: [{ rosterSequenceNumber: 2, info: { identity: { user: { id: bob } } } }] },
    ]);
    for (const received of bot.received) {
      expect(parseNotifications(received.body, { mode: "strict" })).toMatchObject({ ok: true, warnings: [] });
    }
  });
});

describe("answers at different times", () => {
  const staggered = { [ann]: { kind: "accept", afterMs: 10 }, [bob]: { kind: "accept", afterMs: 400 } } as const;
  type Delta = { sequenceNumber: number; participants: Array<{ info: { identity: { user: { id: string } } } }> };

  /** What each received notification is: the operation, or a roster change with its sequence number and who. */
  function sequence(bodies: ReturnType<Callback["bodies"]>) {
    return bodies.map((body) => {
      const data = body.value[0]?.["resourceData"] as Record<string, unknown>;
      if (data["@odata.type"] !== "#microsoft.graph.deltaParticipants") return "operation";
      const { sequenceNumber, participants } = data as unknown as Delta;
      return `roster ${sequenceNumber}: ${participants.map((participant) => participant.info.identity.user.id).join()}`;
    });
  }

  test("each answer changes the roster when it comes, and the last one ends the operation", async () => {
    const { sim, bot, call, client } = await groupCall({ answers: staggered, roster: "delta" });
    await client.invite(call.id, inviteBody([userParticipant(ann), userParticipant(bob)]));
    await sim.settled();
    expect(sequence(bot.bodies())).toEqual([`roster 1: ${ann}`, "operation", `roster 2: ${bob}`]);
  });

  test("reorder holds an invite's notifications and sends them newest first, so rosters arrive out of order", async () => {
    const { sim, bot, call, client } = await groupCall({
      answers: staggered,
      roster: "delta",
      delivery: { reorder: true },
    });
    await client.invite(call.id, inviteBody([userParticipant(ann), userParticipant(bob)]));
    await sim.settled();
    expect(sequence(bot.bodies())).toEqual([`roster 2: ${bob}`, "operation", `roster 1: ${ann}`]);
  });
});

describe("deviations", () => {
  type Warnings = Array<{ code: string; pointer: string }>;
  /**
   * What the validator's tolerant mode says about each deviation in the operation's and the roster's notification,
   * and whether strict mode still accepts them (the contract admits some of these shapes).
   */
  const expectations: Record<Deviation, { operation: Warnings; roster: Warnings; strict: boolean }> = {
    "status-casing": {
      operation: [{ code: "status.casing", pointer: "/value/0/resourceData/status" }],
      roster: [],
      strict: true,
    },
    "null-ids": { operation: [], roster: [], strict: true },
    "codes-as-strings": {
      operation: [
        { code: "result-info.code-string", pointer: "/value/0/resourceData/resultInfo/code" },
        { code: "result-info.code-string", pointer: "/value/0/resourceData/resultInfo/subcode" },
      ],
      roster: [],
      strict: false,
    },
    "app-paths": {
      operation: [{ code: "notification.legacy-path", pointer: "/value/0/resourceUrl" }],
      roster: [{ code: "notification.legacy-path", pointer: "/value/0/resourceUrl" }],
      strict: true,
    },
    "roster-on-operations-path": {
      operation: [],
      roster: [{ code: "notification.roster-on-operations-path", pointer: "/value/0/resourceUrl" }],
      strict: true,
    },
    "undeclared-properties": { operation: [], roster: [], strict: false },
  };

  test.each(Object.entries(expectations))(
    "%s is read back by the validator's tolerant mode",
    async (name, expected) => {
      // Bob declines, so the operation has a resultInfo to send codes in; Ann joins, so there is a roster.
      const { sim, bot, call, client } = await groupCall({
        deviations: [name as Deviation],
        answers: { [bob]: { kind: "decline" } },
      });
      const result = await client.invite(call.id, inviteBody([userParticipant(ann), userParticipant(bob)], "context"));
      await sim.settled();
      const [operation, roster] = bot.received.map((received) => received.body);
      const warningsOf = (body = "") => {
        const tolerant = parseNotifications(body);
        expect(tolerant.ok, body).toBe(true);
        return tolerant.warnings.map(({ code, pointer }) => ({ code, pointer }));
      };
      expect({ operation: warningsOf(operation), roster: warningsOf(roster) }).toEqual({
        operation: expected.operation,
        roster: expected.roster,
      });
      const strict = [operation, roster].map((body = "") => parseNotifications(body, { mode: "strict" }).ok);
      expect(strict.every(Boolean)).toBe(expected.strict);

      // Whatever arrived, the tolerant reading is the operation the bot started, failed by Bob.
      const read = parseNotifications(operation ?? "");
      expect(read.ok && read.notifications[0]).toMatchObject({
        kind: "operation",
        status: "failed",
        clientContext: "context",
        operationId: result.ok ? result.operationId : "",
        resultInfo: { code: 603, subcode: 0 },
      });
    },
  );

  test("null-ids and undeclared-properties change the bodies as named", async () => {
    const { sim, bot, call, client } = await groupCall({ deviations: ["null-ids", "undeclared-properties"] });
    await client.invite(call.id, inviteBody(userParticipant(ann)));
    await sim.settled();
    const [operation, roster] = bot.bodies();
    expect(operation?.value[0]).toMatchObject({ callbackUri: expect.any(String), resourceData: { id: null } });
    expect(roster?.value[0]?.["resourceData"]).toMatchObject([
      { id: null, publishedStates: [], meetingRole: "attendee" },
    ]);
    const strict = parseNotifications(bot.received[1]?.body ?? "", { mode: "strict" });
    expect(strict.ok).toBe(false);
    expect(!strict.ok && strict.errors.map((error) => error.code)).toContain("schema.unknown-property");
  });
});
