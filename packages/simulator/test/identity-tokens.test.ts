// The identity platform's side of the simulator: the client-credentials token endpoint and its errors, and the
// tokens' claims and keys. Everything goes over loopback HTTP with real signed tokens.

import { randomUUID } from "node:crypto";
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { graphResource, invitePermission } from "../src/index.js";
import { lifecycle } from "./harness.js";
import {
  accessToken,
  basicAuthorization,
  clientCredentials,
  expectOAuthError,
  identityMetadataUrl,
  json,
  jwksUriOf,
  registration,
  requestToken,
} from "./identity-requests.js";

const { sharedSimulator } = lifecycle();

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
