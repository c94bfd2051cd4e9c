/**
 * A store for a bot that runs as several instances: `new RedisStore({ client })` over a node-redis client. Every
 * write is a compare-and-set, and every instance hears of the others' changes, so that an invite's outcome reaches
 * whichever instance waits on it. Needs the `redis` package (node-redis 6), an optional peer dependency.
 *
 * @packageDocumentation
 */

// The main entry's types that this entry's signatures name (the store interface RedisStore implements, and what it
// keeps), so that its API is whole on its own: api-extractor reads each entry point apart, and a user needs no other
// import to write them down.
export type {
  BotStore,
  CallStateEvent,
  InviteStatus,
  OperationEvent,
  OperationRecord,
  Retention,
  RetentionOverrides,
  RosterEvent,
  RosterMember,
  RosterRetention,
  RosterState,
  StoreChange,
  StoreRetention,
  UnmatchedNotification,
  UnmatchedRetention,
} from "../index.js";
export type { Connectable } from "./connection.js";
export {
  type AnyRedisConnection,
  type RedisClusterConnection,
  type RedisConnection,
  RedisStore,
} from "./store.js";
export type { RedisStoreOptions, UnfinishedDelivery } from "./store-options.js";
