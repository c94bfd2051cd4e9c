import { abortable } from "./abort.js";

/** A bearer token and when it expires (the `AccessToken` of `@azure/core-auth`). */
export interface AccessToken {
  /** The bearer token. */
  token: string;
  /** When the token expires, in milliseconds since the epoch. */
  expiresOnTimestamp: number;
  /** When the issuer suggests fetching a new one, in milliseconds since the epoch. */
  refreshAfterTimestamp?: number;
}

/** The options this client passes to {@link TokenCredential.getToken}. */
export interface GetTokenOptions {
  /** Cancels the token request. */
  abortSignal?: AbortSignal;
}

/**
 * The `TokenCredential` shape of `@azure/core-auth`, declared structurally so that `@azure/identity` credentials such
 * as `ClientSecretCredential` plug in as they are, without this package depending on the Azure SDK.
 */
export interface TokenCredential {
  /** Returns a token for the scopes, or `null` when none can be had. */
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null>;
}

/** What a {@link TokenFunction} is asked for. */
export interface TokenRequest {
  /** The `.default` scope of the cloud, such as `https://graph.microsoft.com/.default`. */
  scope: string;
  /** `true` when Graph rejected the previous token with 401, so a cached token must not be returned. */
  forceRefresh: boolean;
}

/**
 * A plain async token source. Return an {@link AccessToken} to let the client cache it until shortly before it
 * expires; a bare string is used for one request only, so the function should cache it itself.
 */
export type TokenFunction = (request: TokenRequest) => Promise<string | AccessToken | null>;

/** Either kind of credential the client accepts. */
export type Credential = TokenCredential | TokenFunction;

/** How long before expiry a cached token is replaced, so that it does not expire on the way to Graph. */
const expiryMarginMs = 120_000;

/** A per-client cache of bearer tokens. */
export interface TokenSource {
  /** A valid token; concurrent callers share one fetch from the credential. */
  get(signal: AbortSignal): Promise<string>;
  /** Forgets `token` (Graph rejected it), unless a newer one has already replaced it. */
  invalidate(token: string): void;
}

/** Caches the tokens of `credential` for `scope`, as {@link TokenSource} describes. */
export function createTokenSource(credential: Credential, scope: string): TokenSource {
  let cached: AccessToken | undefined;
  let pending: Promise<string> | undefined;
  let forceRefresh = false;

  const fetchToken = async (): Promise<string> => {
    const force = forceRefresh;
    forceRefresh = false;
    const got =
      typeof credential === "function"
        ? await credential({ scope, forceRefresh: force })
        : await credential.getToken([scope]);
    if (!got) {
      throw new Error(`the credential returned no token for ${scope}`);
    }
    cached = typeof got === "string" ? undefined : got;
    return typeof got === "string" ? got : got.token;
  };

  return {
    get(signal) {
      if (
        cached &&
        Date.now() < Math.min(cached.refreshAfterTimestamp ?? Infinity, cached.expiresOnTimestamp - expiryMarginMs)
      ) {
        return Promise.resolve(cached.token);
      }
      // The fetch is shared, so it is not tied to one caller's signal: an abort only stops that caller's wait.
      pending ??= fetchToken().finally(() => {
        pending = undefined;
      });
      return abortable(pending, signal);
    },
    invalidate(token) {
      if (!cached || cached.token === token) {
        cached = undefined;
        forceRefresh = true;
      }
    },
  };
}
