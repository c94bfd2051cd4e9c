// The tracker where timing gets awkward: an answer that comes after the operation's only notification, which names
// the operation by id alone; an answer that never comes; a bot that closes while invites wait; a timeout no timer
// can honour.
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { createInviteClient, type InviteClient, inviteBody, userParticipant } from "@graph-invite/client";
import { type Simulator, start } from "@graph-invite/simulator";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { MemoryStore, maxInviteTimeoutMs } from "../src/index.js";
import { type StartedBot, startBot } from "../src/node/index.js";
import { example, postNotification, rosterOf, signedHeaders } from "./harness.js";

let sim: Simulator;
const bots: StartedBot[] = [];

beforeAll(async () => {
  sim = await start();
});

afterAll(async () => {
  await Promise.all(bots.splice(0).map((bot) => bot.close()));
  await sim.close();
});

function simulatorClient(): InviteClient {
  return createInviteClient({
    credential: sim.credential(),
    baseUrl: sim.graphUrl,
  });
}

async function bot(options: { client?: InviteClient; inviteTimeoutMs?: number } = {}) {
  const started = await startBot({
    client: options.client ?? simulatorClient(),
    auth: { appId: sim.app.appId, openIdConfigurationUrl: sim.openIdConfigurationUrl },
    ...(options.inviteTimeoutMs !== undefined && { inviteTimeoutMs: options.inviteTimeoutMs }),
  });
  bots.push(started);
  return started;
}

describe("an operation named by id alone before Graph's answer", () => {
  test("is held until the answer brings the id, then ends the invite", async () => {
    // Graph's answer is held back until the test has delivered the operation's terminal notification, which names
    // the operation by id and carries no clientContext.
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const answered: Array<string | null> = [];
    const client = simulatorClient();
    const holding: InviteClient = {
      ...client,
      async invite(callId, body, options) {
        const result = await client.invite(callId, body, options);
        answered.push(result.ok ? result.operationId : null);
        await held;
        return result;
      },
    };
    // The simulator's own notifications go nowhere: the test sends the one that matters.
    sim.setScenario({ delivery: { drop: ["operation", "roster"] } });
    const subject = await bot({ client: holding });
    const call = sim.createCall({ kind: "group", callbackUri: subject.callbackUrl });
    const outcome = subject.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())));
    await expect.poll(() => answered.length).toBe(1);
    const operationId = answered[0] ?? "";

    const notification = example<{ value: Array<{ resourceUrl: string; resourceData: Record<string, unknown> }> }>(
      "example-1-invite-one-participant.operation-completed.json",
    );
    const [entry] = notification.value;
    if (entry === undefined) throw new Error("the example has no notification");
    entry.resourceUrl = `/communications/calls/${call.id}/operations/${operationId}`;
    entry.resourceData["id"] = operationId;
    delete entry.resourceData["clientContext"];
    const posted = await postNotification(subject, JSON.stringify(notification), await signedHeaders(sim));
    expect(posted.status).toBe(202);
    await subject.idle();
    release();

    const ended = await outcome;
    expect(ended).toMatchObject({ status: "completed", operationId });
    expect(ended.record.history.map((step) => step.event)).toEqual(["sent", "accepted", "notification"]);
    expect(await subject.unmatched()).toEqual([]);
    sim.setScenario({});
  });

  test("is kept as unmatched once every waiting invite has its answer and none claims it", async () => {
    const subject = await bot();
    const call = sim.createCall({ kind: "group", callbackUri: subject.callbackUrl });
    const notification = example<{ value: Array<{ resourceUrl: string; resourceData: Record<string, unknown> }> }>(
      "example-1-invite-one-participant.operation-completed.json",
    );
    const [entry] = notification.value;
    if (entry === undefined) throw new Error("the example has no notification");
    const stranger = randomUUID();
    entry.resourceUrl = `/communications/calls/${call.id}/operations/${stranger}`;
    entry.resourceData["id"] = stranger;
    delete entry.resourceData["clientContext"];

    // An invite is in flight while the stranger's notification arrives, so it is held until that invite's answer.
    const invite = subject.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())));
    await postNotification(subject, JSON.stringify(notification), await signedHeaders(sim));
    expect((await invite).status).toBe("completed");
    await sim.settled();
    await subject.idle();
    const unmatched = await subject.unmatched();
    expect(unmatched).toHaveLength(1);
    expect(unmatched[0]?.reason).toContain(`id ${stranger}`);
  });
});

describe("an answer that never comes", () => {
  test("an invite whose terminal notification arrived ends at its deadline as it ended, not as timed out", async () => {
    // Graph's answer is lost on the way (held here until the test ends), but the notification came.
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const client = simulatorClient();
    const holding: InviteClient = {
      ...client,
      async invite(callId, body, options) {
        const result = await client.invite(callId, body, options);
        await held;
        return result;
      },
    };
    const subject = await bot({ client: holding });
    const call = sim.createCall({ kind: "group", callbackUri: subject.callbackUrl });
    const outcome = await subject.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())), {
      timeoutMs: 1000,
    });
    release();
    expect(outcome.status).toBe("completed");
    expect(outcome.record.history.map((step) => step.event)).toEqual(["sent", "notification"]);
    await sim.settled();
  });
});

describe("closing", () => {
  test("rejects the invites still waiting and leaves no timer behind", async () => {
    sim.setScenario({ defaultAnswer: { kind: "no-answer", afterMs: 60_000 } });
    // A deadline and a re-read that would both end the invite as timed-out within 1.5 s, if either outlived close().
    const subject = await startBot({
      client: simulatorClient(),
      auth: { appId: sim.app.appId, openIdConfigurationUrl: sim.openIdConfigurationUrl },
      recheckIntervalMs: 200,
    });
    bots.push(subject);
    const call = sim.createCall({ kind: "group", callbackUri: subject.callbackUrl });
    const waiting = subject.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())), { timeoutMs: 1500 });
    await expect.poll(async () => (await subject.operations(call.id))[0]?.status).toBe("running");
    await subject.close();
    await expect(waiting).rejects.toThrow("the bot closed before the invite ended");
    // Past the deadline, with room for a busy machine: nothing of the closed bot ran, so the record is as it was.
    await sleep(3000);
    const [record] = await subject.operations(call.id);
    expect(record?.status).toBe("running");
    expect(record?.history.map((step) => step.event)).toEqual(["sent", "accepted"]);
    sim.setScenario({});
  });

  test("close() resolves only once what was acknowledged is stored", async () => {
    // A store that takes a while to write a roster, as a remote one does.
    class SlowStore extends MemoryStore {
      override async putRoster(...args: Parameters<MemoryStore["putRoster"]>): Promise<boolean> {
        await sleep(300);
        return super.putRoster(...args);
      }
    }
    const store = new SlowStore();
    const subject = await startBot({
      client: simulatorClient(),
      auth: { appId: sim.app.appId, openIdConfigurationUrl: sim.openIdConfigurationUrl },
      store,
    });
    const callId = randomUUID();
    expect((await postNotification(subject, rosterOf(callId), await signedHeaders(sim))).status).toBe(202);
    await subject.close();
    expect(Object.keys((await store.roster(callId))?.members ?? {})).toHaveLength(1);
  });
});

describe("timeouts", () => {
  test.each([0, -5, 1.5, maxInviteTimeoutMs + 1])(
    "timeoutMs %s is refused before anything is sent",
    async (timeoutMs) => {
      const subject = await bot();
      const before = sim.requests().length;
      await expect(
        subject.inviteAndWait(randomUUID(), inviteBody(userParticipant(randomUUID())), { timeoutMs }),
      ).rejects.toThrow(RangeError);
      expect(sim.requests()).toHaveLength(before);
    },
  );
});

describe("a send that fails without a clear answer", () => {
  /**
   * A hop between the bot and Graph that forwards the invite, lets Graph act on it, and then drops the connection
   * instead of passing the answer back: the client cannot tell whether Graph got the invite.
   */
  async function droppingProxy(): Promise<{ baseUrl: string; close: () => void }> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", async () => {
        const target = `${sim.url}${request.url}`;
        const headers = Object.fromEntries(
          Object.entries(request.headers).filter(([name]) => !["host", "connection", "content-length"].includes(name)),
        ) as Record<string, string>;
        await fetch(target, { method: request.method ?? "POST", headers, body: Buffer.concat(chunks) });
        response.socket?.destroy();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
      baseUrl: `http://127.0.0.1:${port}${new URL(sim.graphUrl).pathname}`,
      close: () => {
        server.close();
        server.closeAllConnections();
      },
    };
  }

  test("keeps waiting, and ends as the notification says rather than rejected", async () => {
    const proxy = await droppingProxy();
    try {
      const subject = await bot({
        client: createInviteClient({ credential: sim.credential(), baseUrl: proxy.baseUrl }),
      });
      const call = sim.createCall({ kind: "group", callbackUri: subject.callbackUrl });
      const outcome = await subject.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())));
      expect(outcome.error).toMatchObject({ ambiguous: true });
      expect(outcome.status).toBe("completed");
      expect(outcome.record.history.map((step) => step.event)).toEqual(
        expect.arrayContaining(["sent", "send-failed", "notification"]),
      );
      const invites = sim
        .requests()
        .filter((request) => request.path.endsWith(`/calls/${call.id}/participants/invite`));
      expect(invites).toHaveLength(1);
    } finally {
      proxy.close();
    }
  });
});
