// What the console tests share: raw requests with any Host and Origin, the live feed's events as a client reads
// them, and calls to the control endpoints the console steers with.
import { request as httpRequest } from "node:http";
import { expect } from "vitest";
import type { Simulator } from "../src/index.js";

export interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** A request with the headers exactly as given, Host included, which fetch does not let a caller set. */
export function raw(
  sim: Simulator,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<RawAnswer> {
  const { port } = new URL(sim.url);
  return new Promise((resolve, reject) => {
    const sent = httpRequest({ host: "127.0.0.1", port, method, path, headers, setHost: false }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        text += chunk;
        // The feed never ends by itself: its first event is enough.
        if (path === "/simulator/events" && text.includes("\n\n")) response.destroy();
      });
      response.on("close", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
    });
    sent.on("error", reject);
    sent.end(body);
  });
}

export const json = { "Content-Type": "application/json" };

// biome-ignore lint/suspicious/noExplicitAny: the feed's JSON, read field by field as each test asserts it.
export type Json = any;

export interface FeedEvent {
  readonly event: string;
  readonly data: Json;
}

export const seed = (url: string) => JSON.stringify({ kind: "group", callbackUri: url });

/** Reads the feed until `done` says it has seen enough; returns its events in order. */
export async function feed(
  sim: Simulator,
  done: (events: FeedEvent[]) => boolean,
  act: () => Promise<unknown>,
): Promise<FeedEvent[]> {
  const controller = new AbortController();
  const response = await fetch(`${sim.url}/simulator/events`, { signal: controller.signal });
  expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const events: FeedEvent[] = [];
  let buffer = "";
  let acted = false;
  try {
    while (!done(events)) {
      const { value, done: ended } = await reader.read();
      if (ended) throw new Error("the feed ended");
      buffer += decoder.decode(value, { stream: true });
      const messages = buffer.split("\n\n");
      buffer = messages.pop() ?? "";
      for (const message of messages) {
        const event = /^event: (.*)$/m.exec(message)?.[1];
        const data = /^data: (.*)$/m.exec(message)?.[1];
        if (event !== undefined && data !== undefined) events.push({ event, data: JSON.parse(data) });
      }
      if (!acted && events.length > 0) {
        acted = true;
        await act();
      }
    }
  } finally {
    controller.abort();
  }
  return events;
}

export async function control(sim: Simulator, method: string, path: string, body: unknown) {
  const response = await fetch(`${sim.url}${path}`, {
    method,
    headers: json,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

export const oneInvitee = (id: string) => ({
  participants: [
    {
      "@odata.type": "#microsoft.graph.invitationParticipantInfo",
      identity: { "@odata.type": "#microsoft.graph.identitySet", user: { id } },
    },
  ],
});
