// The receiver as a Web-standard handler, `(request: Request) => Promise<Response>`: what Hono, Next.js route
// handlers, Deno, Bun and workers call. Nothing here needs Node.
import { readBounded } from "@graph-invite/client/body";
import type { IncomingDelivery, Receive, ReceiverAnswer } from "./receiver.js";

/** A Web-standard request handler, `(request: Request) => Promise<Response>`, as Hono, Deno, Bun and workers call. */
export type FetchHandler = (request: Request) => Promise<Response>;

export function createFetchHandler(receive: Receive): FetchHandler {
  return async (request) => toResponse(await receive(fromRequest(request)));
}

function fromRequest(request: Request): IncomingDelivery {
  return {
    method: request.method,
    header: (name) => request.headers.get(name) ?? undefined,
    // Hono's `c.req.json()`, or any reader before the bot, leaves the Request's body used.
    bodyAlreadyRead: request.bodyUsed,
    readBody: (limit) => readBody(request, limit),
  };
}

/**
 * The body's bytes, or undefined once they pass `limit`. A body whose length is declared within the limit is read
 * whole: the HTTP layer holds a body to its Content-Length, and `arrayBuffer()` spares the stream machinery (Node
 * bridges such as `@hono/node-server` then read the socket directly instead of building a ReadableStream). Any other
 * body is streamed and cut at the limit.
 */
async function readBody(request: Request, limit: number): Promise<Uint8Array | undefined> {
  const declared = request.headers.get("content-length");
  if (declared !== null && /^[0-9]{1,15}$/.test(declared) && Number(declared) <= limit) {
    const bytes = new Uint8Array(await request.arrayBuffer());
    return bytes.byteLength <= limit ? bytes : undefined;
  }
  return readBounded(request.body, limit);
}

function toResponse(answer: ReceiverAnswer): Response {
  const headers = new Headers(answer.headers);
  // Where the runtime lets a handler say so (Node's fetch servers do; workers ignore it), an unread body is not kept.
  if (answer.close) headers.set("Connection", "close");
  return new Response(answer.body === "" ? null : answer.body, { status: answer.status, headers });
}
