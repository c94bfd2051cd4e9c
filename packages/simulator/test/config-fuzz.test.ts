// Arbitrary and mutated configs, scenarios, call seeds and token requests: the readers throw nothing but their own
// error, every error points at a place in the input, and a single broken field is reported at that field.
import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkCallSeed, controlBody, parseScenario } from "../src/config.js";

/** The control API's reading of a call, without creating it. */
const parseCallSeed = (text: string) => controlBody(text, checkCallSeed);

import { HttpError } from "../src/http.js";
import { ConfigError, graphResource, parseConfig, type Simulator, start } from "../src/index.js";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const escapeToken = (key: string) => key.replaceAll("~", "~0").replaceAll("/", "~1");
const unescapeToken = (token: string) => token.replaceAll("~1", "/").replaceAll("~0", "~");
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** RFC 6901's syntax: `""` or a sequence of `/` and reference tokens, where `~` is followed by 0 or 1. */
const pointerSyntax = /^(\/([^~/]|~[01])*)*$/;

/**
 * Expects `pointer` to resolve in `document`, or to name a member missing from an object that does: a required
 * property that is absent is reported at the place it should be.
 */
function expectPointsInto(document: unknown, pointer: string): void {
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
function expectConfigErrorOrValue(read: () => unknown, document: unknown): ConfigError | undefined {
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

interface ControlErrorBody {
  readonly error: { code: string; message: string; details: Array<{ code: string; message: string; target: string }> };
}

/** The control API's readers answer 400 with the pointer as the first detail's target. */
function expectBadRequestOrValue(read: () => unknown, document: unknown): string | undefined {
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

const parsesAsJson = (text: string) => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

/** Every pointer into `value`, the root excluded, with the value there. */
function places(value: Json, pointer = ""): Array<[string, Json]> {
  const children: Array<[string, Json]> = Array.isArray(value)
    ? value.map((child, index) => [`${pointer}/${index}`, child])
    : isObject(value)
      ? Object.entries(value).map(([key, child]) => [`${pointer}/${escapeToken(key)}`, child as Json])
      : [];
  return children.flatMap(([at, child]) => [[at, child] as [string, Json], ...places(child, at)]);
}

/** A copy of `document` with the value at `pointer` replaced by `replacement`, or removed when it is undefined. */
function mutate(document: Json, pointer: string, replacement: Json | undefined): Json {
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
function anotherType(original: Json): fc.Arbitrary<Json> {
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

const appId = "0b4a3c7e-4a4e-4c8e-9b1a-0c0f7b1d2e3f";
const scenario = {
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

const groupCall = {
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

const config = {
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
const requiredPlaces = [
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
const closedObjects = places(config)
  .filter(([pointer, value]) => isObject(value) && pointer !== "/scenario/answers")
  .map(([pointer]) => pointer);

const mutatedAt = (document: Json) =>
  fc
    .constantFrom(...places(document))
    .chain(([pointer, original]) => fc.tuple(fc.constant(pointer), anotherType(original)));

/** Sets a property as JSON.parse would, so that a key such as `__proto__` is an own property, not a prototype. */
function setMember(target: Record<string, Json>, key: string, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function placeOf(document: Json, pointer: string): Json | undefined {
  if (pointer === "") return document;
  let current: Json | undefined = document;
  for (const token of pointer.slice(1).split("/").map(unescapeToken)) {
    current = Array.isArray(current) ? current[Number(token)] : isObject(current) ? current[token] : undefined;
  }
  return current;
}

/** A document with one place replaced by any JSON value or removed, or a property added to one of its objects. */
const nearly = (document: Json) => {
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

describe("parseConfig", () => {
  it("reads the full example config", () => {
    const options = parseConfig(JSON.stringify(config));
    expect(options.apps).toEqual(config.apps);
    expect(options.calls).toEqual(config.calls);
    expect(options.scenario).toEqual(config.scenario);
    expect(options).not.toHaveProperty("$schema");
  });

  it("throws only ConfigError for any JSON value, pointing into it", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expectConfigErrorOrValue(() => parseConfig(JSON.stringify(value)), value);
      }),
      { numRuns: 500 },
    );
  });

  it("throws only ConfigError for any text; text that is not JSON is reported at the document", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.json()), (text) => {
        const json = parsesAsJson(text);
        const error = expectConfigErrorOrValue(() => parseConfig(text), json ? JSON.parse(text) : undefined);
        if (!json) expect(error?.pointer).toBe("");
      }),
      { numRuns: 500 },
    );
  });

  it("throws only ConfigError for a config with any one place changed, removed or added", () => {
    fc.assert(
      fc.property(nearly(config), (document) => {
        expectConfigErrorOrValue(() => parseConfig(JSON.stringify(document)), document);
      }),
      { numRuns: 1000 },
    );
  });

  it("reports a required property that is removed at its own pointer", () => {
    fc.assert(
      fc.property(fc.constantFrom(...requiredPlaces), (pointer) => {
        const document = mutate(config, pointer, undefined);
        expect(expectConfigErrorOrValue(() => parseConfig(JSON.stringify(document)), document)?.pointer).toBe(pointer);
      }),
      { numRuns: requiredPlaces.length * 3 },
    );
  });

  it("reports a value of the wrong type at its own pointer", () => {
    fc.assert(
      fc.property(mutatedAt(config), ([pointer, replacement]) => {
        const document = mutate(config, pointer, replacement);
        expect(expectConfigErrorOrValue(() => parseConfig(JSON.stringify(document)), document)?.pointer).toBe(pointer);
      }),
      { numRuns: 1000 },
    );
  });

  it("reports an unknown property at its own pointer", () => {
    fc.assert(
      fc.property(fc.constantFrom("", ...closedObjects), fc.string(), fc.jsonValue(), (pointer, name, value) => {
        const key = `x-${name}`;
        const document = structuredClone(config) as Json;
        setMember(placeOf(document, pointer) as Record<string, Json>, key, value as Json);
        const error = expectConfigErrorOrValue(() => parseConfig(JSON.stringify(document)), document);
        expect(error?.pointer).toBe(`${pointer}/${escapeToken(key)}`);
      }),
      { numRuns: 300 },
    );
  });
});

describe("the control API's readers", () => {
  it("PUT /simulator/scenario: only a 400 for any JSON value or text, pointing into it", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue().map((value) => JSON.stringify(value)),
          fc.string(),
        ),
        (text) => {
          const target = expectBadRequestOrValue(
            () => parseScenario(text),
            parsesAsJson(text) ? JSON.parse(text) : undefined,
          );
          if (!parsesAsJson(text)) expect(target).toBe("");
        },
      ),
      { numRuns: 500 },
    );
  });

  it("PUT /simulator/scenario: only a 400 for a scenario with one place changed, removed or added", () => {
    fc.assert(
      fc.property(nearly(scenario), (document) => {
        expectBadRequestOrValue(() => parseScenario(JSON.stringify(document)), document);
      }),
      { numRuns: 500 },
    );
  });

  it("PUT /simulator/scenario: a value of the wrong type is the 400's target", () => {
    fc.assert(
      fc.property(mutatedAt(scenario), ([pointer, replacement]) => {
        const document = mutate(scenario, pointer, replacement);
        expect(expectBadRequestOrValue(() => parseScenario(JSON.stringify(document)), document)).toBe(pointer);
      }),
      { numRuns: 500 },
    );
  });

  it("POST /simulator/calls: only a 400 for any JSON or a seed with one place changed, removed or added", () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), nearly(groupCall)), (document) => {
        expectBadRequestOrValue(() => parseCallSeed(JSON.stringify(document)), document);
      }),
      { numRuns: 500 },
    );
  });

  it("POST /simulator/calls: a value of the wrong type is the 400's target", () => {
    fc.assert(
      fc.property(mutatedAt(groupCall), ([pointer, replacement]) => {
        const document = mutate(groupCall, pointer, replacement);
        expect(expectBadRequestOrValue(() => parseCallSeed(JSON.stringify(document)), document)).toBe(pointer);
      }),
      { numRuns: 500 },
    );
  });
});

describe("the token endpoint's form", () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await start();
  });
  afterAll(() => sim.close());

  const oauthErrors = [
    "invalid_request",
    "invalid_client",
    "unauthorized_client",
    "invalid_scope",
    "unsupported_grant_type",
  ];

  it("answers any form with a token or an OAuth error, never a 500", async () => {
    const { appId: id, secret, tenantId } = sim.app;
    const value = (...likely: string[]) => fc.oneof(fc.constantFrom(...likely), fc.string());
    const pair = (name: string, ...likely: string[]) =>
      fc.option(fc.tuple(fc.constant(name), value(...likely)), { nil: undefined });
    const formEncode = (text: string) => new URLSearchParams({ v: text }).toString().slice(2);
    const form = fc
      .tuple(
        pair("grant_type", "client_credentials", "password"),
        pair("client_id", id, randomUUID()),
        pair("client_secret", secret),
        pair("scope", `${graphResource}/.default`, graphResource),
        fc.array(fc.tuple(fc.string(), fc.string()), { maxLength: 3 }),
      )
      .map(([grant, client, clientSecret, scope, others]) => {
        const named = [grant, client, clientSecret, scope].filter((field) => field !== undefined);
        return new URLSearchParams([...named, ...others]).toString();
      });
    const basic = fc.oneof(
      fc
        .tuple(value(id), value(secret))
        .map(([user, password]) => `${formEncode(user)}:${formEncode(password)}`)
        .map((credentials) => `Basic ${Buffer.from(credentials).toString("base64")}`),
      fc.uint8Array({ maxLength: 40 }).map((bytes) => `Basic ${Buffer.from(bytes).toString("base64")}`),
      fc.stringMatching(/^[\x21-\x7e]{0,30}$/).map((text) => `Basic ${text}`),
    );
    const tenant = fc.oneof(
      fc.constantFrom(tenantId, randomUUID(), "common"),
      fc
        .string({ minLength: 1 })
        .filter((text) => text !== "." && text !== "..")
        .map(encodeURIComponent),
    );

    await fc.assert(
      fc.asyncProperty(
        tenant,
        fc.oneof(form, fc.string(), fc.string({ unit: "binary" })),
        fc.option(basic, { nil: undefined }),
        async (tenantSegment, body, authorization) => {
          const response = await fetch(`${sim.url}/${tenantSegment}/oauth2/v2.0/token`, {
            method: "POST",
            headers: {
              "Content-Type": "application/x-www-form-urlencoded",
              ...(authorization !== undefined && { Authorization: authorization }),
            },
            body,
          });
          const answer = (await response.json()) as Record<string, unknown>;
          expect([200, 400, 401]).toContain(response.status);
          if (response.status === 200) {
            expect(answer["token_type"]).toBe("Bearer");
            return;
          }
          expect(oauthErrors).toContain(answer["error"]);
          expect(answer["error_description"]).toMatch(/^AADSTS\d+: /);
        },
      ),
      { numRuns: 100 },
    );
  });
});
