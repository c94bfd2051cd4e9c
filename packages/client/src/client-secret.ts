// The OAuth 2.0 client-credentials grant with a client secret, done with `fetch` alone. `@azure/identity` needs Node's
// APIs and refuses an authority that is not https, so it works neither on a fetch runtime nor against a local identity
// platform; this covers the one flow a calling bot needs, and nothing else.
import { readBounded } from "./body.js";
import { type CloudEndpoints, clouds, type GraphCloud } from "./clouds.js";
import type { AccessToken, TokenRequest } from "./credentials.js";

/** Options of {@link clientSecretCredential}. */
export interface ClientSecretCredentialOptions {
  /** The directory (tenant) id, or a verified domain of the tenant, that the app is registered in. */
  tenantId: string;
  /** The application (client) id. */
  clientId: string;
  /** A client secret of the app registration. */
  clientSecret: string;
  /** The cloud whose identity platform issues the token. Default `"global"`. */
  cloud?: GraphCloud;
  /**
   * The identity platform's origin, instead of the cloud's (such as a simulator's URL). The token is requested from
   * `{authorityHost}/{tenantId}/oauth2/v2.0/token`.
   */
  authorityHost?: string;
  /** The scope asked for when none is given: the cloud's `.default` scope. */
  scope?: string;
  /** How long one token request may take, in milliseconds. Default 30 000. */
  timeoutMs?: number;
  /** The `fetch` that sends the token request. Default `globalThis.fetch`. */
  fetch?: (request: Request) => Promise<Response>;
}

/**
 * A client-credentials token source: a {@link TokenFunction} for `createInviteClient`'s `credential`, also callable on
 * its own (`await credential()` gets a token for the default scope).
 */
export type ClientSecretCredential = (request?: Partial<TokenRequest>) => Promise<AccessToken>;

/** The identity platform refused the request, could not be reached, or answered with something that is not a token. */
export class TokenEndpointError extends Error {
  /** `TokenEndpointError`, to tell it from other errors once it has been serialised. */
  override readonly name = "TokenEndpointError";
  /** The token endpoint that was asked. */
  readonly tokenUrl: string;
  /** The HTTP status, or `null` when no answer arrived. */
  readonly status: number | null;
  /** The OAuth error code, such as `invalid_client`. */
  readonly error: string | null;
  /** The identity platform's `AADSTS` codes, such as `7000215` for a wrong secret. */
  readonly errorCodes: readonly number[];
  /** The identity platform's `trace_id`, to quote to Microsoft support. */
  readonly traceId: string | null;
  /** The identity platform's `correlation_id`, to quote to Microsoft support. */
  readonly correlationId: string | null;

  constructor(message: string, failure: Partial<TokenEndpointFailure> & { tokenUrl: string }, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.tokenUrl = failure.tokenUrl;
    this.status = failure.status ?? null;
    this.error = failure.error ?? null;
    this.errorCodes = failure.errorCodes ?? [];
    this.traceId = failure.traceId ?? null;
    this.correlationId = failure.correlationId ?? null;
  }
}

/** What a {@link TokenEndpointError} knows about the failed token request: its fields, documented there. */
export type TokenEndpointFailure = Pick<
  TokenEndpointError,
  "tokenUrl" | "status" | "error" | "errorCodes" | "traceId" | "correlationId"
>;

const defaultTimeoutMs = 30_000;
/** The most of an answer that is read: a token response is a few kilobytes; anything larger is not one. */
const maxResponseBytes = 64 * 1024;
/** A cached token is replaced this long before it expires (or at half its life, if that is sooner). */
const refreshMarginMs = 300_000;

/** What to change, for the `AADSTS` codes a misconfigured client-credentials setup gets. */
const hints: Readonly<Record<number, string>> = {
  7000215: "check clientSecret: use the secret's value, not its id",
  7000222: "clientSecret has expired: create a new one for the app registration",
  700016: "check clientId and tenantId: the app is not registered in that tenant",
  90002: "check tenantId: no such tenant",
  900023: "check tenantId: it is not a tenant id or domain",
  1002012: "check scope: it must be a resource followed by /.default",
  500011: "check scope: the resource is not in the tenant (is the cloud right?)",
};

/**
 * A credential that gets app-only tokens from the Microsoft identity platform's token endpoint with the
 * client-credentials grant and a client secret, using nothing but `fetch`: it runs on Node, browsers' workers, Deno,
 * Bun and edge runtimes, and against a local identity platform over plain http (`authorityHost`).
 *
 * Tokens are cached per scope until five minutes before they expire (or half their life, if shorter); concurrent
 * callers share one request; `forceRefresh` (the client sets it after Graph answers 401) skips the cache. For managed
 * identities, certificates or workload identity, use `@azure/identity`.
 *
 * @throws Error at once when an option is empty or malformed, naming the option.
 */
export function clientSecretCredential(options: ClientSecretCredentialOptions): ClientSecretCredential {
  const { endpoint, defaultScope } = checkOptions(options);
  const cache = new Map<string, AccessToken>();
  const pending = new Map<string, Promise<AccessToken>>();

  return async ({ scope = defaultScope, forceRefresh = false } = {}) => {
    if (!scope.endsWith("/.default")) {
      throw new Error(
        `clientSecretCredential: scope "${scope}" must end with /.default for the client-credentials grant`,
      );
    }
    const cached = cache.get(scope);
    if (!forceRefresh && cached && Date.now() < (cached.refreshAfterTimestamp ?? cached.expiresOnTimestamp)) {
      return cached;
    }
    cache.delete(scope);
    // A fetch in flight started after the cached token was taken, so it serves a forced refresh as well.
    let shared = pending.get(scope);
    if (shared === undefined) {
      shared = requestToken(endpoint, scope)
        .then((token) => {
          cache.set(scope, token);
          return token;
        })
        .finally(() => pending.delete(scope));
      pending.set(scope, shared);
    }
    return shared;
  };
}

/** Where and how tokens are requested, from checked options. */
interface TokenEndpoint {
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly timeoutMs: number;
  readonly send: (request: Request) => Promise<Response>;
}

/** The options, checked: an empty or malformed one throws, naming it. */
function checkOptions(options: ClientSecretCredentialOptions): { endpoint: TokenEndpoint; defaultScope: string } {
  const { tenantId, clientId, clientSecret } = options;
  for (const [name, value] of Object.entries({ tenantId, clientId, clientSecret })) {
    if (typeof value !== "string" || value.trim() === "") {
      throw new Error(`clientSecretCredential: ${name} is required and must not be empty`);
    }
  }
  const endpoints = (clouds as Record<string, CloudEndpoints | undefined>)[options.cloud ?? "global"];
  if (endpoints === undefined) {
    throw new Error(`clientSecretCredential: unknown cloud "${options.cloud}": use ${Object.keys(clouds).join(", ")}`);
  }
  const tokenUrl = `${authorityOrigin(options.authorityHost ?? endpoints.authority)}/${encodeURIComponent(tenantId.trim())}/oauth2/v2.0/token`;
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw new Error("clientSecretCredential: timeoutMs must be a positive number of milliseconds");
  }
  // Called through a closure: browsers reject a `fetch` detached from its global ("Illegal invocation").
  const send = options.fetch ?? ((request: Request) => fetch(request));
  return {
    endpoint: { tokenUrl, clientId, clientSecret, timeoutMs, send },
    defaultScope: options.scope ?? endpoints.scope,
  };
}

/** One token request for `scope`; a {@link TokenEndpointError} when it fails or the answer holds no token. */
async function requestToken(endpoint: TokenEndpoint, scope: string): Promise<AccessToken> {
  const { tokenUrl, clientId, clientSecret, timeoutMs, send } = endpoint;
  const sentAt = Date.now();
  const form = new URLSearchParams({
    grant_type: "client_credentials",
    client_id: clientId,
    client_secret: clientSecret,
    scope,
  });
  let response: Response;
  try {
    response = await send(
      new Request(tokenUrl, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: form.toString(),
        signal: AbortSignal.timeout(timeoutMs),
      }),
    );
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new TokenEndpointError(`could not reach the token endpoint ${tokenUrl}: ${reason}`, { tokenUrl }, cause);
  }
  const body = await readJson(response);
  if (!response.ok) throw refusal(tokenUrl, clientId, response.status, body);
  return tokenOf(body, { tokenUrl, status: response.status, sentAt });
}

/** The token in a 2xx answer's body, and when to refresh it; a {@link TokenEndpointError} that names what is missing. */
function tokenOf(
  body: Record<string, unknown> | undefined,
  { tokenUrl, status, sentAt }: { tokenUrl: string; status: number; sentAt: number },
): AccessToken {
  const token = body?.["access_token"];
  const expiresIn = seconds(body?.["expires_in"]);
  const missing =
    body === undefined
      ? "its body is not a JSON object"
      : typeof token !== "string" || token === ""
        ? "/access_token is missing"
        : expiresIn === undefined
          ? "/expires_in is not a positive number of seconds"
          : undefined;
  if (missing !== undefined || typeof token !== "string" || expiresIn === undefined) {
    throw new TokenEndpointError(`the token endpoint ${tokenUrl} answered ${status} without a token: ${missing}`, {
      tokenUrl,
      status,
    });
  }
  // Entra tokens live at most a day; a larger lifetime is not trusted to keep a token cached longer.
  const lifetimeMs = Math.min(expiresIn, 86_400) * 1000;
  const expiresOnTimestamp = sentAt + lifetimeMs;
  const refreshIn = seconds(body?.["refresh_in"]);
  const refreshAfterTimestamp = Math.min(
    expiresOnTimestamp - Math.min(refreshMarginMs, lifetimeMs / 2),
    refreshIn === undefined ? Infinity : sentAt + refreshIn * 1000,
  );
  return { token, expiresOnTimestamp, refreshAfterTimestamp };
}

function authorityOrigin(authorityHost: string): string {
  let url: URL;
  try {
    url = new URL(authorityHost);
  } catch {
    throw new Error(`clientSecretCredential: authorityHost "${authorityHost}" is not a URL`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new Error(`clientSecretCredential: authorityHost must be an http(s) URL, not ${url.protocol}`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

/** A positive, finite number of seconds (the identity platform sends numbers; its v1 endpoint sent strings). */
function seconds(value: unknown): number | undefined {
  const number = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof number === "number" && Number.isFinite(number) && number > 0 ? number : undefined;
}

/** The body as a JSON object, reading at most {@link maxResponseBytes}; `undefined` when it is not one. */
async function readJson(response: Response): Promise<Record<string, unknown> | undefined> {
  try {
    const bytes = await readBounded(response.body, maxResponseBytes);
    if (bytes === undefined) return undefined;
    const parsed: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function refusal(
  tokenUrl: string,
  clientId: string,
  status: number,
  body: Record<string, unknown> | undefined,
): TokenEndpointError {
  const text = (key: string) => (typeof body?.[key] === "string" ? (body[key] as string) : null);
  const error = text("error");
  const codes = Array.isArray(body?.["error_codes"])
    ? (body["error_codes"] as unknown[]).filter((code): code is number => Number.isSafeInteger(code))
    : [];
  // The description starts "AADSTS<code>: ..." and goes on with trace and correlation ids: the first line is enough.
  const description = text("error_description")?.split(/\r?\n/, 1)[0]?.slice(0, 500);
  const code = codes[0] ?? Number(/^AADSTS(\d+)/.exec(description ?? "")?.[1] ?? Number.NaN);
  const hint = Number.isNaN(code) ? undefined : hints[code];
  const what =
    body === undefined
      ? "with a body that is not a JSON object"
      : `${error ?? "an error"}${description ? `: ${description}` : ""}`;
  return new TokenEndpointError(
    `the token endpoint ${tokenUrl} refused client ${clientId} (HTTP ${status}) ${what}${hint ? ` (${hint})` : ""}`,
    {
      tokenUrl,
      status,
      error,
      errorCodes: Number.isNaN(code) || codes.length > 0 ? codes : [code],
      traceId: text("trace_id"),
      correlationId: text("correlation_id"),
    },
  );
}
