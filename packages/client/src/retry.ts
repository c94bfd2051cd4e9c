// How long to wait before trying Graph again: its Retry-After, or a doubling delay with jitter (backoff.ts).
import { doublingDelayMs } from "./backoff.js";

/**
 * How the client retries a request that Graph throttled (429) or could not take (503). Only those two are retried:
 * both mean Graph did not act on the request, so sending it again cannot invite anyone twice.
 */
export interface RetryOptions {
  /** Attempts in all, the first included. Default 4; 1 turns retries off. */
  maxAttempts?: number;
  /** A retry is not started if its wait would end later than this many milliseconds after the first attempt. Default 60 000. */
  maxElapsedMs?: number;
  /** The first backoff when Graph sends no `Retry-After`; it doubles with each retry. Default 500. */
  baseDelayMs?: number;
  /** The longest backoff when Graph sends no `Retry-After`. Default 30 000. */
  maxDelayMs?: number;
  /** The source of jitter, a number in [0, 1). Default `Math.random`. */
  random?: () => number;
}

/**
 * Reads `Retry-After` as milliseconds to wait: whole or fractional seconds (Graph documents `2.128`) or an HTTP date.
 * Returns `undefined` when the header is absent or unreadable.
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (!value?.trim()) {
    return undefined;
  }
  const seconds = Number(value);
  const at = Number.isNaN(seconds) ? Date.parse(value) : now + seconds * 1000;
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Exponential backoff with jitter for retry number `retry` (1 for the first): between half and all of the doubled delay. */
export function backoffMs(retry: number, options: RetryOptions): number {
  const delay = doublingDelayMs(retry - 1, options.baseDelayMs ?? 500, options.maxDelayMs ?? 30_000);
  return delay / 2 + ((options.random ?? Math.random)() * delay) / 2;
}
