// How createBot puts its parts together, where no flow test looks: an authenticator of the bot's own is the one
// asked, work the bot does in the background that fails is reported as an `error` event rather than lost, a call it
// has heard nothing of has an empty roster that has not ended, a call's state costs a roster write only to a bot that
// broadcasts its events, and the invites waited on are read again at the interval the bot was given.
import { randomUUID } from "node:crypto";
import { createInviteClient, inviteBody, userParticipant } from "@graph-invite/client";
import { type Simulator, start } from "@graph-invite/simulator";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type AuthResult, type Bot, type CallStateEvent, createBot, MemoryStore } from "../src/index.js";
import { startBot } from "../src/node/index.js";
import { rosterOf, signedHeaders } from "./harness.js";

let sim: Simulator;
beforeAll(async () => {
  sim = await start();
});
afterAll(() => sim.close());

const bots: Bot[] = [];
afterAll(async () => {
  for (const bot of bots.splice(0)) {
    await bot.idle();
    bot.stopWaiting();
  }
});

const client = () => createInviteClient({ credential: sim.credential(), baseUrl: sim.graphUrl });

function post(bot: Bot, body: string, authorization: string): Promise<Response> {
  const headers = { authorization, "content-type": "application/json" };
  return bot.fetch(new Request("http://bot.test/api/calls", { method: "POST", headers, body }));
}

test("an authenticator of the bot's own is the one asked: what it allows is processed, what it refuses is refused", async () => {
  const seen: Array<string | null | undefined> = [];
  const bot = createBot({
    client: client(),
    auth: {
      authenticate: async (authorization): Promise<AuthResult> => {
        seen.push(authorization);
        return authorization === "Bearer ours"
          ? { ok: true, tenantId: randomUUID(), claims: {} }
          : { ok: false, status: 401, reason: "invalid-token", message: "not ours" };
      },
    },
    selfCheck: false,
  });
  bots.push(bot);
  const callId = randomUUID();
  expect((await post(bot, rosterOf(callId), "Bearer ours")).status).toBe(202);
  await bot.idle();
  expect((await bot.roster(callId)).participants).toHaveLength(1);
  const refused = await post(bot, rosterOf(randomUUID()), "Bearer theirs");
  expect(refused.status).toBe(401);
  expect(seen).toEqual(["Bearer ours", "Bearer theirs"]);
});

test("a failure of the bot's background work (taking over another instance's deliveries) is an error event", async () => {
  const failure = new Error("the store cannot list unfinished deliveries");
  class FailingStore extends MemoryStore {
    async takeUnfinishedDeliveries(): Promise<never> {
      throw failure;
    }
  }
  const bot = createBot({
    client: client(),
    auth: { appId: sim.app.appId, openIdConfigurationUrl: sim.openIdConfigurationUrl },
    store: new FailingStore(),
    recheckIntervalMs: 50,
    selfCheck: false,
  });
  bots.push(bot);
  const errors: unknown[] = [];
  bot.on("error", (error) => errors.push(error));
  const deadline = Date.now() + 5000;
  while (errors.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  expect(errors[0]).toBe(failure);
});

test("the roster of a call the bot has heard nothing of is empty and not ended", async () => {
  const bot = createBot({
    client: client(),
    auth: { appId: sim.app.appId, openIdConfigurationUrl: sim.openIdConfigurationUrl },
    selfCheck: false,
  });
  bots.push(bot);
  const callId = randomUUID();
  expect(await bot.roster(callId)).toEqual({ callId, participants: [], ended: false });
});

test("without broadcastEvents, a call's state that does not end it is announced without writing its roster", async () => {
  // Broadcast call events travel with a roster write: only a bot that broadcasts pays for one.
  const store = new MemoryStore();
  const bot = createBot({
    client: client(),
    auth: { appId: sim.app.appId, openIdConfigurationUrl: sim.openIdConfigurationUrl },
    store,
    selfCheck: false,
  });
  bots.push(bot);
  const callId = randomUUID();
  const headers = await signedHeaders(sim);
  const send = (body: string) => bot.fetch(new Request("http://bot.test/api/calls", { method: "POST", headers, body }));
  expect((await send(rosterOf(callId))).status).toBe(202);
  await bot.idle();
  const before = await store.roster(callId);
  const calls: CallStateEvent[] = [];
  bot.on("call", (event) => calls.push(event));
  const established = {
    value: [
      {
        changeType: "updated",
        resource: `/app/calls/${callId}`,
        resourceData: { "@odata.type": "#microsoft.graph.call", state: "established" },
      },
    ],
  };
  expect((await send(JSON.stringify(established))).status).toBe(202);
  await bot.idle();
  expect(calls).toEqual([expect.objectContaining({ callId, state: "established" })]);
  expect(await store.roster(callId)).toEqual(before);
});

test("an invite whose end another instance heard is read again every recheckIntervalMs", async () => {
  // Two bots over one store: the one that invites hears nothing (the calls' callbacks go to the other), and the
  // store tells it nothing, so only its re-read of the store ends its wait; at the default 5 s it would end later.
  const store = new MemoryStore();
  const auth = { appId: sim.app.appId, openIdConfigurationUrl: sim.openIdConfigurationUrl };
  const inviter = createBot({ client: client(), auth, store, recheckIntervalMs: 100, selfCheck: false });
  bots.push(inviter);
  const hearing = await startBot({ client: client(), auth, store, selfCheck: false });
  try {
    const call = sim.createCall({ kind: "group", callbackUri: hearing.callbackUrl });
    const started = Date.now();
    const outcome = await inviter.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())));
    expect(outcome.status).toBe("completed");
    expect(Date.now() - started).toBeLessThan(2500);
  } finally {
    await hearing.close();
  }
});
