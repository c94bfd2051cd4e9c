// What the identity tests share: app registrations, token requests and their OAuth errors, and an invite sent with
// a given bearer token.
import { randomUUID } from "node:crypto";
import { expect } from "vitest";
import { type AppRegistration, graphResource, type Simulator } from "../src/index.js";

export function registration(overrides: Partial<AppRegistration> = {}): AppRegistration {
  return { appId: randomUUID(), secret: `secret-${randomUUID()}`, tenantId: randomUUID(), ...overrides };
}

export interface JsonResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

export async function json(response: Response): Promise<JsonResponse> {
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

export function requestToken(
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

export function clientCredentials(app: AppRegistration): Record<string, string> {
  return {
    grant_type: "client_credentials",
    client_id: app.appId,
    client_secret: app.secret,
    scope: `${graphResource}/.default`,
  };
}

/** RFC 6749 §2.3.1: each part is form-encoded before the two are joined and base64-encoded. */
export function basicAuthorization(id: string, secret: string): string {
  const formEncode = (text: string) => new URLSearchParams({ v: text }).toString().slice(2);
  return `Basic ${Buffer.from(`${formEncode(id)}:${formEncode(secret)}`).toString("base64")}`;
}

export function expectOAuthError(response: JsonResponse, status: number, error: string, code: number): void {
  expect(response.status).toBe(status);
  expect(response.body).toMatchObject({ error, error_codes: [code] });
  expect(response.body["error_description"]).toMatch(new RegExp(`^AADSTS${code}: `));
  expect(response.body).not.toHaveProperty("access_token");
}

export async function accessToken(sim: Simulator, app: AppRegistration = sim.app): Promise<string> {
  return (await sim.credential(app)()).token;
}

export const invitation = {
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

export function invite(sim: Simulator, callId: string, headers: Record<string, string>): Promise<JsonResponse> {
  return fetch(`${sim.graphUrl}/communications/calls/${callId}/participants/invite`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(invitation),
  }).then(json);
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

export async function jwksUriOf(metadataUrl: string): Promise<URL> {
  const metadata = (await (await fetch(metadataUrl)).json()) as { jwks_uri: string };
  return new URL(metadata.jwks_uri);
}

export const identityMetadataUrl = (sim: Simulator, tenantId: string) =>
  `${sim.url}/${tenantId}/v2.0/.well-known/openid-configuration`;
