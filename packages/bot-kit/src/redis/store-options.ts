// What a RedisStore is given, and what it hands back of other instances' unfinished work.
import type { RetentionOverrides } from "../retention.js";
import type { AnyRedisConnection } from "./connection.js";

/** Options of {@link RedisStore}: the connected client, the key prefix, and the retention. */
export interface RedisStoreOptions {
  /**
   * A connected node-redis client: `createClient({ url })` for one server, or `createCluster({ rootNodes })` for Redis
   * Cluster (then `await client.connect()`). The store does not close it; it opens one more connection, with
   * `duplicate()`, while anyone watches its changes.
   */
  readonly client: AnyRedisConnection;
  /**
   * Put before every key, so that several bots (or other data) can share a database; the store puts it in braces,
   * as a hash tag, so that on Redis Cluster all of its keys are in one slot (no braces in it, then). Default
   * `graph-invite:`.
   */
  readonly prefix?: string;
  /** Overrides of the default retention, kind by kind and field by field: the same figures as MemoryStore's. */
  readonly retention?: RetentionOverrides;
  /**
   * How many changes each instance's inbox keeps, at most 64 (see `inboxBytes`). An instance that loses its connection
   * for longer than it takes the others to write this many changes it follows reads the store again instead, as it
   * does after any reconnect. Default 64.
   */
  readonly feedLength?: number;
  /**
   * The most bytes an instance's inbox holds: it keeps at most `feedLength` changes of at most a 64th of this each; a
   * roster change broadcast with more is sent as a note that it was too large (`tooLarge`), and its events are not.
   * Default 4 MiB.
   */
  readonly inboxBytes?: number;
  /** How long one read of the inbox blocks before it is sent again. Default 5 000 ms. */
  readonly feedBlockMs?: number;
  /**
   * How long a command is tried again when the connection fails under it (a Redis restart, a failover), while the
   * client reconnects. Every write is a compare-and-set and every claim carries a token, so sending one again is
   * safe. Default 15 000 ms.
   */
  readonly retryForMs?: number;
  /**
   * How long an instance counts as alive after its last sign of life; it gives one every third of this while its
   * bot follows the store. A delivery claimed by an instance that is no longer alive is taken over by another.
   * Default 3 000 ms.
   */
  readonly heartbeatMs?: number;
}

/** A delivery another instance claimed and did not finish: its key and its body as received. */
export interface UnfinishedDelivery {
  /** The key the delivery was claimed by (`message:` and Graph's message id): what `finishDelivery` takes. */
  readonly key: string;
  /** The delivery's body as received (authenticated when it was claimed), as UTF-8 text, to be processed again. */
  readonly body: string;
}

/** What a RedisStore does not publish, for tests and benchmarks: see `redisStoreInstruments` of `@graph-invite/bot-kit/testing`. */
export interface RedisStoreInstruments {
  /** The id that marks the feed entries written through this handle, and names its inbox. */
  readonly origin: string;
  /**
   * Commands sent through this handle, each a round trip to Redis, retries included; the change feed's blocking
   * reads, on a connection of their own, are not counted.
   */
  readonly commandsSent: number;
}
