// The identity platform's side of the simulator: Graph's check of the bearer token on the invite action, and the
// calling service's separate key for notifications. Everything goes over loopback HTTP with real signed tokens.

import { randomUUID } from "node:crypto";
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { type AppRegistration, graphResource, invitePermission, type Simulator } from "../src/index.js";
import { lifecycle } from "./harness.js";
import {
  accessToken,
  bearer,
  identityMetadataUrl,
  invitation,
  invite,
  type JsonResponse,
  jwksUriOf,
  registration,
} from "./identity-requests.js";

const { simulator, callback, sharedSimulator } = lifecycle();

describe("Graph's check of the bearer token on the invite action", () => {
  const owner = registration();
  const intruder = registration();
  const withoutPermission = registration({ roles: [] });
  const sim = sharedSimulator({ apps: [owner, intruder, withoutPermission] });

  /** A group call of `app` whose notifications go to a loopback bot. */
  async function groupCall(app: AppRegistration = owner) {
    const bot = await callback();
    return sim().createCall({ kind: "group", callbackUri: bot.url, appId: app.appId });
  }

  const operationsOf = (callId: string) =>
    sim()
      .operations()
      .filter((operation) => operation.callId === callId);

  function expectUnauthorized(response: JsonResponse): void {
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ error: { code: "InvalidAuthenticationToken" } });
    expect(response.headers.get("www-authenticate")).toMatch(/^Bearer /);
  }

  it("accepts the app's own token", async () => {
    const call = await groupCall();
    const response = await invite(sim(), call.id, bearer(await accessToken(sim())));
    expect(response.status).toBe(200);
    expect(response.body["clientContext"]).toBe(invitation.clientContext);
    expect(operationsOf(call.id)).toHaveLength(1);
  });

  it("answers a request without a token with 401 and WWW-Authenticate", async () => {
    const call = await groupCall();
    const response = await invite(sim(), call.id, {});
    expectUnauthorized(response);
    expect(response.body).toMatchObject({ error: { message: "Access token is empty." } });
    expect(operationsOf(call.id)).toEqual([]);
  });

  it.each([
    ["a garbage token", "Bearer not-a-token"],
    ["three garbage segments", "Bearer a.b.c"],
    ["an unsigned token", `Bearer ${Buffer.from('{"alg":"none"}').toString("base64url")}.e30.`],
    ["a Basic credential", `Basic ${Buffer.from("user:password").toString("base64")}`],
  ])("answers %s with 401", async (_, authorization) => {
    const call = await groupCall();
    expectUnauthorized(await invite(sim(), call.id, { Authorization: authorization }));
    expect(operationsOf(call.id)).toEqual([]);
  });

  it("answers a token from another simulator, for the same app, with 401", async () => {
    const call = await groupCall();
    const elsewhere = await simulator({ apps: [owner] });
    const foreign = await accessToken(elsewhere);
    // The claims would pass apart from the issuer's origin; the key differs too.
    expect(decodeJwt(foreign)).toMatchObject({ tid: owner.tenantId, azp: owner.appId, aud: graphResource });
    const response = await invite(sim(), call.id, bearer(foreign));
    expectUnauthorized(response);
    expect(response.body).toMatchObject({ error: { message: expect.stringMatching(/signature verification failed/) } });
  });

  it("answers a token whose claims were changed after signing with 401", async () => {
    const call = await groupCall();
    const token = await accessToken(sim(), withoutPermission);
    const [header, , signature] = token.split(".");
    const raised = Buffer.from(JSON.stringify({ ...decodeJwt(token), roles: [invitePermission] }));
    const forged = `${header}.${raised.toString("base64url")}.${signature}`;
    expectUnauthorized(await invite(sim(), call.id, bearer(forged)));
  });

  it("answers a token signed with the calling service's key, claims and all, with 401", async () => {
    const call = await groupCall();
    const notificationToken = await sim().signNotificationToken({
      iss: `${sim().url}/${owner.tenantId}/v2.0`,
      aud: graphResource,
      tid: owner.tenantId,
      azp: owner.appId,
      roles: [invitePermission],
    });
    expectUnauthorized(await invite(sim(), call.id, bearer(notificationToken)));
  });

  it("answers an app registered without the invite permission with 403", async () => {
    const call = await groupCall(withoutPermission);
    const token = await accessToken(sim(), withoutPermission);
    expect(decodeJwt(token)["roles"]).toEqual([]);
    const response = await invite(sim(), call.id, bearer(token));
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({
      error: { code: "Forbidden", message: expect.stringContaining(invitePermission) },
    });
    expect(operationsOf(call.id)).toEqual([]);
  });

  it("answers a call owned by another app with 403", async () => {
    const call = await groupCall(owner);
    const response = await invite(sim(), call.id, bearer(await accessToken(sim(), intruder)));
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({ error: { code: "Forbidden", message: expect.stringContaining(call.id) } });
    expect(operationsOf(call.id)).toEqual([]);
  });

  it("answers an unknown call with 404", async () => {
    const unknown = randomUUID();
    const response = await invite(sim(), unknown, bearer(await accessToken(sim())));
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({
      error: { code: "ItemNotFound", message: expect.stringContaining(unknown) },
    });
  });

  it("records each request with the status it was answered with", async () => {
    const call = await groupCall();
    await invite(sim(), call.id, {});
    await invite(sim(), call.id, bearer(await accessToken(sim())));
    const invites = sim()
      .requests()
      .filter((request) => request.path === `/v1.0/communications/calls/${call.id}/participants/invite`);
    expect(invites.map((request) => request.status)).toEqual([401, 200]);
  });

  it("keeps no secret or token in the request log, which the control API serves", async () => {
    const token = await accessToken(sim(), owner);
    const call = await groupCall();
    await invite(sim(), call.id, bearer(token));
    const log = JSON.stringify(sim().requests());
    expect(log).not.toContain(owner.secret);
    expect(log).not.toContain(token);
    expect(log).toContain("client_secret=[redacted]");
    expect(log).toContain("Bearer [redacted]");
  });
});

describe("the calling service's metadata and notification key", () => {
  const sim = sharedSimulator();

  interface CallingServiceMetadata {
    readonly issuer: string;
    readonly jwks_uri: string;
  }

  async function metadataOf(target: Simulator): Promise<CallingServiceMetadata> {
    const response = await fetch(target.openIdConfigurationUrl);
    expect(response.status).toBe(200);
    return (await response.json()) as CallingServiceMetadata;
  }

  it("serves the issuer and a key set on the path bots configure", async () => {
    expect(sim().openIdConfigurationUrl).toBe(`${sim().url}/v1/.well-known/OpenIdConfiguration`);
    const metadata = await metadataOf(sim());
    expect(metadata.issuer).toBe(sim().notificationIssuer);
    expect(metadata.issuer).toBe("https://api.botframework.com");
    const jwks = (await (await fetch(metadata.jwks_uri)).json()) as { keys: Array<{ kid: string }> };
    expect(jwks.keys).toHaveLength(1);
    expect(decodeProtectedHeader(await sim().signNotificationToken()).kid).toBe(jwks.keys[0]?.kid);
  });

  it("names Graph as the issuer when configured so", async () => {
    const graphIssued = await simulator({ notificationIssuer: "https://graph.microsoft.com" });
    expect((await metadataOf(graphIssued)).issuer).toBe("https://graph.microsoft.com");
    expect(decodeJwt(await graphIssued.signNotificationToken())["iss"]).toBe("https://graph.microsoft.com");
  });

  it("verifies notification tokens, addressed to the app, against its key set", async () => {
    const keys = createRemoteJWKSet(new URL((await metadataOf(sim())).jwks_uri));
    const { payload } = await jwtVerify(await sim().signNotificationToken(), keys, {
      issuer: sim().notificationIssuer,
      audience: sim().app.appId,
    });
    expect(payload["tid"]).toBe(sim().app.tenantId);
  });

  it("keeps the two keys apart: neither kind of token verifies against the other's key set", async () => {
    const notificationKeys = createRemoteJWKSet(new URL((await metadataOf(sim())).jwks_uri));
    const identityKeys = createRemoteJWKSet(await jwksUriOf(identityMetadataUrl(sim(), sim().app.tenantId)));
    await expect(jwtVerify(await accessToken(sim()), notificationKeys)).rejects.toBeInstanceOf(
      joseErrors.JWKSNoMatchingKey,
    );
    await expect(jwtVerify(await sim().signNotificationToken(), identityKeys)).rejects.toBeInstanceOf(
      joseErrors.JWKSNoMatchingKey,
    );
  });

  it("signs expired tokens on request, which then fail verification", async () => {
    const keys = createRemoteJWKSet(new URL((await metadataOf(sim())).jwks_uri));
    const expired = await sim().signNotificationToken({}, { expiresIn: -600, notBefore: -1200 });
    await expect(jwtVerify(expired, keys)).rejects.toBeInstanceOf(joseErrors.JWTExpired);
  });

  it("leaves out a claim given as undefined, and lets a given claim replace the usual one", async () => {
    const withoutTenant = decodeJwt(await sim().signNotificationToken({ tid: undefined }));
    expect(withoutTenant).not.toHaveProperty("tid");
    expect(withoutTenant).toMatchObject({ aud: sim().app.appId, exp: expect.any(Number) });
    const withoutExpiry = decodeJwt(await sim().signNotificationToken({ exp: undefined }));
    expect(withoutExpiry).not.toHaveProperty("exp");
    expect(withoutExpiry).toMatchObject({ tid: sim().app.tenantId, nbf: expect.any(Number) });
    expect(decodeJwt(await sim().signNotificationToken({ exp: 1_700_000_000 })).exp).toBe(1_700_000_000);
  });

  it("after a rotation, publishes only the new key", async () => {
    const rotating = await simulator();
    const { jwks_uri } = await metadataOf(rotating);
    const before = await rotating.signNotificationToken();
    await expect(jwtVerify(before, createRemoteJWKSet(new URL(jwks_uri)))).resolves.toBeDefined();

    const kid = await rotating.rotateNotificationKey();
    const refreshed = createRemoteJWKSet(new URL(jwks_uri));
    const after = await rotating.signNotificationToken();
    expect(decodeProtectedHeader(after).kid).toBe(kid);
    expect(decodeProtectedHeader(before).kid).not.toBe(kid);
    await expect(jwtVerify(before, refreshed)).rejects.toBeInstanceOf(joseErrors.JWKSNoMatchingKey);
    await expect(jwtVerify(after, refreshed)).resolves.toBeDefined();
  });
});
