// Small pieces of how the Redis store talks to Redis: retrying a command over a failing connection, reading replies,
// and the figures its keys are written with.
import { randomBytes } from "node:crypto";
import { doublingDelayMs } from "@graph-invite/client/backoff";
import type { UnmatchedNotification } from "../bot-store.js";
import { sharedTelemetry } from "../telemetry.js";
import { text } from "./connection.js";
import { retryable } from "./errors.js";

/** Sends the command again, with a growing pause, while its failure is the connection's and time remains. */
export async function retried<T>(command: () => Promise<T>, forMs: number): Promise<T> {
  const giveUpAt = Date.now() + forMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await command();
    } catch (error) {
      if (!retryable(error) || Date.now() >= giveUpAt) throw error;
      sharedTelemetry().redisRetry();
      // At most a quarter of a second apart, as the feed reader: waiters depend on the store being back in use.
      await new Promise((resolve) => setTimeout(resolve, doublingDelayMs(attempt, 25, 250)));
    }
  }
}

export function parsed<T>(reply: unknown): T | undefined {
  const data = text(reply);
  return data === undefined ? undefined : (JSON.parse(data) as T);
}

/**
 * The entry as JSON. A notification nested deeper than JSON.stringify can follow is kept as a note of what it was,
 * rather than lost with an error: refused bodies, the likely deep ones, are kept as text already.
 */
export function serialise(entry: UnmatchedNotification): string {
  try {
    return JSON.stringify(entry);
  } catch {
    return JSON.stringify({ ...entry, notification: "(a notification nested too deeply to store as JSON)" });
  }
}

/** How long an instance's inbox outlives its last sign of life: long enough for a reconnect, then it goes. */
export function inboxLifetime(heartbeatMs: number): number {
  return Math.max(60_000, 10 * heartbeatMs);
}

/** A write's token: 64 random bits are enough to tell one record's recent writes apart, and a record keeps 64 of them. */
export function writeToken(): string {
  return randomBytes(8).toString("hex");
}
