import { sleep } from "./abort.js";
import type { TokenSource } from "./credentials.js";
import { RequestFailure, toRequestFailure } from "./errors.js";
import { backoffMs, parseRetryAfter, type RetryOptions } from "./retry.js";

/** What the transport needs from the client's options. */
export interface TransportOptions {
  fetch: (request: Request) => Promise<Response>;
  tokens: TokenSource;
  retry: RetryOptions;
  timeoutMs: number;
}

/**
 * The `fetch` openapi-fetch calls once per logical request, beneath its middleware: it adds the bearer token, bounds
 * each attempt by `timeoutMs`, refreshes the token once after a 401, and retries 429 and 503 as Graph asks.
 * Every other outcome is returned or thrown as it is, because the invite POST is not idempotent: after a dropped
 * connection, a timeout or another 5XX, Graph may already have acted.
 */
export function createTransport({ fetch, tokens, retry, timeoutMs }: TransportOptions) {
  const maxAttempts = retry.maxAttempts ?? 4;
  const maxElapsedMs = retry.maxElapsedMs ?? 60_000;

  return async (request: Request): Promise<Response> => {
    const signal = request.signal;
    const started = Date.now();
    let retries = 0;
    let refreshed = false;
    for (;;) {
      let token: string;
      try {
        token = await tokens.get(signal);
      } catch (error) {
        throw signal.aborted
          ? toRequestFailure(error, signal, false)
          : new RequestFailure("credential", `could not get a token: ${String(error)}`, false, error);
      }
      // The body of a Request can be read once, so each attempt sends a copy.
      const attempt = request.clone();
      attempt.headers.set("Authorization", `Bearer ${token}`);
      let response: Response;
      try {
        response = await fetch(
          new Request(attempt, { signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) }),
        );
      } catch (error) {
        throw toRequestFailure(error, signal, true);
      }

      let wait: number | undefined;
      if (response.status === 401 && !refreshed) {
        // Graph rejected the token before acting, so one retry with a fresh token is safe.
        refreshed = true;
        tokens.invalidate(token);
        wait = 0;
      } else if ((response.status === 429 || response.status === 503) && ++retries < maxAttempts) {
        wait = parseRetryAfter(response.headers.get("Retry-After")) ?? backoffMs(retries, retry);
        if (Date.now() - started + wait > maxElapsedMs) {
          wait = undefined;
        }
      }
      if (wait === undefined) {
        return response;
      }
      await response.body?.cancel();
      try {
        await sleep(wait, signal);
      } catch (error) {
        // The last answer was a 401, 429 or 503: Graph did not act on the request.
        throw toRequestFailure(error, signal, false);
      }
    }
  };
}
