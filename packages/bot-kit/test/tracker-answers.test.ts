// Graph's answer to an invite, as the tracker applies it: an answer that already says how the operation ended, one
// with no body or no operation id, and a failure that arrives after the operation's terminal notification. A hop
// between the bot and the simulator forwards each invite, so that the simulator carries it out and notifies the bot
// as Graph would, and changes the answer on its way back.
import { randomUUID } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createInviteClient, inviteBody, userParticipant } from "@graph-invite/client";
import type { Scenario } from "@graph-invite/simulator";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import type { OperationRecord } from "../src/index.js";
import { type StartedBot, startBot } from "../src/node/index.js";
import { example, lifecycle, postNotification, signedHeaders, type World } from "./harness.js";

/** What the hop does with the simulator's answer to an invite: answers the bot with something else, or hangs up. */
type Rewrite = (answer: { path: string; status: number; body: Record<string, unknown> }) => Promise<Reply | "hang-up">;

interface Reply {
  readonly status: number;
  readonly headers?: Record<string, string>;
  /** Sent as JSON; none at all when undefined. */
  readonly body?: unknown;
}

const { sharedWorld } = lifecycle();
const world = sharedWorld();

const unchanged: Rewrite = async ({ status, body }) => ({ status, body });
let rewrite = unchanged;
let hop: ReturnType<typeof createServer>;
let hopUrl = "";
let bot: StartedBot;

beforeAll(async () => {
  const { sim } = world();
  hop = createServer((request, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", async () => {
      const headers = Object.fromEntries(
        Object.entries(request.headers).filter(([name]) => !["host", "connection", "content-length"].includes(name)),
      ) as Record<string, string>;
      const forwarded = await fetch(`${sim.url}${request.url}`, {
        method: request.method ?? "POST",
        headers,
        body: Buffer.concat(chunks),
      });
      const answer = (await forwarded.json()) as Record<string, unknown>;
      const reply = await rewrite({ path: request.url ?? "", status: forwarded.status, body: answer });
      if (reply === "hang-up") {
        response.socket?.destroy();
        return;
      }
      const body = reply.body === undefined ? "" : JSON.stringify(reply.body);
      response
        .writeHead(reply.status, {
          ...(reply.body !== undefined && { "Content-Type": "application/json" }),
          "Content-Length": String(Buffer.byteLength(body)),
          ...reply.headers,
        })
        .end(body);
    });
  });
  await new Promise<void>((resolve) => hop.listen(0, "127.0.0.1", resolve));
  hopUrl = `http://127.0.0.1:${(hop.address() as AddressInfo).port}${new URL(sim.graphUrl).pathname}`;
  bot = await startBot({
    client: createInviteClient({ credential: sim.credential(), baseUrl: hopUrl }),
    auth: { appId: sim.app.appId, openIdConfigurationUrl: sim.openIdConfigurationUrl },
  });
});

afterAll(async () => {
  await bot.close();
  hop.closeAllConnections();
  await new Promise<void>((resolve) => hop.close(() => resolve()));
});

afterEach(async () => {
  rewrite = unchanged;
  await world().sim.settled();
  await bot.idle();
  world().sim.setScenario({});
});

/** A group call whose notifications reach the bot, with the scenario the test needs. */
function arrange({ sim }: World, scenario: Scenario = {}) {
  sim.setScenario(scenario);
  return sim.createCall({ kind: "group", callbackUri: bot.callbackUrl });
}

const steps = (record: OperationRecord) => record.history.map((step) => step.event);

/** Resolves once the bot's store has the call's invite in `status`. */
async function untilStored(callId: string, status: OperationRecord["status"]): Promise<void> {
  await expect.poll(async () => (await bot.operations(callId))[0]?.status, { timeout: 30_000 }).toBe(status);
}

describe("an answer that says how the operation ended", () => {
  // The simulator's operation notifications are not sent: the answer alone can end the invite.
  test("`completed` ends the invite as completed, without waiting for a notification", async () => {
    const call = arrange(world(), { delivery: { drop: ["operation"] } });
    const resultInfo = { code: 200, subcode: 0, message: "Invited." };
    rewrite = async ({ status, body }) => ({ status, body: { ...body, status: "completed", resultInfo } });
    const outcome = await bot.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())), { timeoutMs: 5000 });
    expect(outcome).toMatchObject({ status: "completed", resultInfo, error: null });
    expect(steps(outcome.record)).toEqual(["sent", "accepted"]);
    expect(outcome.record.history[1]).toMatchObject({ status: "completed" });
  });

  test("`Failed`, in the casing of Graph's answers, ends it as failed with the answer's resultInfo", async () => {
    const call = arrange(world(), { delivery: { drop: ["operation"] } });
    const resultInfo = { code: 403, subcode: 7504, message: "Insufficient enterprise tenant permissions." };
    rewrite = async ({ status, body }) => ({ status, body: { ...body, status: "Failed", resultInfo } });
    const outcome = await bot.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())), { timeoutMs: 5000 });
    expect(outcome).toMatchObject({ status: "failed", resultInfo });
    expect(steps(outcome.record)).toEqual(["sent", "accepted"]);
    expect(outcome.record.history[1]).toMatchObject({ status: "failed" });
  });

  test("`Running`, `notStarted` or a status Graph adds later leaves the invite running, with no resultInfo", async () => {
    const answers = ["Running", "notStarted", "someFutureStatus"];
    const calls = answers.map(() => arrange(world(), { delivery: { drop: ["operation"] } }));
    rewrite = async ({ path, status, body }) => {
      const answered = answers[calls.findIndex((call) => path.includes(call.id))];
      return { status, body: { ...body, status: answered, resultInfo: { code: 500, subcode: 0, message: "no" } } };
    };
    // Long enough to see each running before its deadline ends it, with a second to spare on a busy machine.
    const invites = calls.map((call) =>
      bot.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())), { timeoutMs: 3000 }),
    );
    for (const [index, call] of calls.entries()) {
      await untilStored(call.id, "running");
      const [record] = await bot.operations(call.id);
      expect(record?.resultInfo, answers[index]).toBeNull();
      expect(steps(record as OperationRecord), answers[index]).toEqual(["sent", "accepted"]);
      // The step says what Graph answered, and a status it does not know yet as `running`.
      expect(record?.history[1]?.status, answers[index]).toBe(["running", "notStarted", "running"][index]);
    }
    // Then ended by the deadline: the answer was not taken for an outcome.
    for (const outcome of await Promise.all(invites)) {
      expect(outcome).toMatchObject({ status: "timed-out", resultInfo: null });
    }
  });
});

describe("an answer without an operation", () => {
  test("no body: the id is read from Location, and the notification ends the invite", async () => {
    const call = arrange(world());
    let operationId = "";
    rewrite = async ({ status, body }) => {
      operationId = String(body["id"]);
      return { status, headers: { Location: `${hopUrl}/communications/calls/${call.id}/operations/${operationId}` } };
    };
    const outcome = await bot.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())));
    expect(outcome).toMatchObject({ status: "completed", operationId });
    const accepted = outcome.record.history.find((step) => step.event === "accepted");
    expect(accepted).toMatchObject({ status: "running", detail: `HTTP 200, operation ${operationId}` });
  });

  test("no id anywhere: the step says so, and the id comes from the operation's notification", async () => {
    const call = arrange(world());
    let operationId = "";
    rewrite = async ({ status, body }) => {
      operationId = String(body["id"]);
      const { id: _id, ...rest } = body;
      return { status, body: rest };
    };
    const outcome = await bot.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())));
    expect(outcome).toMatchObject({ status: "completed", operationId });
    const accepted = outcome.record.history.find((step) => step.event === "accepted");
    expect(accepted).toMatchObject({ detail: "HTTP 200, operation (no id)" });
  });
});

describe("an operation id", () => {
  test("Graph's answer gave is kept when a notification names the invite with another", async () => {
    // The simulator's own terminal notification is dropped; the test sends one under another id.
    const w = world();
    const call = arrange(w, { delivery: { drop: ["operation"] } });
    const invite = bot.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())), { timeoutMs: 5000 });
    await untilStored(call.id, "running");
    const [record] = await bot.operations(call.id);
    const answered = record?.operationId;
    expect(answered).toEqual(expect.any(String));
    const body = example<{ value: Array<{ resourceUrl: string; resourceData: Record<string, unknown> }> }>(
      "example-1-invite-one-participant.operation-completed.json",
    );
    const [entry] = body.value;
    if (entry === undefined) throw new Error("the example has no notification");
    const other = randomUUID();
    entry.resourceUrl = `/communications/calls/${call.id}/operations/${other}`;
    entry.resourceData["id"] = other;
    entry.resourceData["clientContext"] = record?.clientContext;
    expect((await postNotification(bot, JSON.stringify(body), await signedHeaders(w.sim))).status).toBe(202);
    const outcome = await invite;
    expect(outcome).toMatchObject({ status: "completed", operationId: answered });
  });
});

describe("a failure that arrives after the terminal notification", () => {
  /** Holds Graph's answer until the simulator's terminal notification has ended the invite in the bot's store. */
  const afterTerminal = (callId: string, reply: Reply | "hang-up"): Rewrite => {
    return async () => {
      await untilStored(callId, "completed");
      return reply;
    };
  };

  test("a dropped connection is recorded, and the invite stays completed", async () => {
    const call = arrange(world());
    rewrite = afterTerminal(call.id, "hang-up");
    const outcome = await bot.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())));
    expect(outcome).toMatchObject({ status: "completed", error: { ambiguous: true } });
    expect(steps(outcome.record)).toEqual(["sent", "notification", "send-failed"]);
  });

  test("a clear refusal is recorded, and does not turn the completed invite into a rejected one", async () => {
    const call = arrange(world());
    rewrite = afterTerminal(call.id, {
      status: 403,
      body: { error: { code: "Forbidden", message: "The app may not act on this call." } },
    });
    const outcome = await bot.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())));
    expect(outcome).toMatchObject({ status: "completed", error: { ambiguous: false } });
    expect(outcome.error?.message).toContain("The app may not act on this call.");
    expect(steps(outcome.record)).toEqual(["sent", "notification", "refused"]);
  });
});
