// The type guards and the lookup of validators by schema name: strict unless told otherwise, each guard on its own
// schema, a lookup kept once made, and an unknown name refused by name. And a parsed value too deep to copy.
import { describe, expect, it } from "vitest";
import {
  isCommsNotifications,
  isGraphError,
  isInviteRequest,
  isInviteResponse,
  isSchema,
  parseNotifications,
  type SchemaName,
  validateSchema,
  validatorFor,
} from "../src/index.js";
import { examplesDir, readText } from "./helpers.js";

const example = (name: string) => JSON.parse(readText(examplesDir, name)) as Record<string, unknown>;
const request = example("example-1-invite-one-participant.request.json");
const response = example("example-1-invite-one-participant.response.json");
const notifications = example("example-1-invite-one-participant.operation-completed.json");
const graphError = { error: { code: "badRequest", message: "no" } };
const undeclared = <T extends object>(value: T) => ({ ...value, undeclared: 1 });

describe("the guards", () => {
  it.each([
    ["isInviteRequest", (data: unknown) => isInviteRequest(data), request],
    ["isInviteResponse", (data: unknown) => isInviteResponse(data), response],
    ["isGraphError", (data: unknown) => isGraphError(data), graphError],
    ["isCommsNotifications", (data: unknown) => isCommsNotifications(data), notifications],
  ])("%s: its own schema, strict by default", (_, guard, valid) => {
    expect(guard(valid)).toBe(true);
    expect(guard(undeclared(valid))).toBe(false);
    for (const other of [request, response, graphError, notifications].filter((payload) => payload !== valid)) {
      expect(guard(other)).toBe(false);
    }
  });

  it.each([
    ["isInviteResponse", isInviteResponse, response],
    ["isGraphError", isGraphError, graphError],
    ["isCommsNotifications", isCommsNotifications, notifications],
  ] as const)("%s takes tolerant mode on request", (_, guard, valid) => {
    expect(guard(undeclared(valid), "tolerant")).toBe(true);
  });

  it("isSchema and validateSchema are strict by default and tolerant on request", () => {
    expect(isSchema("inviteParticipantsOperation", undeclared(response))).toBe(false);
    expect(isSchema("inviteParticipantsOperation", undeclared(response), "tolerant")).toBe(true);
    const strict = validateSchema("inviteParticipantsOperation", undeclared(response));
    expect(strict.ok).toBe(false);
    expect(!strict.ok && strict.errors.map((error) => `${error.pointer} ${error.code}`)).toEqual([
      "/undeclared schema.unknown-property",
    ]);
    expect(validateSchema("inviteParticipantsOperation", undeclared(response), "tolerant").ok).toBe(true);
  });
});

describe("validatorFor", () => {
  it("is strict by default, and gives the same validator for a name and mode each time", () => {
    const strict = validatorFor("odataError");
    expect(strict(undeclared(graphError))).toBe(false);
    expect(validatorFor("odataError")).toBe(strict);
    expect(validatorFor("odataError", "strict")).toBe(strict);
    const tolerant = validatorFor("odataError", "tolerant");
    expect(tolerant).not.toBe(strict);
    expect(tolerant(undeclared(graphError))).toBe(true);
    expect(validatorFor("odataError", "tolerant")).toBe(tolerant);
  });

  it("refuses a name the spec does not have, naming it, and a prototype's name as well", () => {
    expect(() => validatorFor("nope" as SchemaName)).toThrow(new TypeError('No schema named "nope" in the spec'));
    expect(() => validatorFor("toString" as SchemaName)).toThrow(
      new TypeError('No schema named "toString" in the spec'),
    );
  });
});

it("a parsed value nested deeper than copying allows is refused as deep text is", () => {
  let deep: unknown = 1;
  for (let level = 0; level < 200_000; level++) deep = [deep];
  const result = parseNotifications({ value: [deep] });
  expect(result.ok).toBe(false);
  expect(!result.ok && result.errors).toEqual([expect.objectContaining({ pointer: "", code: "json.too-deep" })]);
});
