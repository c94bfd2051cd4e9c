// How long a store keeps each kind of state, and how much of it: the same figures for every store, so that moving a
// bot from memory to Redis keeps its bounds.

/** How long one kind of record is kept after its last change, and how many at most. */
export interface Retention {
  /** Entries older than this (since their last change) are forgotten. */
  readonly maxAgeMs: number;
  /** The most entries kept; the least recently changed go first. */
  readonly maxCount: number;
}

/** How long unmatched notifications and refused bodies are kept, how many, and how many bytes in all. */
export interface UnmatchedRetention extends Retention {
  /** The most bytes of notifications and refused bodies kept, as JSON or text. */
  readonly maxBytes: number;
}

/** How long and how many call rosters a store keeps, and how many bytes of them. */
export interface RosterRetention extends Retention {
  /**
   * The most bytes of rosters kept, as JSON: the least recently changed go first, never the one being written. A
   * roster of a large meeting can be megabytes; the count alone would let ten thousand of them fill a server.
   */
  readonly maxBytes: number;
}

/** A store's retention, per kind of record. */
export interface StoreRetention {
  /** Delivery message ids, for duplicate detection. Graph delivers again within minutes, not hours. */
  readonly deliveries: Retention;
  /** Invite records. One still waiting for its outcome is not forgotten for count, only for age. */
  readonly operations: Retention;
  /** Call rosters. */
  readonly rosters: RosterRetention;
  /** Notifications that matched nothing, and refused deliveries' bodies. */
  readonly unmatched: UnmatchedRetention;
}

const hour = 60 * 60 * 1000;

/** What a store keeps by default: {@link MemoryStore} and the Redis store alike. */
export const defaultRetention: StoreRetention = {
  deliveries: { maxAgeMs: hour, maxCount: 10_000 },
  operations: { maxAgeMs: 24 * hour, maxCount: 10_000 },
  rosters: { maxAgeMs: 24 * hour, maxCount: 10_000, maxBytes: 256 * 1024 * 1024 },
  unmatched: { maxAgeMs: 24 * hour, maxCount: 1_000, maxBytes: 16 * 1024 * 1024 },
};

/** Overrides of `defaultRetention`, kind by kind and field by field. */
export type RetentionOverrides = { readonly [K in keyof StoreRetention]?: Partial<StoreRetention[K]> };

/** The default retention with `overrides` applied. */
export function retentionWith(overrides: RetentionOverrides = {}): StoreRetention {
  return {
    deliveries: { ...defaultRetention.deliveries, ...overrides.deliveries },
    operations: { ...defaultRetention.operations, ...overrides.operations },
    rosters: { ...defaultRetention.rosters, ...overrides.rosters },
    unmatched: { ...defaultRetention.unmatched, ...overrides.unmatched },
  };
}
