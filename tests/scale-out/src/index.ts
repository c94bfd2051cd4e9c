// The scale-out world and its driver, for tests/scale-out's tests and bench/scale-out. Redis and the notification
// bodies come from @graph-invite/test-support; each instance's control API is `bot.control`, the sample bot's own
// client (@graph-invite/bot/control).
export type { BotProcess } from "./bot-process.js";
export { type DriveOptions, type DriveResult, drive, type InviteResult, type Wave, waves } from "./driver.js";
export { type ScaleOut, type ScaleOutOptions, startScaleOut } from "./harness.js";
export { type RoundRobin, startRoundRobin } from "./round-robin.js";
export { describeVerdict, judge, percentile, type Verdict } from "./verdict.js";
