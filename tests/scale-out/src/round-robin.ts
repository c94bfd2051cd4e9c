// A load balancer's stand-in on loopback: each request goes to the next of N bot instances, so that Graph's
// notifications for one call are spread over all of them, as a balancer without call affinity spreads them.
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RoundRobinOptions {
  /** The largest request body forwarded; larger ones get 413. Default 2 MiB (the kit's own limit is 1 MiB). */
  readonly maxBodyBytes?: number;
  /** How long a target may take to answer. Default 10 s, as Graph's (and the simulator's) own attempt timeout. */
  readonly timeoutMs?: number;
}

export interface RoundRobinStats {
  /** Requests answered by a target. */
  forwarded: number;
  /** Attempts that found a target refusing connections, and went on to the next one. */
  refusedTargets: number;
  /** Requests answered 502 or 504 by the proxy itself. */
  failed: number;
}

/** One request as the proxy routed it. */
export interface Routed {
  /** The request's `X-Microsoft-Skype-Message-Id`, when it has one. */
  readonly messageId: string | undefined;
  /**
   * The index of the target that took the request (it answered, or failed after it took the request: the proxy's 502
   * or 504), or undefined when every target refused the connection.
   */
  readonly target: number | undefined;
  readonly status: number;
}

export interface RoundRobin {
  readonly url: string;
  readonly stats: RoundRobinStats;
  /** The latest requests, in the order they were answered (at most 10 000): which instance took which message. */
  readonly routed: readonly Routed[];
  close(): Promise<void>;
}

/** A request whose target refused the connection: nothing of it reached the target. */
class Refused extends Error {}

/**
 * Starts the proxy in front of `targets` (origins such as `http://127.0.0.1:4001`).
 *
 * A target that refuses the connection (an instance that crashed, or is restarting) is skipped and the request
 * goes to the next one, as a balancer with health checks routes around a dead instance: nothing was sent, so
 * sending it elsewhere cannot process it twice. Only when every target refuses does the proxy answer 502, which
 * Graph retries with backoff. A target that fails after it took the request (a reset mid-request, a timeout) also
 * gets 502 (504 for the timeout) and is not retried here: it may have processed the request, and Graph's retry,
 * which keeps the message id, is what the bots' delivery claims deduplicate.
 */
export async function startRoundRobin(
  targets: readonly string[],
  options: RoundRobinOptions = {},
): Promise<RoundRobin> {
  if (targets.length === 0) throw new Error("the round-robin proxy needs at least one target");
  const maxBodyBytes = options.maxBodyBytes ?? 2 * 1024 * 1024;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const stats: RoundRobinStats = { forwarded: 0, refusedTargets: 0, failed: 0 };
  const routed: Routed[] = [];
  const route = (request: IncomingMessage, target: number | undefined, status: number) => {
    const messageId = request.headers["x-microsoft-skype-message-id"];
    routed.push({ messageId: typeof messageId === "string" ? messageId : undefined, target, status });
    if (routed.length > 10_000) routed.shift();
  };
  let next = 0;

  const server = createServer({ requestTimeout: timeoutMs, headersTimeout: timeoutMs }, (request, response) => {
    readBody(request, maxBodyBytes).then(
      async (body) => {
        if (body === undefined) return answer(response, 413, "the body is larger than the proxy forwards");
        const first = next;
        next = (next + 1) % targets.length;
        for (let tried = 0; tried < targets.length; tried++) {
          const index = (first + tried) % targets.length;
          const target = targets[index] as string;
          try {
            route(request, index, await forward(request, body, target, response, timeoutMs));
            stats.forwarded++;
            return;
          } catch (error) {
            if (error instanceof Refused) {
              stats.refusedTargets++;
              continue;
            }
            stats.failed++;
            const timedOut = error instanceof Error && error.name === "TimeoutError";
            // The target's, not nobody's: it may have claimed the delivery before it failed, and the scale-out
            // verdict tells a take-over from a late outcome by who took the first attempt.
            route(request, index, timedOut ? 504 : 502);
            return answer(response, timedOut ? 504 : 502, `the target ${target} failed: ${String(error)}`);
          }
        }
        stats.failed++;
        route(request, undefined, 502);
        answer(response, 502, "every target refused the connection");
      },
      (error: unknown) => answer(response, 400, `the request could not be read: ${String(error)}`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    routed,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The whole body, or undefined once it grows past `limit` (the rest is drained, not kept). */
async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
  }
  return size > limit ? undefined : Buffer.concat(chunks);
}

/**
 * Sends the request to `target` and passes the answer back; resolves with its status, rejects with {@link Refused}
 * when the target refused the connection.
 */
function forward(
  request: IncomingMessage,
  body: Buffer,
  target: string,
  response: ServerResponse,
  timeoutMs: number,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers = { ...request.headers, "content-length": String(body.length) };
    delete headers.connection;
    const outgoing = httpRequest(`${target}${request.url ?? "/"}`, {
      method: request.method ?? "GET",
      headers,
      // One connection per request: a kept-alive connection to an instance that was killed would fail after the
      // request was written, which looks like a reset mid-request rather than a refusal.
      agent: false,
      signal: AbortSignal.timeout(timeoutMs),
    });
    outgoing.on("error", (error: NodeJS.ErrnoException) => {
      reject(error.code === "ECONNREFUSED" ? new Refused(error.message) : error);
    });
    outgoing.on("response", (answered) => {
      const chunks: Buffer[] = [];
      answered.on("data", (chunk: Buffer) => chunks.push(chunk));
      answered.on("error", reject);
      answered.on("end", () => {
        const text = Buffer.concat(chunks);
        const { connection: _ignored, "transfer-encoding": _chunked, ...kept } = answered.headers;
        const status = answered.statusCode ?? 502;
        response.writeHead(status, { ...kept, "content-length": String(text.length) });
        response.end(text);
        resolve(status);
      });
    });
    outgoing.end(body);
  });
}

function answer(response: ServerResponse, status: number, message: string): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const text = JSON.stringify({ error: message });
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.end(text);
}
