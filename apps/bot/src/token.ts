// Client-credentials tokens from an identity platform's token endpoint, for the simulator: MSAL, and so
// @azure/identity, refuses an authority that is not HTTPS, and the simulator serves plain HTTP on loopback.
import type { TokenFunction } from "@graph-invite/client";

export interface ClientSecretOptions {
  /** The token endpoint, such as `{simulator}/{tenant}/oauth2/v2.0/token`. */
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

/** A token function for the invite client; the client caches each token it returns until shortly before expiry. */
export function clientSecretTokens({ tokenUrl, clientId, clientSecret }: ClientSecretOptions): TokenFunction {
  return async ({ scope }) => {
    const response = await fetch(tokenUrl, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: clientId,
        client_secret: clientSecret,
        scope,
      }),
    });
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    const token = body["access_token"];
    if (!response.ok || typeof token !== "string") {
      const reason =
        typeof body["error_description"] === "string" ? body["error_description"] : `HTTP ${response.status}`;
      throw new Error(`the token endpoint refused the credentials: ${reason}`);
    }
    const expiresIn = Number(body["expires_in"] ?? 3600);
    return { token, expiresOnTimestamp: Date.now() + (Number.isFinite(expiresIn) ? expiresIn : 3600) * 1000 };
  };
}
