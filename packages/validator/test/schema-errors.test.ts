// How ajv's errors become issues: each keyword's code and message, the pointer of a missing or undeclared property,
// the one issue kept for a value of the wrong type, and the value a pointer names. The errors are written as ajv
// reports them, so that a keyword the spec does not use today still reads well the day it does.
import { describe, expect, it } from "vitest";
import type { CompiledValidator, SchemaError } from "../src/compiled-validator.js";
import { asIssue, check, describeErrors, valueAt } from "../src/schema-errors.js";

const error = (keyword: string, instancePath: string, params: Record<string, unknown> = {}): SchemaError => ({
  keyword,
  instancePath,
  params,
});

/** The one issue a single error of ajv becomes, for `data`. */
function described(failure: SchemaError, data: unknown) {
  const issues = describeErrors([failure], data);
  expect(issues).toHaveLength(1);
  return asIssue(issues[0] as (typeof issues)[number]);
}

describe("each keyword's issue", () => {
  const data = {
    name: "Ada",
    tags: ["a", "b"],
    count: 3,
    when: "yesterday",
    "@odata.type": "#microsoft.graph.other",
  };

  it.each([
    [error("required", "", { missingProperty: "id" }), "/id", "schema.required", "`id` is required here"],
    [error("required", "/a~1b", { missingProperty: "x/y" }), "/a~1b/x~1y", "schema.required", "`x/y` is required here"],
    [
      error("additionalProperties", "", { additionalProperty: "nmae" }),
      "/nmae",
      "schema.unknown-property",
      "`nmae` is not a property of this type; check its spelling, or parse in tolerant mode to accept properties the contract does not declare",
    ],
    [error("type", "/count", { type: "string" }), "/count", "schema.type", "must be a string, not 3 (integer)"],
    [error("type", "/name", { type: "object" }), "/name", "schema.type", 'must be an object, not "Ada" (string)'],
    [
      error("type", "/tags", { type: ["string", "null"] }),
      "/tags",
      "schema.type",
      "must be one of string, null, not an array of 2 (array)",
    ],
    [error("const", "/name", { allowedValue: "Bob" }), "/name", "schema.const", 'must be "Bob", not "Ada"'],
    [
      error("enum", "/name", { allowedValues: ["Bob", "Eve"] }),
      "/name",
      "schema.enum",
      'must be one of "Bob", "Eve", not "Ada"',
    ],
    [
      error("enum", "/@odata.type", { allowedValues: ["#microsoft.graph.call", "#microsoft.graph.participant"] }),
      "/@odata.type",
      "schema.odata-type",
      '"#microsoft.graph.other" is not a type this position accepts; use one of "#microsoft.graph.call", "#microsoft.graph.participant"',
    ],
    [
      error("pattern", "/name", { pattern: "^[0-9]+$" }),
      "/name",
      "schema.pattern",
      'must match the pattern ^[0-9]+$, not "Ada"',
    ],
    [
      error("pattern", "/when", {
        pattern:
          "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$",
      }),
      "/when",
      "schema.format",
      'must be an RFC 3339 date-time, such as 2026-12-03T13:45:00Z, not "yesterday"',
    ],
    [
      error("maxLength", "/name", { limit: 2 }),
      "/name",
      "schema.max-length",
      "must be at most 2 characters long, not 3",
    ],
    [error("minLength", "/name", { limit: 5 }), "/name", "schema.min-length", "must be at least 5 characters long"],
    [error("maxItems", "/tags", { limit: 1 }), "/tags", "schema.max-items", "must have at most 1 items, not 2"],
    [error("minItems", "/tags", { limit: 3 }), "/tags", "schema.min-items", "must have at least 3 item(s), not 2"],
    [error("minimum", "/count", { limit: 5 }), "/count", "schema.minimum", "must be at least 5, not 3"],
    [error("maximum", "/count", { limit: 2 }), "/count", "schema.maximum", "must be at most 2, not 3"],
    [error("format", "/when", { format: "uri" }), "/when", "schema.format", 'must be a valid uri, not "yesterday"'],
    [error("not", "/count", {}), "/count", "schema.not", "3 is not allowed here"],
    [
      error("dependentRequired", "", { property: "a", missingProperty: "b" }),
      "",
      "schema.dependentRequired",
      'fails the `dependentRequired` rule of the contract ({"property":"a","missingProperty":"b"})',
    ],
  ])("%j", (failure, pointer, code, message) => {
    expect(described(failure, data)).toEqual({ pointer, code, message });
  });

  it("counts characters, not UTF-16 units, and says nothing of a length or count the value does not have", () => {
    expect(described(error("maxLength", "/s", { limit: 1 }), { s: "😀😀" }).message).toBe(
      "must be at most 1 characters long, not 2",
    );
    expect(described(error("maxLength", "/s", { limit: 1 }), { s: 12 }).message).toBe(
      "must be at most 1 characters long",
    );
    expect(described(error("maxItems", "/s", { limit: 1 }), { s: "ab" }).message).toBe("must have at most 1 items");
  });

  it("keeps only the issue a keyword raises: the keyword is for rules to claim issues by, not for callers", () => {
    const [issue] = describeErrors([error("type", "/count", { type: "string" })], { count: 3 });
    expect(issue?.keyword).toBe("type");
    expect(Object.keys(asIssue(issue as NonNullable<typeof issue>))).toEqual(["pointer", "code", "message"]);
  });
});

describe("the issues of several errors", () => {
  it("a value of the wrong type is reported as that alone, not also as failing its enum, pattern or length", () => {
    const issues = describeErrors(
      [
        error("type", "/a", { type: "string" }),
        error("enum", "/a", { allowedValues: ["x"] }),
        error("maxLength", "/a", { limit: 1 }),
        error("enum", "/b", { allowedValues: ["x"] }),
      ],
      { a: 5, b: "y" },
    );
    expect(issues.map((issue) => [issue.pointer, issue.code])).toEqual([
      ["/a", "schema.type"],
      ["/b", "schema.enum"],
    ]);
  });

  it("an if says only that a then failed: it is left out, and the same issue twice is reported once", () => {
    const issues = describeErrors(
      [
        error("if", "", { failingKeyword: "then" }),
        error("required", "", { missingProperty: "id" }),
        error("required", "", { missingProperty: "id" }),
      ],
      {},
    );
    expect(issues.map(asIssue)).toEqual([
      { pointer: "/id", code: "schema.required", message: "`id` is required here" },
    ]);
  });

  it("check runs the validator: no issue when it passes, its errors described when it fails", () => {
    const passing: CompiledValidator = Object.assign(() => true, { errors: null });
    expect(check(passing, {})).toEqual([]);
    const failing: CompiledValidator = Object.assign(() => false, {
      errors: [error("required", "", { missingProperty: "id" })],
    });
    expect(check(failing, {}).map(asIssue)).toEqual([
      { pointer: "/id", code: "schema.required", message: "`id` is required here" },
    ]);
    // A validator that fails without saying why still fails: an empty list would read as valid.
    const unexplained = { pointer: "", code: "schema.invalid", message: "does not match the contract" };
    expect(
      check(
        Object.assign(() => false, { errors: null }),
        {},
      ).map(asIssue),
    ).toEqual([unexplained]);
    expect(
      check(
        Object.assign(() => false, { errors: [error("if", "", {})] }),
        {},
      ).map(asIssue),
    ).toEqual([unexplained]);
  });
});

describe("valueAt", () => {
  const root = { "a/b": { "c~d": [10, 20] }, n: null, s: "text" };

  it.each([
    ["", root],
    ["/a~1b", root["a/b"]],
    ["/a~1b/c~0d", [10, 20]],
    ["/a~1b/c~0d/1", 20],
    ["/n", null],
    ["/missing", undefined],
    ["/n/below", undefined],
    ["/s/length", undefined],
    ["/a~1b/c~0d/1/x", undefined],
  ])("%s", (pointer, value) => {
    expect(valueAt(root, pointer)).toEqual(value);
  });

  it("unescapes ~1 before ~0, so that ~01 is the key ~1", () => {
    expect(valueAt({ "~1": "tilde one", "/": "slash" }, "/~01")).toBe("tilde one");
  });
});
