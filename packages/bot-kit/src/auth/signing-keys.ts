// The signing keys of Graph's callback tokens, from the key set the OpenID metadata names. The metadata is kept for
// `metadataMaxAgeMs`, and used past that while a refresh fails; jose's remote key set caches the keys and fetches
// them again when a token names a key id it does not know, at most once per cooldown.
import { createRemoteJWKSet, errors, type JWTVerifyGetKey } from "jose";

type RemoteKeySet = ReturnType<typeof createRemoteJWKSet>;

/** The keys could not be had: the metadata or the key set did not answer, or answered nonsense. */
export class KeysUnavailable extends Error {
  override readonly name = "KeysUnavailable";
}

export interface SigningKeysOptions {
  readonly openIdConfigurationUrl: string;
  readonly metadataMaxAgeMs: number;
  readonly keyRefetchCooldownMs: number;
  readonly fetchTimeoutMs: number;
}

/** How long stale metadata is used after a failed refresh before the next attempt. */
const metadataRetryMs = 60_000;

export class SigningKeys {
  private metadata: { jwksUri: string; fetchedAt: number; keySet: RemoteKeySet } | undefined;
  private pending: Promise<RemoteKeySet> | undefined;
  /** After a failed refresh, stale metadata is used until then without trying again. */
  private retryAt = 0;
  /** The key ids of the key set as last seen: jose copies the whole set on each look, so it is looked at once. */
  private kids: Set<string | undefined> | undefined;

  constructor(private readonly options: SigningKeysOptions) {}

  /**
   * Whether the key set, as last fetched, still publishes the key `kid`; undefined when nothing has been fetched.
   * A key that Graph withdrew takes the tokens it signed with it.
   */
  publishes(kid: string | undefined): boolean | undefined {
    if (this.kids === undefined) {
      const keys = this.metadata?.keySet.jwks()?.keys;
      if (keys === undefined) return undefined;
      this.kids = new Set(keys.map((key) => key.kid));
    }
    return this.kids.has(kid);
  }

  readonly resolve: JWTVerifyGetKey = async (header, token) => {
    const keySet = await this.keySet();
    try {
      return await keySet(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
      throw new KeysUnavailable(error instanceof Error ? error.message : String(error));
    } finally {
      // Only here can jose have fetched the key set again.
      this.kids = undefined;
    }
  };

  private async keySet(): Promise<RemoteKeySet> {
    const current = this.metadata;
    const now = Date.now();
    if (current !== undefined && (now - current.fetchedAt < this.options.metadataMaxAgeMs || now < this.retryAt)) {
      return current.keySet;
    }
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

  private async refresh(): Promise<RemoteKeySet> {
    const { openIdConfigurationUrl, fetchTimeoutMs, keyRefetchCooldownMs } = this.options;
    let jwksUri: unknown;
    try {
      const response = await fetch(openIdConfigurationUrl, { signal: AbortSignal.timeout(fetchTimeoutMs) });
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
            timeoutDuration: fetchTimeoutMs,
            cooldownDuration: keyRefetchCooldownMs,
          });
    this.metadata = { jwksUri, fetchedAt: Date.now(), keySet };
    this.kids = undefined;
    return keySet;
  }
}
