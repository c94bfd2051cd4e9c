import { randomUUID } from "node:crypto";
import { createInviteClient, userParticipant } from "@graph-invite/client";
import { createRemoteJWKSet, decodeProtectedHeader, errors, type JWTVerifyResult, jwtVerify } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { type AppRegistration, type Simulator, type SimulatorOptions, start } from "../src/index.js";
import { type Answerer, type Callback, startCallback } from "./callback.js";

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startWorld(
  options: SimulatorOptions = {},
  answer: Answerer = () => 202,
): Promise<{ sim: Simulator; callback: Callback }> {
  const callback = await startCallback(answer);
  cleanups.push(() => callback.stop());
  const sim = await start(options);
  cleanups.push(() => sim.close());
  return { sim, callback };
}

/** Creates a call owned by `app` and invites one user into it with that app's credential. */
async function inviteInto(sim: Simulator, callback: Callback, app: AppRegistration = sim.app): Promise<string> {
  const call = sim.createCall({ kind: "group", callbackUri: callback.url, appId: app.appId });
  const client = createInviteClient({ credential: sim.credential(app), baseUrl: sim.graphUrl });
  const result = await client.invite(call.id, {
    participants: [userParticipant(randomUUID(), { displayName: "Adele Vance" })],
    clientContext: randomUUID(),
  });
  if (!result.ok) throw new Error(`the invite failed: ${JSON.stringify(result.error)}`);
  return call.id;
}

/** The calling service's metadata and keys, found as a bot finds them. */
async function discover(sim: Simulator) {
  const response = await fetch(sim.openIdConfigurationUrl);
  expect(response.status).toBe(200);
  const config = (await response.json()) as { issuer: string; jwks_uri: string };
  return { config, jwks: createRemoteJWKSet(new URL(config.jwks_uri)) };
}

function bearer(callback: Callback, index: number): string {
  const header = callback.received[index]?.headers.authorization ?? "";
  const match = /^Bearer (\S+)$/.exec(header);
  if (match?.[1] === undefined) throw new Error(`notification ${index} has no bearer token: "${header}"`);
  return match[1];
}

const bearers = (callback: Callback) => callback.received.map((_, index) => bearer(callback, index));

describe("notification tokens", () => {
  it("every notification, retries included, carries an RS256 JWT a bot can verify from the published metadata", async () => {
    // A 503 on the first request, so that a retried attempt's token is checked too.
    const { sim, callback } = await startWorld({ scenario: { delivery: { retryDelayMs: 20 } } }, (index) =>
      index === 0 ? 503 : 202,
    );
    const { config, jwks } = await discover(sim);
    expect(config.issuer).toBe(sim.notificationIssuer);
    expect(sim.notificationIssuer).toBe("https://api.botframework.com");

    const startedAt = Math.floor(Date.now() / 1000);
    const callId = await inviteInto(sim, callback);
    await sim.settled();
    const now = Math.floor(Date.now() / 1000);

    const tokens = bearers(callback);
    expect(tokens).toHaveLength(3);
    const { keys } = (await (await fetch(config.jwks_uri)).json()) as { keys: Array<{ kid?: string }> };
    const tenantId = sim.call(callId)?.tenantId;
    expect(tenantId).toBe(sim.app.tenantId);
    for (const token of tokens) {
      const { payload, protectedHeader } = await jwtVerify(token, jwks, {
        issuer: sim.notificationIssuer,
        audience: sim.app.appId,
        algorithms: ["RS256"],
      });
      expect(protectedHeader.alg).toBe("RS256");
      expect(protectedHeader.kid).toEqual(expect.any(String));
      expect(keys.map((key) => key.kid)).toContain(protectedHeader.kid);
      expect(payload["tid"]).toBe(tenantId);
      expect(payload.iat).toBeGreaterThanOrEqual(startedAt - 1);
      expect(payload.iat).toBeLessThanOrEqual(now + 1);
      expect(payload.nbf).toBeLessThanOrEqual(now + 1);
      expect(payload.nbf).toBeLessThanOrEqual(payload.iat ?? 0);
      const lifetime = (payload.exp ?? 0) - (payload.iat ?? 0);
      expect(lifetime).toBeGreaterThanOrEqual(5 * 60);
      expect(lifetime).toBeLessThanOrEqual(24 * 60 * 60);
    }
    expect(sim.deliveries()[0]?.attempts.map((attempt) => attempt.status)).toEqual([503, 202]);
  });

  it("tokens are addressed to the app and signed only by the calling service's key", async () => {
    const { sim, callback } = await startWorld();
    const { jwks } = await discover(sim);
    await inviteInto(sim, callback);
    await sim.settled();
    const [token = ""] = bearers(callback);

    await expect(
      jwtVerify(token, jwks, { issuer: sim.notificationIssuer, audience: randomUUID(), algorithms: ["RS256"] }),
    ).rejects.toBeInstanceOf(errors.JWTClaimValidationFailed);
    // The identity platform signs Graph's access tokens with another key; a bot that uses its key set fails.
    const identityKeys = createRemoteJWKSet(new URL(`${sim.url}/${sim.app.tenantId}/discovery/v2.0/keys`));
    await expect(
      jwtVerify(token, identityKeys, { issuer: sim.notificationIssuer, audience: sim.app.appId }),
    ).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
  });

  it("honours notificationIssuer: https://graph.microsoft.com", async () => {
    const issuer = "https://graph.microsoft.com";
    const { sim, callback } = await startWorld({ notificationIssuer: issuer });
    expect(sim.notificationIssuer).toBe(issuer);
    const { config, jwks } = await discover(sim);
    expect(config.issuer).toBe(issuer);

    await inviteInto(sim, callback);
    await sim.settled();
    const tokens = bearers(callback);
    expect(tokens).toHaveLength(2);
    for (const token of tokens) {
      const { payload } = await jwtVerify(token, jwks, { issuer, audience: sim.app.appId, algorithms: ["RS256"] });
      expect(payload.iss).toBe(issuer);
      await expect(
        jwtVerify(token, jwks, { issuer: "https://api.botframework.com", audience: sim.app.appId }),
      ).rejects.toBeInstanceOf(errors.JWTClaimValidationFailed);
    }
  });

  it("a call owned by a second app gets tokens addressed to that app, in its tenant", async () => {
    const app = (): AppRegistration => ({ appId: randomUUID(), secret: randomUUID(), tenantId: randomUUID() });
    const [first, second] = [app(), app()];
    const { sim, callback } = await startWorld({ apps: [first, second] });
    const { jwks } = await discover(sim);

    const firstCall = await inviteInto(sim, callback, first);
    const secondCall = await inviteInto(sim, callback, second);
    await sim.settled();

    const byCall = new Map<string, JWTVerifyResult["payload"][]>();
    for (const [index, request] of callback.received.entries()) {
      const callId = String(request.headers["x-microsoft-skype-chain-id"]);
      const { payload } = await jwtVerify(bearer(callback, index), jwks, {
        issuer: sim.notificationIssuer,
        algorithms: ["RS256"],
      });
      byCall.set(callId, [...(byCall.get(callId) ?? []), payload]);
    }
    expect([...byCall.keys()].sort()).toEqual([firstCall, secondCall].sort());
    for (const [callId, owner] of [
      [firstCall, first],
      [secondCall, second],
    ] as const) {
      const payloads = byCall.get(callId) ?? [];
      expect(payloads).toHaveLength(2);
      for (const payload of payloads) {
        expect(payload.aud).toBe(owner.appId);
        expect(payload["tid"]).toBe(owner.tenantId);
      }
    }
    const secondToken = bearer(
      callback,
      callback.received.findIndex((request) => request.headers["x-microsoft-skype-chain-id"] === secondCall),
    );
    await expect(
      jwtVerify(secondToken, jwks, { issuer: sim.notificationIssuer, audience: first.appId }),
    ).rejects.toBeInstanceOf(errors.JWTClaimValidationFailed);
  });

  it("after rotateNotificationKey, new notifications carry the new kid and verify against the refreshed key set", async () => {
    const { sim, callback } = await startWorld();
    const verify = (token: string, jwks: ReturnType<typeof createRemoteJWKSet>) =>
      jwtVerify(token, jwks, { issuer: sim.notificationIssuer, audience: sim.app.appId, algorithms: ["RS256"] });

    const before = await discover(sim);
    await inviteInto(sim, callback);
    await sim.settled();
    const oldTokens = bearers(callback);
    const oldKid = decodeProtectedHeader(oldTokens[0] ?? "").kid;
    for (const token of oldTokens) await verify(token, before.jwks);

    const newKid = await sim.rotateNotificationKey();
    expect(newKid).not.toBe(oldKid);
    await inviteInto(sim, callback);
    await sim.settled();
    const newTokens = bearers(callback).slice(oldTokens.length);
    expect(newTokens).toHaveLength(2);

    const after = await discover(sim);
    for (const token of newTokens) {
      const { protectedHeader } = await verify(token, after.jwks);
      expect(protectedHeader.kid).toBe(newKid);
    }
    // The published set holds only the new key, so a token signed before the rotation no longer verifies.
    await expect(verify(oldTokens[0] ?? "", after.jwks)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
  });
});
