// Proves, through the bot's real endpoint over loopback, that signing keys that cannot be fetched give 503 with
// Retry-After until they can, after which the same notification is accepted.

import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, test } from "vitest";
import { createCallbackAuthenticator } from "../src/index.js";
import type { StartedBot } from "../src/node/index.js";
import { cleanups, closedPort, startBotFor, startMetadataProxy } from "./auth-stubs.js";
import {
  exampleMember,
  lifecycle,
  membersOf,
  postNotification,
  type RawAnswer,
  rosterOf,
  signedHeaders,
  watch,
} from "./harness.js";

const { sharedWorld } = lifecycle();

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The simulator (and its bot) of the groups that do not change the simulator: starting one costs two RSA keys. */
const shared = sharedWorld();

describe("signing keys that cannot be fetched", () => {
  /** Expects 503 keys-unavailable with Retry-After, and that the bot did nothing with the body. */
  async function expectUnavailable(bot: StartedBot, answer: RawAnswer, callId: string): Promise<void> {
    expect(answer.status).toBe(503);
    expect(answer.body).toEqual({ error: { code: "keys-unavailable", message: expect.any(String) } });
    expect(answer.headers.get("retry-after")).toBe("5");
    expect(answer.headers.get("connection")).toBe("close");
    expect(answer.headers.get("www-authenticate")).toBeNull();
    expect(await membersOf(bot, callId)).toEqual([]);
  }

  test("metadata on a closed port: 503 keys-unavailable with Retry-After, nothing processed", async () => {
    const { sim } = shared();
    const port = await closedPort();
    const bot = await startBotFor(sim, {
      openIdConfigurationUrl: `http://127.0.0.1:${port}/v1/.well-known/OpenIdConfiguration`,
    });
    const seen = watch(bot);
    const callId = randomUUID();
    await expectUnavailable(bot, await postNotification(bot, rosterOf(callId), await signedHeaders(sim)), callId);
    expect(seen.deliveries).toEqual([]);
    expect(seen.refusals).toEqual([
      {
        status: 503,
        reason: "keys-unavailable",
        message: expect.any(String),
        setting: "auth.openIdConfigurationUrl",
      },
    ]);
  });

  test("metadata that fails and then recovers: 503, then the same notification gets 202 and is processed", async () => {
    const { sim } = shared();
    const proxy = await startMetadataProxy(sim);
    proxy.state.metadata = "down";
    const bot = await startBotFor(sim, { openIdConfigurationUrl: proxy.openIdConfigurationUrl });
    const callId = randomUUID();
    const body = rosterOf(callId);
    await expectUnavailable(bot, await postNotification(bot, body, await signedHeaders(sim)), callId);

    proxy.state.metadata = "up";
    expect((await postNotification(bot, body, await signedHeaders(sim))).status).toBe(202);
    expect(await membersOf(bot, callId)).toEqual([exampleMember]);
    expect(proxy.fetches("/openid")).toBe(2);
  });

  test("a key set that fails while the metadata answers: 503, then 202 once the keys are back", async () => {
    const { sim } = shared();
    const proxy = await startMetadataProxy(sim);
    proxy.state.keys = "down";
    const bot = await startBotFor(sim, { openIdConfigurationUrl: proxy.openIdConfigurationUrl });
    const callId = randomUUID();
    await expectUnavailable(bot, await postNotification(bot, rosterOf(callId), await signedHeaders(sim)), callId);

    proxy.state.keys = "up";
    expect((await postNotification(bot, rosterOf(callId), await signedHeaders(sim))).status).toBe(202);
    expect(await membersOf(bot, callId)).toEqual([exampleMember]);
  });

  test("metadata without a jwks_uri: 503 keys-unavailable", async () => {
    const { sim } = shared();
    const proxy = await startMetadataProxy(sim);
    proxy.state.metadata = "no-jwks-uri";
    const bot = await startBotFor(sim, { openIdConfigurationUrl: proxy.openIdConfigurationUrl });
    const callId = randomUUID();
    await expectUnavailable(bot, await postNotification(bot, rosterOf(callId), await signedHeaders(sim)), callId);
  });

  test("once the keys are known, an outage of the metadata does not refuse notifications (stale metadata is used), nor is it fetched again for each", async () => {
    const { sim } = shared();
    const proxy = await startMetadataProxy(sim);
    // Metadata that is stale at once: without a back-off, every request would try to fetch it again.
    const bot = await startBotFor(sim, { openIdConfigurationUrl: proxy.openIdConfigurationUrl, metadataMaxAgeMs: 0 });
    expect((await postNotification(bot, rosterOf(randomUUID()), await signedHeaders(sim))).status).toBe(202);

    proxy.state.metadata = "down";
    // Several requests, each with a token of its own, so that none is answered from the verified-token cache.
    for (let request = 0; request < 5; request++) {
      const callId = randomUUID();
      const headers = await signedHeaders(sim, { jti: randomUUID() });
      expect((await postNotification(bot, rosterOf(callId), headers)).status).toBe(202);
      expect(await membersOf(bot, callId)).toEqual([exampleMember]);
    }
    // The first fetch, and the one refresh that failed: the back-off holds the rest.
    expect(proxy.fetches("/openid")).toBe(2);
  });

  describe("createCallbackAuthenticator on its own", () => {
    test("concurrent first requests share one metadata fetch and one key set fetch", async () => {
      const { sim } = shared();
      const proxy = await startMetadataProxy(sim);
      const authenticator = createCallbackAuthenticator({
        appId: sim.app.appId,
        openIdConfigurationUrl: proxy.openIdConfigurationUrl,
      });
      const tokens = await Promise.all(Array.from({ length: 8 }, () => sim.signNotificationToken()));
      const results = await Promise.all(tokens.map((token) => authenticator.authenticate(`Bearer ${token}`)));
      expect(results).toEqual(tokens.map(() => expect.objectContaining({ ok: true, tenantId: sim.app.tenantId })));
      expect(proxy.fetches("/openid")).toBe(1);
      expect(proxy.fetches("/keys")).toBe(1);
    });

    test("metadata that never answers gives 503 keys-unavailable once fetchTimeoutMs has passed", async () => {
      const { sim } = shared();
      const proxy = await startMetadataProxy(sim);
      proxy.state.metadata = "hang";
      const authenticator = createCallbackAuthenticator({
        appId: sim.app.appId,
        openIdConfigurationUrl: proxy.openIdConfigurationUrl,
        fetchTimeoutMs: 200,
      });
      const result = await authenticator.authenticate(`Bearer ${await sim.signNotificationToken()}`);
      expect(result).toEqual({ ok: false, status: 503, reason: "keys-unavailable", message: expect.any(String) });
    });

    test("the Bearer scheme is case-insensitive and the claims come back with the tenant", async () => {
      const { sim } = shared();
      const authenticator = createCallbackAuthenticator({
        appId: sim.app.appId,
        openIdConfigurationUrl: sim.openIdConfigurationUrl,
      });
      const token = await sim.signNotificationToken({ jti: "one" });
      const result = await authenticator.authenticate(`bearer ${token}`);
      expect(result).toMatchObject({
        ok: true,
        tenantId: sim.app.tenantId,
        claims: { jti: "one", aud: sim.app.appId },
      });
      expect(await authenticator.authenticate(undefined)).toMatchObject({ ok: false, reason: "missing-token" });
      expect(await authenticator.authenticate("Bearer")).toMatchObject({ ok: false, reason: "missing-token" });
    });

    test("issuers replaces Graph's two: a token of Graph's issuer is then refused", async () => {
      const { sim } = shared();
      const authenticator = createCallbackAuthenticator({
        appId: sim.app.appId,
        openIdConfigurationUrl: sim.openIdConfigurationUrl,
        issuers: ["https://calling.example.test"],
      });
      const graphs = await authenticator.authenticate(`Bearer ${await sim.signNotificationToken()}`);
      expect(graphs).toMatchObject({ ok: false, status: 401, reason: "wrong-issuer" });
      const own = await sim.signNotificationToken({ iss: "https://calling.example.test" });
      expect(await authenticator.authenticate(`Bearer ${own}`)).toMatchObject({ ok: true });
    });
  });
});
