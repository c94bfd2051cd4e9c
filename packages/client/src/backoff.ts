// The doubling delay every retry loop of the packages waits by. Published as `@graph-invite/client/backoff`: the bot
// kit and the sample bot compute their pauses with it, and the client adds jitter to it for Graph (retry.ts).
/**
 * The pause before trying again after `failures` failures in a row (0 for the first pause): `firstMs`, doubled at
 * each failure, never more than `longestMs`. No jitter: for retries against one's own store or server, where many
 * clients do not retry in step. The kit's stores, its processing retries and the sample bot's Redis reconnects use it;
 * the client's retries add jitter to it for Graph.
 */
export function doublingDelayMs(failures: number, firstMs: number, longestMs: number): number {
  return Math.min(longestMs, firstMs * 2 ** failures);
}
