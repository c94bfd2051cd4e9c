// What the endpoint tests share: Graph's malformed payloads, a store whose roster writes a test can hold, and the
// checks that a 400's JSON Pointers name places in the body as posted.
import { expect, onTestFinished } from "vitest";
import { MemoryStore, type RosterEvent, type RosterState } from "../src/index.js";
import type { RawAnswer, RawExchange } from "./harness.js";

export const malformedDirectory = new URL("../../../openapi/reference/payloads/malformed/", import.meta.url);

export const withMessageId = (headers: Record<string, string>, id: string) => ({
  ...headers,
  "X-Microsoft-Skype-Message-Id": id,
});

export const exampleMember = "application:278405a3-f568-4b3e-b684-009193463064";

/**
 * The bot's store, with a gate: while it is held, writing a roster waits, so a test can see what the endpoint
 * answers while a notification's processing has provably not finished. Open unless a test holds it.
 */
export class GatedStore extends MemoryStore {
  private gate: Promise<void> | undefined;

  /** Holds roster writes until the returned function is called (and, at the latest, when the test ends). */
  hold(): () => void {
    let open = () => {};
    this.gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const release = () => {
      this.gate = undefined;
      open();
    };
    onTestFinished(release);
    return release;
  }

  override async putRoster(roster: RosterState, events: readonly RosterEvent[]): Promise<boolean> {
    if (this.gate !== undefined) await this.gate;
    return super.putRoster(roster, events);
  }
}

export const jsonPointer = /^(\/([^~/]|~[01])*)*$/;

/**
 * Whether an RFC 6901 pointer names a place in `document`: the value at it, or, for a `schema.required` issue, the
 * member that is missing from an object that is there.
 */
export function resolves(document: unknown, pointer: string, code: string): boolean {
  if (pointer === "") return true;
  const tokens = pointer
    .slice(1)
    .split("/")
    .map((token) => token.replaceAll("~1", "/").replaceAll("~0", "~"));
  let node = document;
  for (const [index, token] of tokens.entries()) {
    if (typeof node !== "object" || node === null) return false;
    const member = Array.isArray(node)
      ? /^(0|[1-9][0-9]*)$/.test(token) && Number(token) < node.length
      : Object.hasOwn(node, token);
    if (!member) return code === "schema.required" && index === tokens.length - 1 && !Array.isArray(node);
    node = (node as Record<string, unknown>)[token];
  }
  return true;
}

/** The body as the endpoint read it (a string goes out as UTF-8, lone surrogates replaced), parsed as JSON. */
export function parsed(body: string | Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
    return { ok: true, value: JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) };
  } catch {
    return { ok: false };
  }
}

export interface ErrorDetail {
  readonly target: string;
  readonly code: string;
  readonly message: string;
}

/** The `details` of a 400 answer, after checking the shape of its error body. */
export function detailsOf(answer: RawAnswer | RawExchange): ErrorDetail[] {
  expect(answer.status).toBe(400);
  expect(answer.body).toEqual({
    error: { code: "invalidNotification", message: expect.any(String), details: expect.any(Array) },
  });
  const { details } = (answer.body as { error: { details: ErrorDetail[] } }).error;
  expect(details.length).toBeGreaterThan(0);
  for (const detail of details) {
    expect(detail).toEqual({
      target: expect.stringMatching(jsonPointer),
      code: expect.any(String),
      message: expect.any(String),
    });
  }
  return details;
}
