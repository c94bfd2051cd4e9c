// Node's HTTP server lets a client take 60 s to send its headers and 300 s to send its request, and checks both only
// every 30 s: a slow client with no token holds a connection for a minute. A bot's server needs far less.
/** The timeouts of a bot's server: how long a client may take for its headers, and for its whole request. */
export interface ServerTimeoutOptions {
  /** How long a client may take to send its headers. Default 10 s. */
  readonly headersTimeoutMs?: number;
  /** How long a client may take to send the whole request. Default 30 s. */
  readonly requestTimeoutMs?: number;
}

/** What `http.createServer(options)` takes: the timeouts, and how often Node checks them. */
export interface ServerTimeouts {
  /** How long a client may take to send its headers, in milliseconds. */
  readonly headersTimeout: number;
  /** How long a client may take to send its whole request, in milliseconds. */
  readonly requestTimeout: number;
  /**
   * How often Node checks both timeouts, in milliseconds: a tenth of the shorter, between 100 and 1 000, since a
   * timeout is only enforced when Node checks.
   */
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
 * timeouts apply but are checked only every 30 s. It takes any value so that Hono's `serve()`, typed as any of Node's
 * servers, needs no cast; an HTTP/2 server, which has no such timeouts, is refused.
 *
 * @throws TypeError when `server` is not a node:http or node:https server.
 */
export function hardenServer<S extends object>(server: S, options: ServerTimeoutOptions = {}): S {
  if (!("headersTimeout" in server && "requestTimeout" in server)) {
    throw new TypeError("hardenServer takes a node:http or node:https server: this one has no headersTimeout");
  }
  // connectionsCheckingInterval is read by Node when the server starts listening.
  Object.assign(server, serverTimeouts(options));
  return server;
}
