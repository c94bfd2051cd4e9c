// Turns the errors of a generated validator into issues a person can act on.
import type { CompiledValidator, SchemaError } from "./compiled-validator.js";
import { formatOfPattern } from "./generated/formats.js";
import type { Issue } from "./issues.js";
import { childPointer, jsonType, preview } from "./pointer.js";

/** An issue that a schema keyword raised; the keyword lets a rule claim the issue as its own. */
export interface SchemaIssue extends Issue {
  readonly keyword: string;
}

/** Runs a validator and describes its errors; an empty list means the data is valid. */
export function check(validator: CompiledValidator, data: unknown): SchemaIssue[] {
  if (validator(data)) return [];
  return describeFailure(validator, data);
}

/**
 * The issues of a validator that has just returned false for `data`: never none, so that a failure is never read as
 * a pass, even from a validator that failed without saying why.
 */
export function describeFailure(validator: CompiledValidator, data: unknown): SchemaIssue[] {
  const issues = describeErrors(validator.errors ?? [], data);
  if (issues.length > 0) return issues;
  return [{ pointer: "", code: "schema.invalid", message: "does not match the contract", keyword: "" }];
}

/** The issue as the API reports it, without the keyword that raised it. */
export function asIssue({ pointer, code, message }: SchemaIssue): Issue {
  return { pointer, code, message };
}

export function describeErrors(errors: readonly SchemaError[], root: unknown): SchemaIssue[] {
  const issues = new Map<string, SchemaIssue>();
  for (const error of errors) {
    // An `if` error only says that a `then` failed; the `then`'s own errors say how.
    if (error.keyword === "if") continue;
    const issue = describeError(error, root);
    issues.set(`${issue.pointer} ${issue.code} ${issue.message}`, issue);
  }
  // A value of the wrong type also fails its enum, pattern or length; the type is the one thing to fix.
  const mistyped = new Set(
    [...issues.values()].filter((issue) => issue.keyword === "type").map((issue) => issue.pointer),
  );
  return [...issues.values()].filter((issue) => issue.keyword === "type" || !mistyped.has(issue.pointer));
}

function describeError(error: SchemaError, root: unknown): SchemaIssue {
  const { keyword, params, instancePath: pointer } = error;
  const value = valueAt(root, error.instancePath);
  const got = `, not ${preview(value)}`;
  const issue = (code: string, message: string, where = pointer): SchemaIssue => ({
    pointer: where,
    code,
    message,
    keyword,
  });
  switch (keyword) {
    case "required":
      return issue(
        "schema.required",
        `\`${String(params["missingProperty"])}\` is required here`,
        childPointer(pointer, String(params["missingProperty"])),
      );
    case "additionalProperties":
      return issue(
        "schema.unknown-property",
        `\`${String(params["additionalProperty"])}\` is not a property of this type; check its spelling, or parse in tolerant mode to accept properties the contract does not declare`,
        childPointer(pointer, String(params["additionalProperty"])),
      );
    case "type":
      return issue("schema.type", `must be ${listOf(params["type"])}${got} (${jsonType(value)})`);
    case "const":
      return issue("schema.const", `must be ${JSON.stringify(params["allowedValue"])}${got}`);
    case "enum": {
      const allowed = params["allowedValues"] as unknown[];
      const isTag = pointer.endsWith("/@odata.type");
      return issue(
        isTag ? "schema.odata-type" : "schema.enum",
        isTag
          ? `${preview(value)} is not a type this position accepts; use one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`
          : `must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}${got}`,
      );
    }
    case "pattern": {
      const pattern = String(params["pattern"]);
      // A format the generator wrote as a pattern is named as the format: the regex helps nobody.
      const format = Object.hasOwn(formatOfPattern, pattern) ? formatOfPattern[pattern] : undefined;
      if (format === "date-time") {
        return issue("schema.format", `must be an RFC 3339 date-time, such as 2026-12-03T13:45:00Z${got}`);
      }
      return issue("schema.pattern", `must match the pattern ${pattern}${got}`);
    }
    case "maxLength":
      return issue("schema.max-length", `must be at most ${String(params["limit"])} characters long${lengthOf(value)}`);
    case "minLength":
      return issue("schema.min-length", `must be at least ${String(params["limit"])} characters long`);
    case "maxItems":
      return issue("schema.max-items", `must have at most ${String(params["limit"])} items${countOf(value)}`);
    case "minItems":
      return issue("schema.min-items", `must have at least ${String(params["limit"])} item(s)${countOf(value)}`);
    case "minimum":
      return issue("schema.minimum", `must be at least ${String(params["limit"])}${got}`);
    case "maximum":
      return issue("schema.maximum", `must be at most ${String(params["limit"])}${got}`);
    case "format":
      return issue("schema.format", `must be a valid ${String(params["format"])}${got}`);
    case "not":
      return issue("schema.not", `${preview(value)} is not allowed here`);
    default:
      return issue(`schema.${keyword}`, `fails the \`${keyword}\` rule of the contract (${JSON.stringify(params)})`);
  }
}

function listOf(types: unknown): string {
  const list = Array.isArray(types) ? types.map(String) : [String(types)];
  return list.length === 1 ? `${article(list[0] ?? "")} ${list[0]}` : `one of ${list.join(", ")}`;
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? "an" : "a";
}

function lengthOf(value: unknown): string {
  return typeof value === "string" ? `, not ${[...value].length}` : "";
}

function countOf(value: unknown): string {
  return Array.isArray(value) ? `, not ${value.length}` : "";
}

/** The value a JSON Pointer names, or undefined. */
export function valueAt(root: unknown, pointer: string): unknown {
  if (pointer === "") return root;
  let node = root;
  for (const raw of pointer.slice(1).split("/")) {
    if (node === null || typeof node !== "object") return undefined;
    const token = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    node = (node as Record<string, unknown>)[token];
  }
  return node;
}
