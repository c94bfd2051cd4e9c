// Every constraint the spec states (a format, a pattern, a length, a count, an enum, a const) is enforced by the
// generated validators, in both modes. Each case below breaks one keyword of the spec and expects an error that
// points at the broken value; a keyword the generator drops, or states wrongly, fails its case. The table must name
// every such keyword of the spec, so that a keyword added to the spec is a keyword tested.
import { readFileSync } from "node:fs";
import { example, exampleNames, knownBadMutations } from "@graph-invite/test-support/examples";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseInviteResponse, parseNotifications, type SchemaName, validateSchema } from "../src/index.js";
import { checkAsExample, specPath } from "./helpers.js";

const spec = parse(readFileSync(specPath, "utf8"));
const schemas: Record<string, unknown> = spec.components.schemas;

interface Case {
  /** The schema to validate against. */
  readonly schema: SchemaName;
  /** A value the schema accepts. */
  readonly valid: unknown;
  /** Where in `valid` the keyword applies. */
  readonly at: string;
  /** A value there that breaks the keyword, and one at its edge that does not. */
  readonly breaks: unknown;
  readonly edge?: unknown;
}

type Json = Record<string, unknown>;
const inviteOne = example<Json>("example-1-invite-one-participant.request.json");
const invitePhone = example<Json>("example-4-invite-phone-participant.request.json");
const rosterEntry = (example<{ value: Array<{ resourceData: Json[] }> }>(
  "example-1-invite-one-participant.roster-updated.json",
).value[0]?.resourceData[0] ?? {}) as Json;
const participants = inviteOne["participants"] as unknown[];
const resultInfo = { code: 200, subcode: 5001, message: "ok" };
const restricted = { contentSharingDisabled: "watermarkProtection", videoDisabled: null };
const int64Breaks = 2 ** 64;

/** Each keyword of the spec, by its place in `components.schemas`, with a case that breaks it. */
const cases: Record<string, Case> = {
  "invitePostRequestBody/properties/participants/minItems": {
    schema: "invitePostRequestBody",
    valid: inviteOne,
    at: "/participants",
    breaks: [],
  },
  "invitePostRequestBody/properties/participants/maxItems": {
    schema: "invitePostRequestBody",
    valid: inviteOne,
    at: "/participants",
    breaks: Array(6).fill(participants[0]),
    edge: Array(5).fill(participants[0]),
  },
  "clientContext/maxLength": {
    schema: "invitePostRequestBody",
    valid: inviteOne,
    at: "/clientContext",
    breaks: "x".repeat(257),
    edge: "😀".repeat(256),
  },
  "nullablePhoneIdentity/then/properties/id/pattern": {
    schema: "invitePostRequestBody",
    valid: invitePhone,
    at: "/participants/0/identity/phone/id",
    breaks: "12345678901",
    edge: "+123456789012345",
  },
  "communicationsPhoneIdentity/properties/id/pattern": {
    schema: "communicationsPhoneIdentity",
    valid: { "@odata.type": "#microsoft.graph.communicationsPhoneIdentity", id: "+12345678901" },
    at: "/id",
    breaks: "+1234567890123456",
  },
  "onlineMeetingRestricted/properties/contentSharingDisabled/pattern": {
    schema: "onlineMeetingRestricted",
    valid: restricted,
    at: "/contentSharingDisabled",
    breaks: "watermarkProtection,",
    edge: "watermarkProtection,unknownFutureValue",
  },
  "onlineMeetingRestricted/properties/videoDisabled/pattern": {
    schema: "onlineMeetingRestricted",
    valid: restricted,
    at: "/videoDisabled",
    breaks: "none",
    edge: "unknownFutureValue",
  },
  "resultInfo/properties/code/format": {
    schema: "resultInfo",
    valid: resultInfo,
    at: "/code",
    breaks: 2 ** 31,
    edge: 2 ** 31 - 1,
  },
  "resultInfo/properties/subcode/format": {
    schema: "resultInfo",
    valid: resultInfo,
    at: "/subcode",
    breaks: -(2 ** 31) - 1,
    edge: -(2 ** 31),
  },
  "participant/properties/rosterSequenceNumber/format": {
    schema: "participant",
    valid: rosterEntry,
    at: "/rosterSequenceNumber",
    breaks: int64Breaks,
    edge: 2 ** 53,
  },
  "deltaParticipants/properties/sequenceNumber/format": {
    schema: "deltaParticipants",
    valid: { "@odata.type": "#microsoft.graph.deltaParticipants", sequenceNumber: 1 },
    at: "/sequenceNumber",
    breaks: -int64Breaks,
  },
  "toneInfo/properties/sequenceId/format": {
    schema: "toneInfo",
    valid: { sequenceId: 1, tone: "tone1" },
    at: "/sequenceId",
    breaks: int64Breaks,
  },
  "callTranscriptionInfo/properties/lastModifiedDateTime/format": {
    schema: "callTranscriptionInfo",
    valid: { state: "active", lastModifiedDateTime: "2026-11-27T08:00:00Z" },
    at: "/lastModifiedDateTime",
    breaks: "2026-11-27 08:00",
    edge: "2026-11-27T08:00:00.1234567+05:30",
  },
  "participantInfo/properties/@odata.type/enum": {
    schema: "participantInfo",
    valid: rosterEntry["info"],
    at: "/@odata.type",
    breaks: "#microsoft.graph.identitySet",
  },
  ...Object.fromEntries(
    (
      [
        ["operationStatus", "Running", "Runnin"],
        ["changeType", "deleted", "Deleted"],
        ["mediaDirection", "sendReceive", "sendreceive"],
        ["modality", "videoBasedScreenSharing", "screen"],
        ["endpointType", "skypeForBusinessVoipPhone", "phone"],
        ["recordingStatus", "notRecording", "off"],
        ["callState", "terminated", "ended"],
        ["callDirection", "outgoing", "out"],
        ["mediaState", "inactive", "muted"],
        ["routingType", "selfFork", "fork"],
        ["callTranscriptionState", "notStarted", "started"],
        ["tone", "flash", "tone10"],
      ] as const
    ).map(([schema, valid, breaks]): [string, Case] => [`${schema}/enum`, { schema, valid, at: "", breaks }]),
  ),
};

/** The spec's named enums: those Graph may extend. */
const enumSchemas = Object.fromEntries(
  Object.entries(schemas as Record<string, Json>).filter(
    ([, schema]) => schema["type"] === "string" && Array.isArray(schema["enum"]),
  ),
);

/** The assertions that JSON Schema makes about a value, as opposed to those about its shape. */
const assertionKeywords = new Set([
  "format",
  "pattern",
  "minLength",
  "maxLength",
  "minItems",
  "maxItems",
  "uniqueItems",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
  "minProperties",
  "maxProperties",
  "enum",
]);

/** `path/keyword` of every assertion keyword in the spec's schemas (not in `x-` annotations, not property names). */
function assertionsIn(node: unknown, path: string[] = []): string[] {
  if (node === null || typeof node !== "object") return [];
  return Object.entries(node).flatMap(([key, child]) => {
    if (key.startsWith("x-")) return [];
    if (key === "properties" && path.at(-1) !== "properties") {
      return Object.entries(child as Json).flatMap(([name, schema]) =>
        assertionsIn(schema, [...path, "properties", name]),
      );
    }
    return [...(assertionKeywords.has(key) ? [[...path, key].join("/")] : []), ...assertionsIn(child, [...path, key])];
  });
}

function withValue(value: unknown, pointer: string, replacement: unknown): unknown {
  if (pointer === "") return replacement;
  const copy = structuredClone(value);
  const keys = pointer.slice(1).split("/");
  const last = keys.pop() as string;
  const parent = keys.reduce<Json>((node, key) => node[key] as Json, copy as Json);
  parent[last] = replacement;
  return copy;
}

it("the table names every assertion keyword of the spec, and only those", () => {
  expect(Object.keys(cases).sort()).toEqual(assertionsIn(schemas).sort());
});

describe.each(["strict", "tolerant"] as const)("in %s mode", (mode) => {
  describe.each(Object.entries(cases))("%s", (_, { schema, valid, at, breaks, edge }) => {
    it("accepts the valid value and the value at the keyword's edge", () => {
      for (const value of edge === undefined ? [valid] : [valid, withValue(valid, at, edge)]) {
        const result = validateSchema(schema, value, mode);
        expect(result.ok ? [] : result.errors).toEqual([]);
      }
    });

    // Graph's enums are evolvable: in tolerant mode a value a named enum does not list is data, not an error.
    const evolvable = mode === "tolerant" && schema in enumSchemas;
    it(
      evolvable ? "accepts a value the enum does not list" : "refuses a value that breaks the keyword, pointing at it",
      () => {
        const result = validateSchema(schema, withValue(valid, at, breaks), mode);
        if (evolvable) expect(result.ok ? [] : result.errors).toEqual([]);
        else expect(result.ok ? [] : result.errors.map((error) => error.pointer)).toContain(at);
      },
    );
  });

  // Through the parsers as a bot calls them, where tolerant mode could have normalised a value away.
  it("refuses a notification whose date-time is not one", () => {
    const body = {
      value: [
        {
          changeType: "updated",
          resourceUrl: "/communications/calls/57dab8b1-894c-409a-b240-bd8beae78896",
          resourceData: {
            "@odata.type": "#microsoft.graph.call",
            state: "established",
            transcription: { state: "active", lastModifiedDateTime: "yesterday" },
          },
        },
      ],
    };
    const result = parseNotifications(body, { mode });
    expect(result.ok ? [] : result.errors.map((error) => error.pointer)).toEqual([
      "/value/0/resourceData/transcription/lastModifiedDateTime",
    ]);
    // Named as the format the spec states, not as the regex the generator checks it with.
    expect(result.ok ? [] : result.errors.map(({ code, message }) => ({ code, message }))).toEqual([
      { code: "schema.format", message: expect.stringMatching(/^must be an RFC 3339 date-time, such as /) },
    ]);
  });

  it("refuses an invite response whose clientContext is longer than 256 characters", () => {
    const response = example<Json>("example-1-invite-one-participant.response.json");
    const result = parseInviteResponse({ ...response, clientContext: "x".repeat(257) }, { mode });
    expect(result.ok ? [] : result.errors.map((error) => error.pointer)).toEqual(["/clientContext"]);
  });

  // A const is stated on the `@odata.type` of every type. The seed's examples declare only what the contract does
  // (strict mode accepts them), so every `@odata.type` they carry is held to a const; each is replaced in turn.
  it.each(exampleNames())("refuses an @odata.type that names no type, wherever %s has one", (name) => {
    for (const { kind, pointer, payload } of knownBadMutations(example(name), [])) {
      if (kind !== "unknown-odata-type") continue;
      const result = checkAsExample(name, payload, mode);
      expect(result.ok ? [] : result.errors.map((error) => error.pointer), pointer).toContain(pointer);
    }
  });
});
