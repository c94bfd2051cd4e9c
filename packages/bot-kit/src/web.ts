// The receiver as a Web-standard handler, `(request: Request) => Promise<Response>`: what Hono, Next.js route
// handlers, Deno, Bun and workers call. Nothing here needs Node.
import type { IncomingDelivery, Receive, ReceiverAnswer } from "./receiver.js";

export type FetchHandler = (request: Request) => Promise<Response>;

export function createFetchHandler(receive: Receive): FetchHandler {
  return async (request) => toResponse(await receive(fromRequest(request)));
}

function fromRequest(request: Request): IncomingDelivery {
  return {
    method: request.method,
    header: (name) => request.headers.get(name) ?? undefined,
    readBody: (limit) => readBounded(request.body, limit),
  };
}

function toResponse(answer: ReceiverAnswer): Response {
  const headers = new Headers(answer.headers);
  // Where the runtime lets a handler say so (Node's fetch servers do; workers ignore it), an unread body is not kept.
  if (answer.close) headers.set("Connection", "close");
  return new Response(answer.body === "" ? null : answer.body, { status: answer.status, headers });
}

/** The stream's bytes, or undefined once they pass `limit`, in which case the rest is not read. */
async function readBounded(body: ReadableStream<Uint8Array> | null, limit: number): Promise<Uint8Array | undefined> {
  if (body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return concat(chunks, size);
}

function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0];
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
