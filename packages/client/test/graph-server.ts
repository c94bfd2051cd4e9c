import { readFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { example } from "@graph-invite/test-support/examples";
import type { AccessToken } from "../src/index.js";

/** A request as the loopback Graph received it. */
export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Answers one request; gets the request and how many arrived before it. */
export type Answer = (response: ServerResponse, request: ReceivedRequest, index: number) => void;

export interface LoopbackGraph {
  /** The Graph root to give the client, such as `http://127.0.0.1:51234/v1.0`. */
  baseUrl: string;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 that plays Graph. The n-th request gets the n-th answer; requests beyond the list
 * get the last one.
 */
export async function startGraph(...answers: Answer[]): Promise<LoopbackGraph> {
  const requests: ReceivedRequest[] = [];
  const server = createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => {
      const request = {
        method: incoming.method ?? "",
        url: incoming.url ?? "",
        headers: incoming.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      const index = requests.push(request) - 1;
      const answer = answers[Math.min(index, answers.length - 1)];
      answer?.(response, request, index);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1.0`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export { example };

/** A Graph error body from Graph's own documentation (`test/fixtures/`, sources in its README). */
export function fixture<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(new URL(`fixtures/${name}`, import.meta.url), "utf8")) as T;
}

export const callId = "ab6233a5-20b7-4c5e-bea2-ce56c9776429";
export const operationId = "eec3812a-fdc3-4fb4-825c-a06c9f35414e";
export const requestId = "94fb3b52-452a-4535-a601-69e0a90e3aa2";

/** Graph's 200: the operation, its `Location`, and a `request-id`. */
export function accepted(body: unknown = example("example-1-invite-one-participant.response.json")): Answer {
  return (response) => {
    response.writeHead(200, {
      "Content-Type": "application/json",
      Location: `https://graph.microsoft.com/v1.0/communications/calls/${callId}/operations/${operationId}`,
      "request-id": requestId,
    });
    response.end(JSON.stringify(body));
  };
}

/** A Graph error status with a JSON body and extra headers. */
export function failed(status: number, body: unknown, headers: Record<string, string> = {}): Answer {
  return (response) => {
    response.writeHead(status, { "Content-Type": "application/json", ...headers });
    response.end(JSON.stringify(body));
  };
}

/** A Graph error body as Graph writes it, with the innerError members it sends. */
export function graphErrorBody(code: string, message: string, id = requestId) {
  return {
    error: {
      code,
      message,
      innerError: {
        date: "2026-11-27T08:00:00",
        "request-id": id,
        "client-request-id": "c0ffee00-0000-4000-8000-000000000001",
      },
    },
  };
}

/** A token that stays valid for an hour. */
export function hourToken(token: string): AccessToken {
  return { token, expiresOnTimestamp: Date.now() + 3_600_000 };
}
