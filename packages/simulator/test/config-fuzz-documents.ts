// What the config fuzz tests share: the checks that an error points at a place in the input, mutations of a
// document at a JSON Pointer, and valid configs, scenarios and call seeds to mutate.
import fc from "fast-check";
import { expect } from "vitest";
import { checkCallSeed, controlBody } from "../src/config.js";
import { HttpError } from "../src/http.js";
import { ConfigError } from "../src/index.js";

/** The control API's reading of a call, without creating it. */
export const parseCallSeed = (text: string) => controlBody(text, checkCallSeed);

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export const escapeToken = (key: string) => key.replaceAll("~", "~0").replaceAll("/", "~1");

export const unescapeToken = (token: string) => token.replaceAll("~1", "/").replaceAll("~0", "~");

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** RFC 6901's syntax: `""` or a sequence of `/` and reference tokens, where `~` is followed by 0 or 1. */
export const pointerSyntax = /^(\/([^~/]|~[01])*)*$/;

/**
 * Expects `pointer` to resolve in `document`, or to name a member missing from an object that does: a required
 * property that is absent is reported at the place it should be.
 */
export function expectPointsInto(document: unknown, pointer: string): void {
  expect(pointer).toMatch(pointerSyntax);
  if (pointer === "") return;
  const tokens = pointer.slice(1).split("/").map(unescapeToken);
  let current: unknown = document;
  for (const [index, token] of tokens.entries()) {
    const last = index === tokens.length - 1;
    if (Array.isArray(current)) {
      expect(token, `${pointer} indexes an array`).toMatch(/^(0|[1-9]\d*)$/);
      expect(Number(token), `${pointer} stays within the array`).toBeLessThan(current.length);
      current = current[Number(token)];
    } else {
      expect(isObject(current), `${pointer} steps into an object`).toBe(true);
      const parent = current as Record<string, unknown>;
      if (!Object.hasOwn(parent, token)) {
        expect(last, `only the last token of ${pointer} may name a missing member`).toBe(true);
        return;
      }
      current = parent[token];
    }
  }
}

/** Runs a reader; expects it to return, or to throw a ConfigError that points into the input. */
export function expectConfigErrorOrValue(read: () => unknown, document: unknown): ConfigError | undefined {
  try {
    read();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const { pointer, rule, message } = error as ConfigError;
    expect(rule.length).toBeGreaterThan(5);
    expect(message).toBe(`${pointer === "" ? "the document" : pointer}: ${rule}`);
    expectPointsInto(document, pointer);
    return error as ConfigError;
  }
}

export interface ControlErrorBody {
  readonly error: { code: string; message: string; details: Array<{ code: string; message: string; target: string }> };
}

/** The control API's readers answer 400 with the pointer as the first detail's target. */
export function expectBadRequestOrValue(read: () => unknown, document: unknown): string | undefined {
  try {
    read();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(HttpError);
    const { status, body } = error as HttpError;
    expect(status).toBe(400);
    const { code, message, details } = (body as ControlErrorBody).error;
    expect(code).toBe("BadRequest");
    expect(details).toHaveLength(1);
    const [detail] = details;
    expect(detail?.code).toBe("simulator.invalid");
    const target = detail?.target ?? "";
    expect(message).toBe(`${target === "" ? "the document" : target}: ${detail?.message}`);
    expectPointsInto(document, target);
    return target;
  }
}

export const parsesAsJson = (text: string) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

/** Every pointer into `value`, the root excluded, with the value there. */
export function places(value: Json, pointer = ""): Array<[string, Json]> {
  const children: Array<[string, Json]> = Array.isArray(value)
    ? value.map((child, index) => [`${pointer}/${index}`, child])
    : isObject(value)
      ? Object.entries(value).map(([key, child]) => [`${pointer}/${escapeToken(key)}`, child as Json])
      : [];
  return children.flatMap(([at, child]) => [[at, child] as [string, Json], ...places(child, at)]);
}

/** A copy of `document` with the value at `pointer` replaced by `replacement`, or removed when it is undefined. */
export function mutate(document: Json, pointer: string, replacement: Json | undefined): Json {
  const copy = structuredClone(document);
  const tokens = pointer.slice(1).split("/").map(unescapeToken);
  const last = tokens.pop() ?? "";
  let parent = copy as Record<string, Json>;
  for (const token of tokens) parent = parent[token] as Record<string, Json>;
  if (replacement !== undefined) parent[last] = replacement;
  else if (Array.isArray(parent)) parent.splice(Number(last), 1);
  else delete parent[last];
  return copy;
}

/** A value of another JSON type than `original`. Null is left out: Graph's types accept null in many places. */
export function anotherType(original: Json): fc.Arbitrary<Json> {
  const byType: Record<string, fc.Arbitrary<Json>> = {
    string: fc.string(),
    number: fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })),
    boolean: fc.boolean(),
    array: fc.array(fc.jsonValue() as fc.Arbitrary<Json>, { maxLength: 2 }),
    object: fc.dictionary(fc.string(), fc.jsonValue() as fc.Arbitrary<Json>, { maxKeys: 2 }),
  };
  const type = Array.isArray(original) ? "array" : original === null ? "null" : typeof original;
  return fc.oneof(...Object.entries(byType).flatMap(([name, arbitrary]) => (name === type ? [] : [arbitrary])));
}

export const appId = "0b4a3c7e-4a4e-4c8e-9b1a-0c0f7b1d2e3f";

export const scenario = {
  answers: {
    "user-1": { kind: "decline", afterMs: 5, code: 486, subcode: 5000, message: "Busy" },
    // A key that must be escaped in a pointer.
    "tel:+1/555~0100": { kind: "accept", afterMs: 0 },
  },
  defaultAnswer: { kind: "no-answer", afterMs: 50 },
  rejectInvites: [{ status: 429, retryAfter: "2.128" }, { status: 503 }],
  delivery: {
    delayMs: 1,
    duplicate: true,
    reorder: false,
    terminalBeforeResponse: false,
    drop: ["roster"],
    maxAttempts: 3,
    retryDelayMs: 10,
  },
  deviations: ["status-casing", "null-ids"],
  roster: "delta",
  rosterSequenceNumbers: true,
} satisfies Json;

export const groupCall = {
  id: "group-call",
  kind: "group",
  callbackUri: "https://bot.example/api/calls",
  appId,
  chatInfo: { "@odata.type": "#microsoft.graph.chatInfo", threadId: "19:meeting_x@thread.v2", messageId: "0" },
  participants: [
    {
      id: "participant-1",
      identity: {
        "@odata.type": "#microsoft.graph.identitySet",
        user: { "@odata.type": "#microsoft.graph.identity", id: "user-1", displayName: "Ada" },
      },
    },
  ],
} satisfies Json;

export const config = {
  $schema: "https://example.invalid/graph-invite-sim.schema.json",
  port: 0,
  host: "127.0.0.1",
  apps: [
    { appId, secret: "s3cret", tenantId: "b0c6e3a4-1f2d-4e5b-8a9c-7d6e5f4a3b2c", roles: ["Calls.AccessMedia.All"] },
  ],
  directory: [{ id: "user-1", displayName: "Ada", tenantId: "b0c6e3a4-1f2d-4e5b-8a9c-7d6e5f4a3b2c" }],
  calls: [groupCall, { kind: "p2p", callbackUri: "http://127.0.0.1:9/api/calls" }],
  scenario,
  notificationIssuer: "https://graph.microsoft.com",
} satisfies Json;

/** The places whose removal must be reported there. */
export const requiredPlaces = [
  "/apps/0/appId",
  "/apps/0/secret",
  "/apps/0/tenantId",
  "/directory/0/id",
  "/calls/0/kind",
  "/calls/0/callbackUri",
  "/calls/1/kind",
  "/calls/1/callbackUri",
  "/calls/0/participants/0/identity",
  "/scenario/answers/user-1/kind",
  "/scenario/answers/tel:+1~1555~00100/kind",
  "/scenario/defaultAnswer/kind",
  "/scenario/rejectInvites/0/status",
];

/**
 * The objects whose every property is checked by name, so that an unknown one is reported at itself: all but the
 * answers, whose keys are invitees' ids.
 */
export const closedObjects = places(config)
  .filter(([pointer, value]) => isObject(value) && pointer !== "/scenario/answers")
  .map(([pointer]) => pointer);

export const mutatedAt = (document: Json) =>
  fc
    .constantFrom(...places(document))
    .chain(([pointer, original]) => fc.tuple(fc.constant(pointer), anotherType(original)));

/** Sets a property as JSON.parse would, so that a key such as `__proto__` is an own property, not a prototype. */
export function setMember(target: Record<string, Json>, key: string, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

export function placeOf(document: Json, pointer: string): Json | undefined {
  if (pointer === "") return document;
  let current: Json | undefined = document;
  for (const token of pointer.slice(1).split("/").map(unescapeToken)) {
    current = Array.isArray(current) ? current[Number(token)] : isObject(current) ? current[token] : undefined;
  }
  return current;
}

/** A document with one place replaced by any JSON value or removed, or a property added to one of its objects. */
export const nearly = (document: Json) => {
  const objects = ["", ...places(document).map(([pointer]) => pointer)].filter((pointer) =>
    isObject(placeOf(document, pointer)),
  );
  return fc.oneof(
    fc
      .tuple(fc.constantFrom(...places(document)), fc.option(fc.jsonValue() as fc.Arbitrary<Json>, { nil: undefined }))
      .map(([[pointer], replacement]) => mutate(document, pointer, replacement)),
    fc
      .tuple(fc.constantFrom(...objects), fc.string(), fc.jsonValue() as fc.Arbitrary<Json>)
      .map(([pointer, key, value]) => {
        const copy = structuredClone(document);
        setMember(placeOf(copy, pointer) as Record<string, Json>, key, value);
        return copy;
      }),
  );
};
