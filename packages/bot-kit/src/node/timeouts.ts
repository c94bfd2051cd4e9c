// Node's HTTP server lets a client take 60 s to send its headers and 300 s to send its request, and checks both only
// every 30 s: a slow client with no token holds a connection for a minute. A bot's server needs far less.
import type { Server } from "node:http";

/** The timeouts of a bot's server: how long a client may take for its headers, and for its whole request. */
export interface ServerTimeoutOptions {
  /** How long a client may take to send its headers. Default 10 s. */
  readonly headersTimeoutMs?: number;
  /** How long a client may take to send the whole request. Default 30 s. */
  readonly requestTimeoutMs?: number;
}

/** What `http.createServer(options)` takes: the timeouts, and how often Node checks them. */
export interface ServerTimeouts {
  readonly headersTimeout: number;
  readonly requestTimeout: number;
  readonly connectionsCheckingInterval: number;
}

/**
 * The timeouts `startBot` serves with, for `http.createServer(serverTimeouts(), handler)` or Hono's
 * `serve({ fetch, serverOptions: serverTimeouts() })`: 10 s for the headers and 30 s for the request, checked at a
 * tenth of the shorter (at most every second) rather than Node's 30 s.
 */
export function serverTimeouts(options: ServerTimeoutOptions = {}): ServerTimeouts {
  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  return {
    headersTimeout,
    requestTimeout,
    // Node enforces both timeouts only when it checks its connections: a client that trickles its headers would be
    // cut at 30 s instead of 10. Checking at a fraction of the shorter timeout keeps each within about a tenth.
    connectionsCheckingInterval: Math.max(
      100,
      Math.min(1000, Math.floor(Math.min(headersTimeout, requestTimeout) / 10)),
    ),
  };
}

/**
 * Gives a server created elsewhere (Express's `app.listen()`, Hono's `serve()`, Fastify's `app.server`) the
 * timeouts of {@link serverTimeouts}, and returns it: `hardenServer(app.listen(3978))`. Node starts checking its
 * connections when the server starts listening, so call it before, or in the same turn as `listen()`; later, the
 * timeouts apply but are checked only every 30 s.
 */
export function hardenServer<S extends Server>(server: S, options: ServerTimeoutOptions = {}): S {
  const timeouts = serverTimeouts(options);
  server.headersTimeout = timeouts.headersTimeout;
  server.requestTimeout = timeouts.requestTimeout;
  // Read by Node when the server starts listening; not in @types/node, which declares it only as an option.
  (server as { connectionsCheckingInterval?: number }).connectionsCheckingInterval =
    timeouts.connectionsCheckingInterval;
  return server;
}
