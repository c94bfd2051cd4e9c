/**
 * For tests and benchmarks, not for building a bot: the roster functions the bot applies participants notifications
 * with, and what a `RedisStore` does not publish (its origin and the commands it has sent). A bot needs none of them;
 * they may change with any minor version.
 *
 * @packageDocumentation
 */

export { redisStoreInstruments } from "./redis/store.js";
export type { RedisStoreInstruments } from "./redis/store-options.js";
export {
  applyRosterNotification,
  applyRosterNotifications,
  emptyRoster,
  endRoster,
  participantKey,
} from "./roster.js";
