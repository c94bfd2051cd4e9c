// The little HTTP plumbing the simulator needs: bounded bodies, JSON answers and Graph's error body.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ErrorDetails, GraphErrorBody } from "@graph-invite/types";

/** Graph refuses request bodies far smaller than this; it only keeps a misbehaving client from exhausting memory. */
export const maxBodyBytes = 1024 * 1024;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(`HTTP ${status}`);
  }
}

/** What to answer when handling a request threw: its {@link HttpError}, or a 500 that says what failed. */
export function errorReply(error: unknown): HttpError | { readonly status: 500; readonly body: GraphErrorBody } {
  return error instanceof HttpError
    ? error
    : { status: 500, body: graphError("InternalServerError", `The simulator failed: ${String(error)}`) };
}

const tooLarge = () =>
  new HttpError(413, graphError("RequestEntityTooLarge", `The request body is larger than ${maxBodyBytes} bytes.`), {
    Connection: "close",
  });

/** The body as text, or an {@link HttpError} 413 once it passes `maxBodyBytes`. */
export async function readBody(request: IncomingMessage): Promise<string> {
  // Refused before it is read when its length is declared; the connection closes after the answer.
  if (Number(request.headers["content-length"]) > maxBodyBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  // An oversized body is read to its end and discarded, so that the client still gets the 413.
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= maxBodyBytes) chunks.push(chunk);
  }
  if (size > maxBodyBytes) throw tooLarge();
  return Buffer.concat(chunks).toString("utf8");
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

export interface ErrorExtras {
  readonly details?: readonly ErrorDetails[];
  /** The caller's `client-request-id` header, echoed as Graph does. */
  readonly clientRequestId?: string | undefined;
}

/** Graph's error body, with the `innerError` members Graph sends. */
export function graphError(code: string, message: string, extras: ErrorExtras = {}): GraphErrorBody {
  const { details, clientRequestId } = extras;
  return {
    error: {
      code,
      message,
      ...(details !== undefined && details.length > 0 && { details: [...details] }),
      innerError: {
        date: new Date().toISOString().slice(0, 19),
        "request-id": randomUUID(),
        ...(clientRequestId !== undefined && { "client-request-id": clientRequestId }),
      },
    },
  };
}

/** Reads the bearer token of `Authorization`, or undefined. */
export function bearerToken(request: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? "");
  return match?.[1];
}

/** The request's media type without parameters, in lower case (media types are case-insensitive). */
export function mediaType(request: IncomingMessage): string | undefined {
  return request.headers["content-type"]?.split(";")[0]?.trim().toLowerCase();
}
