// Authenticates Graph's notification requests: a bearer JWT signed with a key from the calling service's OpenID
// metadata (Graph's is https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration), with Graph's issuer, the bot's
// app id as audience, a tenant claim and a valid lifetime. Microsoft's samples check the same things.
import { createRemoteJWKSet, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from "jose";

/** The two issuers Graph's notification tokens carry. */
export const graphNotificationIssuers = ["https://api.botframework.com", "https://graph.microsoft.com"] as const;

export interface NotificationAuthOptions {
  /** The bot's app id: the only audience accepted. */
  readonly appId: string;
  /** Where the signing keys are published: the OpenID metadata whose `jwks_uri` names the key set. */
  readonly openIdConfigurationUrl: string;
  /** Accepted `iss` values. Default: {@link graphNotificationIssuers}. */
  readonly issuers?: readonly string[];
  /** Accepted signature algorithms. Default `RS256`, the only one Graph uses. */
  readonly algorithms?: readonly string[];
  /** When given, only tokens of these tenants (`tid`) are accepted; others get 403. */
  readonly allowedTenants?: readonly string[];
  /** Leeway for `exp` and `nbf`, in seconds, for clocks that disagree. Default 300, as Microsoft's token handlers. */
  readonly clockToleranceSeconds?: number;
  /** How long the OpenID metadata is used before it is fetched again. Default 2 hours, as Microsoft's samples. */
  readonly metadataMaxAgeMs?: number;
  /** The shortest wait between two key set fetches prompted by an unknown key id. Default 30 s. */
  readonly keyRefetchCooldownMs?: number;
  /** How long a metadata or key set fetch may take. Default 5 s. */
  readonly fetchTimeoutMs?: number;
}

export type AuthFailureReason =
  | "missing-token"
  | "invalid-token"
  | "algorithm-not-allowed"
  | "unknown-key"
  | "bad-signature"
  | "expired"
  | "not-yet-valid"
  | "wrong-issuer"
  | "wrong-audience"
  | "missing-tenant"
  | "tenant-not-allowed"
  | "keys-unavailable";

export type AuthResult =
  | { readonly ok: true; readonly tenantId: string; readonly claims: JWTPayload }
  | {
      readonly ok: false;
      /** 401 for a missing or invalid token, 403 for a tenant not allowed, 503 when the keys cannot be fetched. */
      readonly status: 401 | 403 | 503;
      readonly reason: AuthFailureReason;
      readonly message: string;
    };

export interface NotificationAuthenticator {
  /** Checks an `Authorization` header value. Never throws. */
  authenticate(authorization: string | undefined): Promise<AuthResult>;
}

class KeysUnavailable extends Error {}

/** How long stale metadata is used after a failed refresh before the next attempt. */
const metadataRetryMs = 60_000;

export function createNotificationAuthenticator(options: NotificationAuthOptions): NotificationAuthenticator {
  const keys = new SigningKeys(options);
  const issuers = [...(options.issuers ?? graphNotificationIssuers)];
  const algorithms = [...(options.algorithms ?? ["RS256"])];
  // Tenant ids are GUIDs, which Microsoft writes in lower case but which compare without regard to case.
  const allowedTenants =
    options.allowedTenants === undefined
      ? undefined
      : new Set(options.allowedTenants.map((tenant) => tenant.toLowerCase()));
  const clockTolerance = options.clockToleranceSeconds ?? 300;

  return {
    async authenticate(authorization) {
      const token = /^Bearer[ \t]+([A-Za-z0-9_.~+/=-]+)[ \t]*$/i.exec(authorization ?? "")?.[1];
      if (token === undefined) {
        return fail(401, "missing-token", "The request has no Authorization: Bearer token.");
      }
      let claims: JWTPayload;
      try {
        ({ payload: claims } = await jwtVerify(token, keys.resolve, {
          issuer: issuers,
          audience: options.appId,
          algorithms,
          clockTolerance,
          requiredClaims: ["exp", "tid"],
        }));
      } catch (error) {
        return describeFailure(error);
      }
      const tenantId = claims["tid"];
      if (typeof tenantId !== "string" || tenantId === "") {
        return fail(401, "missing-tenant", 'The token\'s "tid" claim is not a tenant id.');
      }
      if (allowedTenants !== undefined && !allowedTenants.has(tenantId.toLowerCase())) {
        return fail(403, "tenant-not-allowed", `Tenant ${tenantId} is not allowed to call this bot.`);
      }
      return { ok: true, tenantId, claims };
    },
  };
}

const fail = (status: 401 | 403 | 503, reason: AuthFailureReason, message: string): AuthResult => ({
  ok: false,
  status,
  reason,
  message,
});

function describeFailure(error: unknown): AuthResult {
  if (error instanceof KeysUnavailable) {
    return fail(503, "keys-unavailable", `The signing keys could not be fetched: ${error.message}`);
  }
  if (error instanceof errors.JWTExpired) return fail(401, "expired", "The token has expired.");
  if (error instanceof errors.JWTClaimValidationFailed) {
    const { claim, reason } = error;
    if (claim === "iss") return fail(401, "wrong-issuer", "The token's issuer is not Graph's.");
    if (claim === "aud") return fail(401, "wrong-audience", "The token is not for this bot's app id.");
    if (claim === "tid") return fail(401, "missing-tenant", 'The token has no "tid" claim.');
    if (claim === "nbf") return fail(401, "not-yet-valid", "The token is not valid yet.");
    return fail(
      401,
      "invalid-token",
      `The token's "${claim}" claim is ${reason === "missing" ? "missing" : "invalid"}.`,
    );
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return fail(401, "algorithm-not-allowed", "The token is not signed with an accepted algorithm.");
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return fail(401, "unknown-key", "The token is not signed with a key the OpenID metadata publishes.");
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return fail(401, "bad-signature", "The token's signature does not verify.");
  }
  return fail(401, "invalid-token", "The token is not a well-formed signed JWT.");
}

/**
 * The signing keys, from the key set the OpenID metadata names. The metadata is kept for `metadataMaxAgeMs`; jose's
 * remote key set caches the keys and fetches them again when a token names a key id it does not know.
 */
class SigningKeys {
  private metadata: { jwksUri: string; fetchedAt: number; keySet: JWTVerifyGetKey } | undefined;
  private pending: Promise<JWTVerifyGetKey> | undefined;
  /** After a failed refresh, stale metadata is used until then without trying again. */
  private retryAt = 0;

  constructor(private readonly options: NotificationAuthOptions) {}

  readonly resolve: JWTVerifyGetKey = async (header, token) => {
    const keySet = await this.keySet();
    try {
      return await keySet(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
      throw new KeysUnavailable(error instanceof Error ? error.message : String(error));
    }
  };

  private async keySet(): Promise<JWTVerifyGetKey> {
    const maxAge = this.options.metadataMaxAgeMs ?? 2 * 60 * 60 * 1000;
    const current = this.metadata;
    const now = Date.now();
    if (current !== undefined && (now - current.fetchedAt < maxAge || now < this.retryAt)) return current.keySet;
    // One fetch at a time, however many notifications arrive while it runs.
    this.pending ??= this.refresh().finally(() => {
      this.pending = undefined;
    });
    try {
      return await this.pending;
    } catch (error) {
      // Stale metadata is better than none: Graph's keys change rarely, and an outage of the metadata endpoint
      // should not make the bot refuse every notification, nor hold each one for a fetch that times out.
      if (current !== undefined) {
        this.retryAt = Date.now() + metadataRetryMs;
        return current.keySet;
      }
      throw error;
    }
  }

  private async refresh(): Promise<JWTVerifyGetKey> {
    const timeout = this.options.fetchTimeoutMs ?? 5000;
    let jwksUri: unknown;
    try {
      const response = await fetch(this.options.openIdConfigurationUrl, { signal: AbortSignal.timeout(timeout) });
      if (!response.ok) throw new Error(`the OpenID metadata answered HTTP ${response.status}`);
      jwksUri = ((await response.json()) as { jwks_uri?: unknown }).jwks_uri;
    } catch (error) {
      throw new KeysUnavailable(error instanceof Error ? error.message : String(error));
    }
    if (typeof jwksUri !== "string" || !URL.canParse(jwksUri)) {
      throw new KeysUnavailable("the OpenID metadata has no jwks_uri");
    }
    const keySet =
      this.metadata?.jwksUri === jwksUri
        ? this.metadata.keySet
        : createRemoteJWKSet(new URL(jwksUri), {
            timeoutDuration: timeout,
            cooldownDuration: this.options.keyRefetchCooldownMs ?? 30_000,
          });
    this.metadata = { jwksUri, fetchedAt: Date.now(), keySet };
    return keySet;
  }
}
