/**
 * For tests and benchmarks, not for building a bot: the roster functions the bot applies participants notifications
 * with, and what a `RedisStore` does not publish (its origin and the commands it has sent). A bot needs none of them;
 * they may change with any minor version.
 *
 * @packageDocumentation
 */

// The types this entry's signatures name, from the entry points that own them, so that its API is whole on its own:
// api-extractor reads each entry point apart.
export type {
  BotStore,
  CallStateEvent,
  InviteStatus,
  OperationEvent,
  OperationRecord,
  Retention,
  RetentionOverrides,
  RosterChange,
  RosterEvent,
  RosterMember,
  RosterRetention,
  RosterState,
  StoreChange,
  StoreRetention,
  UnmatchedNotification,
  UnmatchedRetention,
} from "./index.js";
export type {
  AnyRedisConnection,
  Connectable,
  RedisClusterConnection,
  RedisConnection,
  RedisStore,
  RedisStoreOptions,
  UnfinishedDelivery,
} from "./redis/index.js";
export { redisStoreInstruments } from "./redis/store.js";
export type { RedisStoreInstruments } from "./redis/store-options.js";
export {
  applyRosterNotification,
  applyRosterNotifications,
  emptyRoster,
  endRoster,
  participantKey,
} from "./roster.js";
