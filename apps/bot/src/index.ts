/**
 * The sample calling bot's wiring, for its CLI, its demo and the benches: settings, and a running bot (with a
 * simulator in simulator mode) built on `@graph-invite/bot-kit`.
 *
 * @packageDocumentation
 */
export { type BotConfig, ConfigError, loadConfig } from "./config.js";
export type { ControlStats, InviteCommand, RosterEventEntry } from "./control.js";
export { type Runtime, startRuntime } from "./runtime.js";
