// Authenticates Graph's callback requests: a bearer JWT signed with RS256 by a key from the calling service's OpenID
// metadata, with Graph's issuer, the bot's app id as audience, a tenant claim and a valid lifetime. Microsoft's
// samples check the same things (reference/calling-bots.md).
import type { GraphCloud } from "@graph-invite/client";
import { errors, type JWTPayload, jwtVerify } from "jose";
import { callbackOpenIdConfigurationUrls, graphCallbackAlgorithms, graphCallbackIssuers } from "./constants.js";
import { KeysUnavailable, SigningKeys } from "./signing-keys.js";
import { TokenCache } from "./token-cache.js";

/** How callbacks are authenticated: the bot's app id, whose OpenID metadata to trust, and the optional checks. */
export interface CallbackAuthOptions {
  /** The bot's app id: the only audience accepted. */
  readonly appId: string;
  /** Whose OpenID metadata to use when `openIdConfigurationUrl` is not given. Default `global`. */
  readonly cloud?: GraphCloud;
  /**
   * Where the signing keys are published: the OpenID metadata whose `jwks_uri` names the key set. Default: the
   * cloud's, from `callbackOpenIdConfigurationUrls`. A simulator gives its own.
   */
  readonly openIdConfigurationUrl?: string;
  /** Accepted `iss` values. Default: `graphCallbackIssuers`. */
  readonly issuers?: readonly string[];
  /** When given, only tokens of these tenants (`tid`) are accepted; others get 403. Compared without regard to case. */
  readonly allowedTenants?: readonly string[];
  /** Leeway for `exp` and `nbf`, in seconds, for clocks that disagree. Default 300, as Microsoft's token handlers. */
  readonly clockToleranceSeconds?: number;
  /** How long the OpenID metadata is used before it is fetched again. Default 2 hours, as Microsoft's samples. */
  readonly metadataMaxAgeMs?: number;
  /** The shortest wait between two key set fetches prompted by an unknown key id. Default 30 s. */
  readonly keyRefetchCooldownMs?: number;
  /** How long a metadata or key set fetch may take. Default 5 s. */
  readonly fetchTimeoutMs?: number;
  /**
   * How many verified tokens are remembered, so that a token Graph reuses is not verified again. Each is forgotten
   * at its `exp` at the latest. Default 1000; 0 verifies every token.
   */
  readonly tokenCacheSize?: number;
}

/** Why a callback's token was refused: each is a `reason` of a refused delivery. */
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

/** What {@link CallbackAuthenticator.authenticate} decided: the tenant and claims, or the status and reason of a refusal. */
export type AuthResult =
  | { readonly ok: true; readonly tenantId: string; readonly claims: JWTPayload }
  | {
      readonly ok: false;
      /** 401 for a missing or invalid token, 403 for a tenant not allowed, 503 when the keys cannot be fetched. */
      readonly status: 401 | 403 | 503;
      readonly reason: AuthFailureReason;
      readonly message: string;
      /**
       * What was expected and what the token carried, for a claim that did not match: `wrong-audience` gives the app
       * id as `expected` and the token's `aud` as `received`; `wrong-issuer` the accepted issuers and the token's `iss`.
       */
      readonly detail?: Readonly<Record<string, unknown>>;
    };

/** Checks the `Authorization` header of a callback: made by `createCallbackAuthenticator`, or one of your own. */
export interface CallbackAuthenticator {
  /** Checks an `Authorization` header value. Never throws. */
  authenticate(authorization: string | null | undefined): Promise<AuthResult>;
}

/** A token longer than this is refused unread: Node's default limit for all headers together is 16 KiB. */
const maxTokenLength = 16 * 1024;

const bearer = /^Bearer[ \t]+([A-Za-z0-9_.~+/=-]+)[ \t]*$/i;

/**
 * An authenticator of Graph's callback tokens, with the signing keys fetched from the OpenID metadata and cached.
 *
 * @throws TypeError when `appId` is empty.
 */
export function createCallbackAuthenticator(options: CallbackAuthOptions): CallbackAuthenticator {
  const keys = new SigningKeys({
    openIdConfigurationUrl:
      options.openIdConfigurationUrl ?? callbackOpenIdConfigurationUrls[options.cloud ?? "global"],
    metadataMaxAgeMs: options.metadataMaxAgeMs ?? 2 * 60 * 60 * 1000,
    keyRefetchCooldownMs: options.keyRefetchCooldownMs ?? 30_000,
    fetchTimeoutMs: options.fetchTimeoutMs ?? 5000,
  });
  const verifyOptions = {
    issuer: [...(options.issuers ?? graphCallbackIssuers)],
    audience: options.appId,
    algorithms: [...graphCallbackAlgorithms],
    clockTolerance: options.clockToleranceSeconds ?? 300,
    requiredClaims: ["exp", "tid"],
  };
  // Tenant ids are GUIDs, which Microsoft writes in lower case but which compare without regard to case.
  const allowedTenants =
    options.allowedTenants === undefined
      ? undefined
      : new Set(options.allowedTenants.map((tenant) => tenant.toLowerCase()));
  const verified = new TokenCache<{ tenantId: string; claims: JWTPayload; kid: string | undefined }>(
    options.tokenCacheSize ?? 1000,
  );

  const verify = async (token: string): Promise<AuthResult> => {
    const cached = verified.get(token, Date.now());
    // A token whose key the metadata has since withdrawn is checked again, and so refused.
    if (cached !== undefined && keys.publishes(cached.kid) !== false) {
      return { ok: true, tenantId: cached.tenantId, claims: cached.claims };
    }
    let claims: JWTPayload;
    let kid: string | undefined;
    try {
      const result = await jwtVerify(token, keys.resolve, verifyOptions);
      claims = result.payload;
      kid = result.protectedHeader.kid;
    } catch (error) {
      return describeFailure(error, verifyOptions);
    }
    // JSON reads `1e400` as Infinity, which jose takes for a number: a token that never expires. Times are finite.
    for (const claim of ["exp", "nbf", "iat"] as const) {
      const value = claims[claim];
      if (value !== undefined && !Number.isFinite(value)) {
        return fail(401, "invalid-token", `The token's "${claim}" claim is not a finite number.`);
      }
    }
    const tenantId = claims["tid"];
    if (typeof tenantId !== "string" || tenantId === "") {
      return fail(401, "missing-tenant", 'The token\'s "tid" claim is not a tenant id.');
    }
    // jose required `exp`; the leeway lets a token through a little after it, but a cached one never outlives it.
    verified.set(token, { tenantId, claims, kid }, (claims.exp ?? 0) * 1000);
    return { ok: true, tenantId, claims };
  };

  return {
    async authenticate(authorization) {
      const token =
        authorization === null || authorization === undefined || authorization.length > maxTokenLength
          ? undefined
          : bearer.exec(authorization)?.[1];
      if (token === undefined) {
        return fail(401, "missing-token", "The request has no Authorization: Bearer token.");
      }
      const result = await verify(token);
      // Checked on every request, cached or not, so that the allow-list is the one in force.
      if (result.ok && allowedTenants !== undefined && !allowedTenants.has(result.tenantId.toLowerCase())) {
        return fail(403, "tenant-not-allowed", `Tenant ${result.tenantId} is not allowed to call this bot.`);
      }
      return result;
    },
  };
}

const fail = (
  status: 401 | 403 | 503,
  reason: AuthFailureReason,
  message: string,
  detail?: Readonly<Record<string, unknown>>,
): AuthResult => ({ ok: false, status, reason, message, ...(detail !== undefined && { detail }) });

/** A claim's value as the token carried it, cut short: it goes into logs and outcomes. */
function received(value: unknown): string {
  const text = JSON.stringify(value) ?? "nothing";
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function describeFailure(
  error: unknown,
  expected: { readonly audience: string; readonly issuer: readonly string[] },
): AuthResult {
  if (error instanceof KeysUnavailable) {
    return fail(503, "keys-unavailable", `The signing keys could not be fetched: ${error.message}`);
  }
  if (error instanceof errors.JWTExpired) return fail(401, "expired", "The token has expired.");
  if (error instanceof errors.JWTClaimValidationFailed) {
    const { claim, reason } = error;
    const payload = error.payload as Readonly<Record<string, unknown>>;
    if (claim === "iss") {
      return fail(
        401,
        "wrong-issuer",
        `The token's issuer is ${received(payload["iss"])}, not one of ${received(expected.issuer)} (auth.issuers).`,
        { expected: expected.issuer, received: payload["iss"] },
      );
    }
    if (claim === "aud") {
      return fail(
        401,
        "wrong-audience",
        `The token is for the app id ${received(payload["aud"])}, not this bot's app id ${received(expected.audience)} (auth.appId).`,
        { expected: expected.audience, received: payload["aud"] },
      );
    }
    if (claim === "tid") return fail(401, "missing-tenant", 'The token has no "tid" claim.');
    if (claim === "nbf") return fail(401, "not-yet-valid", "The token is not valid yet.");
    return fail(
      401,
      "invalid-token",
      `The token's "${claim}" claim is ${reason === "missing" ? "missing" : "invalid"}.`,
    );
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return fail(401, "algorithm-not-allowed", "The token is not signed with RS256.");
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return fail(401, "unknown-key", "The token is not signed with a key the OpenID metadata publishes.");
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return fail(401, "bad-signature", "The token's signature does not verify.");
  }
  return fail(401, "invalid-token", "The token is not a well-formed signed JWT.");
}
