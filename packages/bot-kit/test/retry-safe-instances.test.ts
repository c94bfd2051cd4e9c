// Retry-safe invites across two instances on one real Redis: the same invite sent to another instance (a retried
// web request that the load balancer sent elsewhere) reattaches to the first, and `invite` then `waitFor` work from
// either. Their periodic re-read is set to a minute, so only the store's change feed wakes them in time.
import { randomUUID } from "node:crypto";
import { createInviteClient, inviteBody, userParticipant } from "@graph-invite/client";
import { type Simulator, start } from "@graph-invite/simulator";
import { type RedisServer, skipRedisTests, startRedis } from "@graph-invite/test-support/redis";
import { createClient } from "redis";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { ClientContextInUse } from "../src/index.js";
import { type StartedBot, startBot } from "../src/node/index.js";
import { RedisStore } from "../src/redis/index.js";
import { until } from "./store-contract.js";

describe.skipIf(skipRedisTests)("retry-safe invites on instances sharing one Redis", () => {
  let redis: RedisServer;
  let sim: Simulator;
  const prefix = `retry-safe-${randomUUID()}:`;
  const running: Array<{ bot: StartedBot; client: { destroy(): unknown } }> = [];

  beforeAll(async () => {
    [redis, sim] = await Promise.all([startRedis(), start()]);
  });
  afterAll(async () => {
    await sim?.close();
    await redis?.stop();
  });
  afterEach(async () => {
    for (const { bot, client } of running.splice(0)) {
      await bot.close();
      client.destroy();
    }
  });

  async function instance(): Promise<StartedBot> {
    const client = createClient({ url: redis.url });
    client.on("error", () => {});
    await client.connect();
    const bot = await startBot({
      client: createInviteClient({ credential: sim.credential(), baseUrl: sim.graphUrl }),
      auth: { appId: sim.app.appId, openIdConfigurationUrl: sim.openIdConfigurationUrl },
      store: new RedisStore({ client, prefix, feedBlockMs: 500, heartbeatMs: 600 }),
      recheckIntervalMs: 60_000,
    });
    running.push({ bot, client });
    return bot;
  }

  /** Invite requests the simulator answered for the call, but the 429s the client sends again. */
  const invitesTo = (callId: string) =>
    sim
      .requests()
      .filter((request) => request.path.endsWith(`/calls/${callId}/participants/invite`) && request.status !== 429)
      .length;

  test("invite on one instance, the retry on another while Graph has not answered: one invite, one answer", async () => {
    const [first, second] = [await instance(), await instance()];
    const user = randomUUID();
    // Graph answers the first request 429 with Retry-After 0.6 s: the invite stays sending for 600 ms.
    sim.setScenario({
      answers: { [user]: { kind: "accept", afterMs: 1000 } },
      rejectInvites: [{ status: 429, retryAfter: "0.6" }],
    });
    const call = sim.createCall({ kind: "group", callbackUri: first.callbackUrl });
    const clientContext = randomUUID();
    const body = inviteBody(userParticipant(user), clientContext);

    const sent = first.invite(call.id, body);
    await until(async () => (await second.operations(call.id))[0]?.status === "sending");
    const retried = await second.invite(call.id, structuredClone(body));
    const answered = await sent;
    expect(answered.operation).toMatchObject({ status: "running" });
    expect(retried.operation).toMatchObject({ status: "running", operationId: answered.operation.operationId });
    expect(invitesTo(call.id)).toBe(1);

    // The outcome, learnt on the instance that did not receive the notification, and by a retry of inviteAndWait.
    const outcome = await second.waitFor(retried.clientContext);
    expect(outcome).toMatchObject({ status: "completed", operationId: answered.operation.operationId });
    expect(await second.inviteAndWait(call.id, body)).toEqual(outcome);
    await expect(
      second.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID()), clientContext)),
    ).rejects.toBeInstanceOf(ClientContextInUse);
    expect(invitesTo(call.id)).toBe(1);
  });

  test("inviteAndWait of one invite on two instances at once: one reaches Graph, and both get its outcome", async () => {
    const [first, second] = [await instance(), await instance()];
    const user = randomUUID();
    sim.setScenario({ answers: { [user]: { kind: "decline", afterMs: 300 } } });
    const call = sim.createCall({ kind: "group", callbackUri: second.callbackUrl });
    const body = inviteBody(userParticipant(user), randomUUID());
    const [one, other] = await Promise.all([first.inviteAndWait(call.id, body), second.inviteAndWait(call.id, body)]);
    expect(one).toMatchObject({ status: "failed", resultInfo: { code: 603 } });
    expect(other).toMatchObject({ status: "failed", operationId: one.operationId });
    expect(invitesTo(call.id)).toBe(1);
  });
});
