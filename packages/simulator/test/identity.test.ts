// The identity platform's side of the simulator: the client-credentials token endpoint and its errors, the tokens'
// claims and keys, Graph's check of the bearer token on the invite action, and the calling service's separate key
// for notifications. Everything goes over loopback HTTP with real signed tokens.
import { randomUUID } from "node:crypto";
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { type AppRegistration, graphResource, invitePermission, type Simulator } from "../src/index.js";
import { lifecycle } from "./harness.js";

const { simulator, callback, sharedSimulator } = lifecycle();

function registration(overrides: Partial<AppRegistration> = {}): AppRegistration {
  return { appId: randomUUID(), secret: `secret-${randomUUID()}`, tenantId: randomUUID(), ...overrides };
}

interface JsonResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

async function json(response: Response): Promise<JsonResponse> {
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

function requestToken(
  url: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<JsonResponse> {
  return fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(fields),
  }).then(json);
}

function clientCredentials(app: AppRegistration): Record<string, string> {
  return {
    grant_type: "client_credentials",
    client_id: app.appId,
    client_secret: app.secret,
    scope: `${graphResource}/.default`,
  };
}

/** RFC 6749 §2.3.1: each part is form-encoded before the two are joined and base64-encoded. */
function basicAuthorization(id: string, secret: string): string {
  const formEncode = (text: string) => new URLSearchParams({ v: text }).toString().slice(2);
  return `Basic ${Buffer.from(`${formEncode(id)}:${formEncode(secret)}`).toString("base64")}`;
}

function expectOAuthError(response: JsonResponse, status: number, error: string, code: number): void {
  expect(response.status).toBe(status);
  expect(response.body).toMatchObject({ error, error_codes: [code] });
  expect(response.body["error_description"]).toMatch(new RegExp(`^AADSTS${code}: `));
  expect(response.body).not.toHaveProperty("access_token");
}

async function accessToken(sim: Simulator, app: AppRegistration = sim.app): Promise<string> {
  return (await sim.credential(app)()).token;
}

const invitation = {
  participants: [
    {
      "@odata.type": "#microsoft.graph.invitationParticipantInfo",
      identity: {
        "@odata.type": "#microsoft.graph.identitySet",
        user: { "@odata.type": "#microsoft.graph.identity", id: randomUUID(), displayName: "Invitee" },
      },
    },
  ],
  clientContext: randomUUID(),
};

function invite(sim: Simulator, callId: string, headers: Record<string, string>): Promise<JsonResponse> {
  return fetch(`${sim.graphUrl}/communications/calls/${callId}/participants/invite`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(invitation),
  }).then(json);
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

async function jwksUriOf(metadataUrl: string): Promise<URL> {
  const metadata = (await (await fetch(metadataUrl)).json()) as { jwks_uri: string };
  return new URL(metadata.jwks_uri);
}

const identityMetadataUrl = (sim: Simulator, tenantId: string) =>
  `${sim.url}/${tenantId}/v2.0/.well-known/openid-configuration`;

describe("the token endpoint", () => {
  // Characters that mean something in a form or in Basic's id:secret, so that decoding in the wrong order shows.
  const awkward = registration({ secret: "a+b&c=d%e:f ~g" });
  const sim = sharedSimulator({ apps: [registration(), awkward] });
  const scopeOnly = { grant_type: "client_credentials", scope: `${graphResource}/.default` };

  it("issues a bearer token for client_secret_post", async () => {
    const response = await requestToken(sim().tokenUrl(), clientCredentials(sim().app));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(response.body).toMatchObject({ token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599 });
    expect(response.body["access_token"]).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    // RFC 6749 (5.1): no cache may keep a token.
    expect(response.headers.get("cache-control")).toBe("no-store");
  });

  it("issues a token for HTTP Basic, with form-encoded parts", async () => {
    const response = await requestToken(sim().tokenUrl(awkward.tenantId), scopeOnly, {
      Authorization: basicAuthorization(awkward.appId, awkward.secret),
    });
    expect(response.status).toBe(200);
    expect(decodeJwt(response.body["access_token"] as string)["azp"]).toBe(awkward.appId);
  });

  it("answers a wrong secret with 401 invalid_client, over either method", async () => {
    const posted = await requestToken(sim().tokenUrl(), { ...clientCredentials(sim().app), client_secret: "wrong" });
    expectOAuthError(posted, 401, "invalid_client", 7000215);
    const basic = await requestToken(sim().tokenUrl(), scopeOnly, {
      Authorization: basicAuthorization(sim().app.appId, "wrong"),
    });
    expectOAuthError(basic, 401, "invalid_client", 7000215);
  });

  it("answers a missing secret with 401 invalid_client", async () => {
    const { client_secret: _, ...withoutSecret } = clientCredentials(sim().app);
    expectOAuthError(await requestToken(sim().tokenUrl(), withoutSecret), 401, "invalid_client", 7000215);
  });

  it("answers an unknown app with 400 unauthorized_client", async () => {
    const response = await requestToken(sim().tokenUrl(), {
      ...clientCredentials(sim().app),
      client_id: randomUUID(),
    });
    expectOAuthError(response, 400, "unauthorized_client", 700016);
  });

  it("answers an app asking another tenant with 400 unauthorized_client", async () => {
    const otherTenant = randomUUID();
    const response = await requestToken(sim().tokenUrl(otherTenant), clientCredentials(sim().app));
    expectOAuthError(response, 400, "unauthorized_client", 700016);
    expect(response.body["error_description"]).toContain(otherTenant);
  });

  it("answers an app asking the tenant of another app with 400 unauthorized_client", async () => {
    const response = await requestToken(sim().tokenUrl(awkward.tenantId), clientCredentials(sim().app));
    expectOAuthError(response, 400, "unauthorized_client", 700016);
  });

  it.each([
    ["another resource", "https://management.azure.com/.default"],
    ["a delegated permission", `${graphResource}/Calls.InitiateGroupCall.All`],
    ["the resource without /.default", graphResource],
  ])("answers a scope of %s with 400 invalid_scope", async (_, scope) => {
    const response = await requestToken(sim().tokenUrl(), { ...clientCredentials(sim().app), scope });
    expectOAuthError(response, 400, "invalid_scope", 1002012);
  });

  it("answers a missing scope with 400 invalid_scope", async () => {
    const { scope: _, ...withoutScope } = clientCredentials(sim().app);
    expectOAuthError(await requestToken(sim().tokenUrl(), withoutScope), 400, "invalid_scope", 1002012);
  });

  it.each(["password", "authorization_code", ""])(
    "answers grant_type %j with unsupported_grant_type",
    async (grant) => {
      const response = await requestToken(sim().tokenUrl(), { ...clientCredentials(sim().app), grant_type: grant });
      expectOAuthError(response, 400, "unsupported_grant_type", 70003);
    },
  );

  it("answers a request without client_id with 400 invalid_request", async () => {
    const { client_id: _, ...withoutId } = clientCredentials(sim().app);
    expectOAuthError(await requestToken(sim().tokenUrl(), withoutId), 400, "invalid_request", 900144);
  });

  it.each([
    ["application/json", (fields: Record<string, string>) => JSON.stringify(fields)],
    ["text/plain", (fields: Record<string, string>) => new URLSearchParams(fields).toString()],
  ])("refuses a %s body with 400 invalid_request", async (contentType, encode) => {
    const response = await fetch(sim().tokenUrl(), {
      method: "POST",
      headers: { "Content-Type": contentType },
      body: encode(clientCredentials(sim().app)),
    }).then(json);
    expect(response.status).toBe(400);
    expect(response.body["error"]).toBe("invalid_request");
    expect(response.body["error_description"]).toMatch(/^AADSTS900144: .*x-www-form-urlencoded/);
  });

  it("takes a form content type with a charset", async () => {
    const response = await fetch(sim().tokenUrl(), {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded; charset=utf-8" },
      body: new URLSearchParams(clientCredentials(sim().app)).toString(),
    });
    expect(response.status).toBe(200);
  });
});

describe("the access token", () => {
  const first = registration();
  const second = registration({ roles: ["Calls.JoinGroupCall.All"] });
  const sim = sharedSimulator({ apps: [first, second] });

  it("is a v2.0 token for Graph, issued by the app's tenant, with the app's roles", async () => {
    const before = Math.floor(Date.now() / 1000);
    const claims = decodeJwt(await accessToken(sim()));
    expect(claims).toMatchObject({
      ver: "2.0",
      iss: `${sim().url}/${first.tenantId}/v2.0`,
      aud: graphResource,
      tid: first.tenantId,
      azp: first.appId,
      idtyp: "app",
      roles: [invitePermission],
    });
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(3599);
  });

  it("is signed with RS256 under the kid the tenant's key set publishes", async () => {
    const header = decodeProtectedHeader(await accessToken(sim()));
    expect(header).toMatchObject({ alg: "RS256", typ: "JWT" });
    const jwksUri = await jwksUriOf(identityMetadataUrl(sim(), first.tenantId));
    const jwks = (await (await fetch(jwksUri)).json()) as { keys: Array<{ kid: string; kty: string; alg: string }> };
    expect(jwks.keys).toEqual([expect.objectContaining({ kid: header.kid, kty: "RSA", alg: "RS256" })]);
    expect(jwks.keys[0]).not.toHaveProperty("d");
  });

  it("publishes metadata that names this tenant's issuer and token endpoint", async () => {
    const response = await fetch(identityMetadataUrl(sim(), second.tenantId)).then(json);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      issuer: `${sim().url}/${second.tenantId}/v2.0`,
      token_endpoint: sim().tokenUrl(second.tenantId),
      grant_types_supported: ["client_credentials"],
    });
  });

  it("verifies against the key set the metadata points to, for each tenant's issuer", async () => {
    for (const app of [first, second]) {
      const issuer = `${sim().url}/${app.tenantId}/v2.0`;
      const keys = createRemoteJWKSet(await jwksUriOf(identityMetadataUrl(sim(), app.tenantId)));
      const { payload } = await jwtVerify(await accessToken(sim(), app), keys, { issuer, audience: graphResource });
      expect(payload["roles"]).toEqual(app.roles ?? [invitePermission]);
    }
  });

  it("does not verify for another tenant's issuer", async () => {
    const keys = createRemoteJWKSet(await jwksUriOf(identityMetadataUrl(sim(), second.tenantId)));
    await expect(
      jwtVerify(await accessToken(sim(), first), keys, {
        issuer: `${sim().url}/${second.tenantId}/v2.0`,
        audience: graphResource,
      }),
    ).rejects.toBeInstanceOf(joseErrors.JWTClaimValidationFailed);
  });
});

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
