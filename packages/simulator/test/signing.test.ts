import { createPublicKey, type JsonWebKey, randomUUID } from "node:crypto";
import { createInviteClient, userParticipant } from "@graph-invite/client";
import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  importJWK,
  type JWK,
  type JWTVerifyResult,
  jwtVerify,
} from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
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

describe("a staged key rollover", () => {
  const publishedKids = async (sim: Simulator) => {
    const { config } = await discover(sim);
    const keys = (await (await fetch(config.jwks_uri)).json()) as { keys: Array<{ kid: string }> };
    return keys.keys.map((key) => key.kid);
  };
  const signingKid = async (sim: Simulator) => decodeProtectedHeader(await sim.signNotificationToken()).kid;

  it("publishes the next key first, signs with it after overlapMs, and withdraws the old one after retainMs", async () => {
    const { sim, callback } = await startWorld();
    const oldKid = await signingKid(sim);
    const started = Date.now();
    const newKid = await sim.rotateNotificationKey({ overlapMs: 600, retainMs: 1_500 });
    // Published at once, not yet signing: notifications sent now still carry the old key.
    expect(await publishedKids(sim)).toEqual([oldKid, newKid]);
    expect(await signingKid(sim)).toBe(oldKid);
    await inviteInto(sim, callback);
    await sim.settled();
    // Only a machine so loaded that the invite outlasted the overlap skips this; the switch is checked below.
    if (Date.now() - started < 600) {
      expect(bearers(callback).map((token) => decodeProtectedHeader(token).kid)).toEqual([oldKid, oldKid]);
    }

    await vi.waitFor(async () => expect(await signingKid(sim)).toBe(newKid), { timeout: 30_000, interval: 20 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    // The old key is still published, so a token it signed just before the switch verifies.
    expect(await publishedKids(sim)).toEqual([newKid, oldKid]);
    const { jwks } = await discover(sim);
    for (const token of bearers(callback)) {
      await jwtVerify(token, jwks, { issuer: sim.notificationIssuer, audience: sim.app.appId, algorithms: ["RS256"] });
    }

    await vi.waitFor(async () => expect(await publishedKids(sim)).toEqual([newKid]), { timeout: 30_000, interval: 50 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_100);
  });

  it("an instant swap stays available, and ends a rollover under way", async () => {
    const { sim } = await startWorld();
    const first = await signingKid(sim);
    const staged = await sim.rotateNotificationKey({ overlapMs: 60_000 });
    expect(await publishedKids(sim)).toEqual([first, staged]);
    const instant = await sim.rotateNotificationKey();
    expect(await publishedKids(sim)).toEqual([instant]);
    expect(await signingKid(sim)).toBe(instant);
  });

  it("a second rollover finishes the first: its key signs, the first key is retained", async () => {
    const { sim } = await startWorld();
    const first = await signingKid(sim);
    const second = await sim.rotateNotificationKey({ overlapMs: 60_000 });
    const third = await sim.rotateNotificationKey({ overlapMs: 60_000, retainMs: 60_000 });
    expect(await signingKid(sim)).toBe(second);
    expect(await publishedKids(sim)).toEqual([second, third, first]);
  });

  it.each([
    [{ overlapMs: -1 }, "/overlapMs: must be a number from 0 to"],
    [{}, "/overlapMs: must be a number from 0 to"],
    [{ overlapMs: 10, retainMs: "1s" }, "/retainMs: must be a number from 0 to"],
    [{ overlapMs: 10, overlap: 5 }, "/overlap: is not a known property"],
  ])("refuses %j, naming the field", async (rollover, message) => {
    const { sim } = await startWorld();
    await expect(sim.rotateNotificationKey(rollover as never)).rejects.toThrow(message);
  });
});

describe("signNotificationToken for negative tests", () => {
  const parts = (token: string) => {
    const [header = "", payload = "", signature = ""] = token.split(".");
    return {
      header: JSON.parse(Buffer.from(header, "base64url").toString("utf8")) as Record<string, unknown>,
      payload: JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>,
      signature,
    };
  };
  const expected = (sim: Simulator) => ({ issuer: sim.notificationIssuer, audience: sim.app.appId });
  const publishedKey = async (sim: Simulator) => {
    const { config } = await discover(sim);
    const { keys } = (await (await fetch(config.jwks_uri)).json()) as { keys: JWK[] };
    expect(keys).toHaveLength(1);
    return keys[0] as JWK;
  };

  it("signs with RS384, RS512 and PS256 to PS512 under the published key, verifiably", async () => {
    const { sim } = await startWorld();
    const { alg: _, ...published } = await publishedKey(sim);
    for (const alg of ["RS384", "RS512", "PS256", "PS384", "PS512"]) {
      const token = await sim.signNotificationToken({}, {}, { header: { alg } });
      const { protectedHeader } = await jwtVerify(token, await importJWK(published, alg), {
        ...expected(sim),
        algorithms: [alg],
      });
      expect(protectedHeader.alg).toBe(alg);
      expect(protectedHeader.kid).toBe(published.kid);
    }
  });

  it("sets and removes header members: kid, typ, crit, jku, x5u, jwk", async () => {
    const { sim } = await startWorld();
    const usual = parts(await sim.signNotificationToken()).header;
    const token = await sim.signNotificationToken(
      {},
      {},
      {
        header: {
          kid: undefined,
          typ: "at+jwt",
          crit: ["exp-policy"],
          "exp-policy": "strict",
          jku: "https://keys.example.test/jwks",
          x5u: "https://keys.example.test/cert.pem",
          jwk: "signing-key",
        },
      },
    );
    const { header } = parts(token);
    expect(header).toEqual({
      alg: "RS256",
      typ: "at+jwt",
      crit: ["exp-policy"],
      "exp-policy": "strict",
      jku: "https://keys.example.test/jwks",
      x5u: "https://keys.example.test/cert.pem",
      jwk: expect.objectContaining({ kty: "RSA", e: "AQAB" }),
    });
    // The embedded key is the published one, without its private members.
    expect((header["jwk"] as JWK).n).toBe((await publishedKey(sim)).n);
    expect(header["jwk"]).not.toHaveProperty("d");
    expect(usual).toEqual({ alg: "RS256", typ: "JWT", kid: expect.any(String) });
    // jose honours crit: a member it does not understand fails the check, as RFC 7515 requires.
    await expect(
      jwtVerify(token, await importJWK({ ...(header["jwk"] as object), alg: "RS256" }), expected(sim)),
    ).rejects.toBeInstanceOf(errors.JOSENotSupported);
  });

  it("signs with a key it never publishes, under the published kid, so that only the signature check fails", async () => {
    const { sim } = await startWorld();
    const { jwks } = await discover(sim);
    const publishedKid = decodeProtectedHeader(await sim.signNotificationToken()).kid;
    const forged = await sim.signNotificationToken({}, {}, { unpublishedKey: true, header: { jwk: "signing-key" } });
    const { header } = parts(forged);
    expect(header["kid"]).toBe(publishedKid);
    await expect(jwtVerify(forged, jwks, expected(sim))).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
    // It is a real signature all the same, by the key it embeds.
    await jwtVerify(forged, await importJWK({ ...(header["jwk"] as object), alg: "RS256" }), expected(sim));
    // The same unpublished key each time, so a test can pin it.
    const again = parts(
      await sim.signNotificationToken({}, {}, { unpublishedKey: true, header: { jwk: "signing-key" } }),
    );
    expect(again.header["jwk"]).toEqual(header["jwk"]);
  });

  it("ES256 and EdDSA with keys of their own, HS256 keyed with the published public key, and none unsigned", async () => {
    const { sim } = await startWorld();
    for (const alg of ["ES256", "ES384", "ES512", "EdDSA"]) {
      const token = await sim.signNotificationToken({}, {}, { header: { alg, jwk: "signing-key" } });
      const { header } = parts(token);
      expect(header["alg"]).toBe(alg);
      await jwtVerify(token, await importJWK({ ...(header["jwk"] as object) }, alg), {
        ...expected(sim),
        algorithms: [alg],
      });
    }
    // The PEM as Node exports the published key: the secret a verifier that confuses algorithms would use.
    const pem = createPublicKey({ key: (await publishedKey(sim)) as JsonWebKey, format: "jwk" })
      .export({ type: "spki", format: "pem" })
      .toString();
    const hs = await sim.signNotificationToken({}, {}, { header: { alg: "HS256" } });
    await jwtVerify(hs, new TextEncoder().encode(pem), { ...expected(sim), algorithms: ["HS256"] });
    const keyed = await sim.signNotificationToken({}, {}, { header: { alg: "HS512" }, hmacSecret: sim.app.secret });
    await jwtVerify(keyed, new TextEncoder().encode(sim.app.secret), { ...expected(sim), algorithms: ["HS512"] });

    const none = parts(await sim.signNotificationToken({}, {}, { header: { alg: "none" } }));
    expect(none.header["alg"]).toBe("none");
    expect(none.signature).toBe("");
    expect(none.payload).toMatchObject({ aud: sim.app.appId, tid: sim.app.tenantId });
  });

  it("names the field when it does not know the algorithm", async () => {
    const { sim } = await startWorld();
    await expect(sim.signNotificationToken({}, {}, { header: { alg: "RSA-OAEP" } })).rejects.toThrow(
      /^header\.alg "RSA-OAEP" is not one the signer knows: none, RS256/,
    );
  });
});
