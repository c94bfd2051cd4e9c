/**
 * A store for a bot that runs as several instances: `new RedisStore({ client })` over a node-redis client. Every
 * write is a compare-and-set, and every instance hears of the others' changes, so that an invite's outcome reaches
 * whichever instance waits on it. Needs the `redis` package (node-redis 6), an optional peer dependency.
 *
 * @packageDocumentation
 */
export {
  type AnyRedisConnection,
  type RedisClusterConnection,
  type RedisConnection,
  RedisStore,
} from "./store.js";
export type { RedisStoreOptions, UnfinishedDelivery } from "./store-options.js";
