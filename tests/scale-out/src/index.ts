// The scale-out world and its driver, for tests/scale-out's tests and bench/scale-out.
export { deltaRosterBody } from "../../../test-support/notifications.js";
export {
  type RedisCluster,
  type RedisServer,
  type StartRedisOptions,
  skipRedisTests,
  startRedis,
  startRedisCluster,
} from "../../../test-support/redis.js";
export type { BotProcess } from "./bot-process.js";
export { stats } from "./control-client.js";
export { type DriveOptions, type DriveResult, drive, type InviteResult, type Wave, waves } from "./driver.js";
export { type ScaleOut, type ScaleOutOptions, startScaleOut } from "./harness.js";
export { type RoundRobin, startRoundRobin } from "./round-robin.js";
export { describeVerdict, judge, percentile, type Verdict } from "./verdict.js";
