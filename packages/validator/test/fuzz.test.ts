// Arbitrary and mutated payloads, very deep nesting and huge strings: nothing throws, nothing hangs, and every
// failure comes back as data with a pointer and a message. Mutations known to break the contract are refused, and
// the error says where.

import { example, exampleNames, knownBadMutations } from "@graph-invite/test-support/examples";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type Issue,
  parseGraphError,
  parseInviteResponse,
  parseNotifications,
  validateInviteRequest,
  validateSchema,
} from "../src/index.js";
import { locateSyntaxError } from "../src/json.js";
import { knownPayloads, mutatedPayload } from "./arbitraries.js";
import { checkAsExample, exampleKind } from "./helpers.js";

const checks = {
  parseNotifications: (input: unknown) => parseNotifications(input),
  parseNotificationsStrict: (input: unknown) => parseNotifications(input, { mode: "strict" }),
  parseInviteResponse: (input: unknown) => parseInviteResponse(input),
  parseGraphError: (input: unknown) => parseGraphError(input),
  validateInviteRequest: (input: unknown) =>
    validateInviteRequest(input, { callKind: "group", botInCall: true, cloud: "global" }),
  validateSchema: (input: unknown) => validateSchema("call", input),
};

function expectWellFormed(issues: readonly Issue[]): void {
  for (const issue of issues) {
    expect(issue.pointer === "" || issue.pointer.startsWith("/")).toBe(true);
    expect(issue.code).toMatch(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/);
    expect(issue.message.length).toBeGreaterThan(5);
    expect(issue.message.length).toBeLessThan(2000);
  }
}

function expectData(result: { ok: boolean; warnings: readonly Issue[]; errors?: readonly Issue[] }): void {
  expectWellFormed(result.warnings);
  if (!result.ok) {
    expect(result.errors?.length).toBeGreaterThan(0);
    expectWellFormed(result.errors ?? []);
  }
}

/** The errors of a result that has them, or none. */
const errorsOf = (result: { ok: boolean }): readonly Issue[] =>
  "errors" in result ? (result.errors as readonly Issue[]) : [];

describe.each(Object.entries(checks))("%s", (_, run) => {
  it("returns data for any JSON value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => expectData(run(value))),
      { numRuns: 300 },
    );
  });

  it("returns data for any text", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (text) => expectData(run(text))),
      { numRuns: 300 },
    );
  });

  it("returns data for mutated real payloads, as objects and as text", () => {
    fc.assert(
      fc.property(mutatedPayload, (payload) => {
        expectData(run(payload));
        expectData(run(JSON.stringify(payload)));
      }),
      { numRuns: 300 },
    );
  });

  it("refuses nesting far deeper than Graph's, as data", () => {
    for (const depth of [100, 10_000, 200_000]) {
      const deep = `${'{"value":['.repeat(depth)}${"]}".repeat(depth)}`;
      const result = run(deep);
      expect(result.ok).toBe(false);
      expectData(result);
    }
  });

  it("refuses a huge string where a length rule forbids it, with a message that does not carry it", () => {
    const huge = "x".repeat(5_000_000);
    const request = run({
      participants: [{ identity: { user: { id: huge, displayName: huge } } }],
      clientContext: huge,
    });
    expect(request.ok).toBe(false);
    expectData(request);
    const notification = run(
      JSON.stringify({ value: [{ changeType: "updated", resourceUrl: huge, resourceData: huge }] }),
    );
    expect(notification.ok).toBe(false);
    expectData(notification);
  });

  it("refuses bytes that are not UTF-8 as an encoding error at the root", () => {
    const result = run(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]));
    expect(result.ok).toBe(false);
    expectData(result);
    // validateSchema takes a parsed value, so to it the bytes are an object with numeric keys, not text.
    if (run !== checks.validateSchema)
      expect(errorsOf(result)[0]).toMatchObject({ pointer: "", code: "json.encoding" });
  });

  it("refuses values JSON cannot carry at the root, as not data", () => {
    for (const value of [{ value: [() => 1] }, Symbol("x")]) {
      const result = run(value);
      expect(result.ok).toBe(false);
      expectData(result);
      if (run !== checks.validateSchema)
        expect(errorsOf(result)[0]).toMatchObject({ pointer: "", code: "json.not-data" });
    }
  });
});

describe("what each check says about a huge string", () => {
  const huge = "x".repeat(5_000_000);

  it("a request's clientContext over 256 characters, at /clientContext", () => {
    const result = checks.validateInviteRequest({
      participants: [{ identity: { user: { id: "u", displayName: "U" } } }],
      clientContext: huge,
    });
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.errors).toEqual([expect.objectContaining({ pointer: "/clientContext" })]);
    expect(JSON.stringify(result).length).toBeLessThan(10_000);
  });

  it("a notification's resourceData that is a string, at /value/0/resourceData", () => {
    for (const run of [checks.parseNotifications, checks.parseNotificationsStrict]) {
      const result = run(JSON.stringify({ value: [{ changeType: "updated", resourceUrl: huge, resourceData: huge }] }));
      expect(result.ok).toBe(false);
      const errors = result.ok ? [] : result.errors;
      expect(errors.map((issue) => issue.pointer)).toContain("/value/0/resourceData");
      // What the parser says stays short; the rejected notification itself is kept whole, as data.
      expect(JSON.stringify({ errors, warnings: result.warnings }).length).toBeLessThan(10_000);
    }
  });
});

describe("the nesting limit", () => {
  /** `levels` arrays inside the outermost one: `[[…]]` with `levels + 1` brackets. */
  const nested = (levels: number) => `${"[".repeat(levels + 1)}${"]".repeat(levels + 1)}`;
  const parsers = Object.entries(checks).filter(([name]) => name.startsWith("parse"));
  const tooDeep = (result: { ok: boolean }) => errorsOf(result).find((issue) => issue.code === "json.too-deep");
  // The limit as the refusal states it, so that the test follows the constant rather than restating it.
  const limit = Number(
    /more than (\d+) levels/.exec(tooDeep(checks.parseNotifications(nested(1000)))?.message ?? "")?.[1],
  );

  it("is stated in the refusal", () => {
    expect(limit).toBeGreaterThan(8);
  });

  it.each(parsers)("%s takes exactly its depth, and refuses one more", (_, run) => {
    for (const input of [nested(limit), JSON.parse(nested(limit)) as unknown])
      expect(tooDeep(run(input))).toBeUndefined();
    for (const input of [nested(limit + 1), JSON.parse(nested(limit + 1)) as unknown]) {
      expect(tooDeep(run(input))).toMatchObject({ pointer: "" });
    }
  });
});

describe("the JSON syntax locator", () => {
  it("finds a fault exactly when JSON.parse fails", () => {
    const nearlyJson = fc
      .tuple(fc.json(), fc.nat(), fc.constantFrom("", ",", "}", "]", "//", "'", "\\", '"', "\n", "tru", "-", "0"))
      .map(([text, at, insert]) => text.slice(0, at % (text.length + 1)) + insert + text.slice(at % (text.length + 1)));
    fc.assert(
      fc.property(fc.oneof(nearlyJson, fc.string(), fc.json()), (text) => {
        let parses = true;
        try {
          JSON.parse(text);
        } catch {
          parses = false;
        }
        const fault = locateSyntaxError(text);
        expect(fault === undefined).toBe(parses);
        if (fault) expect(fault.offset).toBeLessThanOrEqual(text.length);
      }),
      { numRuns: 2000 },
    );
  });
});

it("parses every known payload the same from text, from bytes and from an object", () => {
  for (const payload of knownPayloads) {
    const text = JSON.stringify(payload);
    const fromObject = parseNotifications(payload);
    expect(parseNotifications(text)).toEqual(fromObject);
    expect(parseNotifications(new TextEncoder().encode(text))).toEqual(fromObject);
  }
});

/** Members the contract requires wherever the seed's examples carry them. */
const required = {
  request: ["participants", "identity"],
  response: ["status", "identity"],
  notifications: ["value", "changeType", "identity", "status", "mediaType", "sourceId", "direction"],
};
/** Required members that tolerant mode lets Graph omit (or, for `resourceUrl`, reads from `resource`). */
const requiredInStrictOnly = ["resourceUrl", "info", "isInLobby", "isMuted", "serverMuted"];

describe.each(["strict", "tolerant"] as const)("known-bad mutations of the seed's examples, in %s mode", (mode) => {
  const requiredIn = (name: string) => {
    const kind = exampleKind(name);
    return [...required[kind], ...(mode === "strict" && kind === "notifications" ? requiredInStrictOnly : [])];
  };
  const mutations = exampleNames().flatMap((name) =>
    knownBadMutations(example(name), requiredIn(name)).map((mutation) => ({ name, ...mutation })),
  );

  it("are refused, with an error at the member that was changed", () => {
    expect(new Set(mutations.map((mutation) => mutation.kind)).size).toBe(5);
    // A few hundred in all, so every one is checked rather than a sample.
    for (const { name, kind, pointer, payload } of mutations) {
      const result = checkAsExample(name, payload, mode);
      expect(result.ok, `${kind} at ${pointer} in ${name}`).toBe(false);
      expect(
        result.ok ? [] : result.errors.map((error) => error.pointer),
        `${kind} at ${pointer} in ${name}`,
      ).toContain(pointer);
    }
  });
});
