// Graph signs one token and reuses it for many deliveries, and checking an RS256 signature is the largest part of
// receiving a notification. A token that verified is remembered, keyed by the whole token (so a token that differs
// in any byte is checked afresh), until its own `exp` at the latest, and only up to a number of tokens.

export interface CachedToken<T> {
  readonly value: T;
  /** Epoch milliseconds after which the entry is not used. */
  readonly until: number;
}

export class TokenCache<T> {
  // A Map iterates in insertion order, so its first key is the oldest: a bounded cache evicts from the front.
  private readonly entries = new Map<string, CachedToken<T>>();

  constructor(private readonly maxEntries: number) {}

  get(token: string, now: number): T | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    if (now >= entry.until) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.value;
  }

  /** Remembers a token; with a size of 0 (or less), the eviction below forgets it at once. */
  set(token: string, value: T, until: number): void {
    this.entries.delete(token);
    this.entries.set(token, { value, until });
    // A Map may lose the key it is visiting: the loop goes on to the next oldest.
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
    }
  }
}
