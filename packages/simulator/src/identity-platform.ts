// The Microsoft identity platform's part: the OAuth 2.0 client-credentials token endpoint (tenant in the path,
// v2.0 tokens), its metadata and keys, and the check Graph makes of the bearer token on each request.
import { randomUUID } from "node:crypto";
import { errors as joseErrors } from "jose";
import { graphError, HttpError } from "./http.js";
import type { Signer } from "./keys.js";
import type { AppRegistration } from "./options.js";

/** The audience of a Graph access token, and the resource its `.default` scope names. */
export const graphResource = "https://graph.microsoft.com";
/** The application permission the invite action needs. */
export const invitePermission = "Calls.InitiateGroupCall.All";

const tokenLifetimeSeconds = 3599;

/** The identity the token endpoint vouched for. */
export interface Caller {
  readonly appId: string;
  readonly tenantId: string;
  readonly roles: readonly string[];
}

/** An error in the identity platform's shape: an OAuth error code and an `AADSTS` description. */
function oauthError(status: number, error: string, code: number, description: string): HttpError {
  return new HttpError(status, {
    error,
    error_description: `AADSTS${code}: ${description}`,
    error_codes: [code],
    timestamp: new Date().toISOString().replace("T", " ").slice(0, 19),
    trace_id: randomUUID(),
    correlation_id: randomUUID(),
  });
}

export class IdentityPlatform {
  constructor(
    /** The server's origin, known once it listens. */
    private readonly origin: () => string,
    private readonly apps: readonly AppRegistration[],
    private readonly signer: Signer,
  ) {}

  /** The keys access tokens are signed with. */
  get jwks() {
    return this.signer.jwks;
  }

  issuer(tenantId: string): string {
    return `${this.origin()}/${tenantId}/v2.0`;
  }

  tokenEndpoint(tenantId: string): string {
    return `${this.origin()}/${tenantId}/oauth2/v2.0/token`;
  }

  metadata(tenantId: string): Record<string, unknown> {
    return {
      issuer: this.issuer(tenantId),
      // OpenID discovery requires the authorization endpoint and these lists, though only client credentials work.
      authorization_endpoint: `${this.origin()}/${tenantId}/oauth2/v2.0/authorize`,
      response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
      subject_types_supported: ["pairwise"],
      token_endpoint: this.tokenEndpoint(tenantId),
      jwks_uri: `${this.origin()}/${tenantId}/discovery/v2.0/keys`,
      token_endpoint_auth_methods_supported: ["client_secret_post", "client_secret_basic"],
      grant_types_supported: ["client_credentials"],
      id_token_signing_alg_values_supported: ["RS256"],
      tenant_region_scope: "WW",
    };
  }

  /** Answers a token request (`application/x-www-form-urlencoded`), or throws the identity platform's error. */
  async token(tenantId: string, form: URLSearchParams, basic: string | undefined): Promise<Record<string, unknown>> {
    const [basicId, basicSecret] = basic === undefined ? [] : decodeBasic(basic);
    const clientId = form.get("client_id") ?? basicId;
    const secret = form.get("client_secret") ?? basicSecret;
    if (form.get("grant_type") !== "client_credentials") {
      throw oauthError(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.");
    }
    if (!clientId) throw oauthError(400, "invalid_request", 900144, "The request body must contain 'client_id'.");
    const app = this.apps.find((candidate) => candidate.appId === clientId && candidate.tenantId === tenantId);
    if (app === undefined) {
      throw oauthError(
        400,
        "unauthorized_client",
        700016,
        `Application '${clientId}' was not found in tenant '${tenantId}'.`,
      );
    }
    if (secret !== app.secret) {
      throw oauthError(401, "invalid_client", 7000215, `Invalid client secret provided for app '${clientId}'.`);
    }
    const scope = form.get("scope");
    if (scope !== `${graphResource}/.default`) {
      throw oauthError(
        400,
        "invalid_scope",
        1002012,
        `The provided value for scope ${scope ?? "(none)"} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (${graphResource}/.default).`,
      );
    }
    const accessToken = await this.signer.sign(
      {
        iss: this.issuer(tenantId),
        aud: graphResource,
        tid: tenantId,
        azp: app.appId,
        azpacr: "1",
        oid: app.appId,
        sub: app.appId,
        idtyp: "app",
        roles: [...(app.roles ?? [invitePermission])],
        ver: "2.0",
      },
      { expiresIn: tokenLifetimeSeconds },
    );
    return {
      token_type: "Bearer",
      expires_in: tokenLifetimeSeconds,
      ext_expires_in: tokenLifetimeSeconds,
      access_token: accessToken,
    };
  }

  /** Graph's check of a bearer token; throws Graph's 401 when it fails. */
  async authenticate(token: string | undefined): Promise<Caller> {
    if (token === undefined) throw unauthorized("Access token is empty.");
    let payload: Record<string, unknown>;
    try {
      payload = await this.signer.verify(token, { audience: graphResource });
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired)
        throw unauthorized("Lifetime validation failed, the token is expired.");
      throw unauthorized(`Access token validation failure: ${error instanceof Error ? error.message : String(error)}`);
    }
    const { tid, azp, roles, iss } = payload;
    if (typeof tid !== "string" || typeof azp !== "string" || iss !== this.issuer(tid)) {
      throw unauthorized("Access token validation failure: the token was not issued for a tenant by this authority.");
    }
    return {
      appId: azp,
      tenantId: tid,
      roles: Array.isArray(roles) ? roles.filter((role) => typeof role === "string") : [],
    };
  }
}

function unauthorized(message: string): HttpError {
  return new HttpError(401, graphError("InvalidAuthenticationToken", message), {
    "WWW-Authenticate": `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize"`,
  });
}

function decodeBasic(header: string): [string | undefined, string | undefined] {
  const match = /^Basic\s+(\S+)$/i.exec(header);
  if (match?.[1] === undefined) return [undefined, undefined];
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon === -1) return [undefined, undefined];
  // RFC 6749 form-encodes both parts before joining them.
  const formDecode = (part: string) => new URLSearchParams(`v=${part}`).get("v") ?? undefined;
  return [formDecode(decoded.slice(0, colon)), formDecode(decoded.slice(colon + 1))];
}
