// The parsers' modes and the shape of what they return: tolerant by default for notifications, responses and Graph
// errors alike; strict repairs nothing; and `rejected` is empty on every path that refuses nothing one by one.
import { describe, expect, it } from "vitest";
import { parseGraphError, parseInviteResponse, parseNotifications } from "../src/index.js";
import { examplesDir, readText } from "./helpers.js";

type Json = Record<string, unknown>;

const body = JSON.parse(readText(examplesDir, "example-1-invite-one-participant.operation-completed.json")) as {
  value: Json[];
};
const notification = body.value[0] as Json;
const response = JSON.parse(readText(examplesDir, "example-1-invite-one-participant.response.json")) as Json;
const codes = (issues: readonly { pointer: string; code: string }[]) =>
  issues.map((issue) => `${issue.pointer} ${issue.code}`);
const missingHash = { ...notification, "@odata.type": "microsoft.graph.commsNotification" };

describe("rejected is empty wherever nothing was refused one by one", () => {
  it.each([
    ["text that is not JSON", "{", {}],
    ["a strict refusal", { value: [{ ...notification, extra: 1 }] }, { mode: "strict" as const }],
    ["an envelope whose value is no array", { value: "x" }, {}],
    ["an envelope with a property of the wrong type", { ...body, "@odata.type": 5 }, {}],
  ])("%s", (_, input, options) => {
    const result = parseNotifications(input, options);
    expect(result.ok).toBe(false);
    expect(result.rejected).toEqual([]);
  });

  it("a strict pass", () => {
    const result = parseNotifications(body, { mode: "strict" });
    expect(result).toMatchObject({ ok: true, rejected: [] });
    expect(result.ok && result.notifications.map((classified) => classified.kind)).toEqual(["operation"]);
  });
});

describe("tolerant by default", () => {
  it("an envelope's undeclared property is accepted, and one with no array for value is refused for that alone", () => {
    expect(parseNotifications({ ...body, extra: 1 })).toMatchObject({ ok: true, warnings: [] });
    const refused = parseNotifications({ value: "x", extra: 1 });
    expect(refused.ok).toBe(false);
    expect(!refused.ok && codes(refused.errors)).toEqual(["/value schema.type"]);
  });

  it("a Graph error body: an undeclared property accepted, an @odata.type without its # read with one", () => {
    const error = {
      error: { code: "x", message: "y", "@odata.type": "microsoft.graph.publicError" },
      extra: 1,
    };
    const result = parseGraphError(error);
    expect(result.ok).toBe(true);
    expect(codes(result.warnings)).toEqual(["/error/@odata.type odata-type.missing-hash"]);
    expect(parseGraphError(error, { mode: "strict" }).ok).toBe(false);
  });
});

describe("strict repairs nothing", () => {
  it("an @odata.type without its # is an error, not a warning", () => {
    const result = parseNotifications({ value: [missingHash] }, { mode: "strict" });
    expect(result.ok).toBe(false);
    expect(result.warnings).toEqual([]);
    expect(!result.ok && codes(result.errors)).toEqual(["/value/0/@odata.type schema.const"]);
    expect(codes(parseNotifications({ value: [missingHash] }).warnings)).toEqual([
      "/value/0/@odata.type odata-type.missing-hash",
    ]);
  });

  it("a response's status in a casing the contract does not list is refused, not rewritten", () => {
    const shouted = { ...response, status: "RUNNING" };
    const strict = parseInviteResponse(shouted, { mode: "strict" });
    expect(strict.ok).toBe(false);
    expect(!strict.ok && codes(strict.errors)).toEqual(["/status schema.enum"]);
    expect(parseInviteResponse(shouted)).toMatchObject({ ok: true, value: { status: "running" } });
  });
});
