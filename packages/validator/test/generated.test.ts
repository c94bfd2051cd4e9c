// The generated validators accept exactly what the spec's schemas accept. The generator rewrites the schemas (formats
// as keywords, each oneOf as an if/then chain on @odata.type, both modes in one set of functions); this compares its
// output with ajv compiling the spec as written, on every known payload and on mutations of them. The reference is
// built here from the spec alone, never from the generator's transforms (scripts/schemas.mjs), so that a bug in a
// transform shows as a disagreement instead of being copied into the reference.
import { readFileSync } from "node:fs";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { formatKeywords } from "../scripts/schemas.mjs";
import { validatorFor } from "../src/index.js";
import { knownPayloads, mutatedPayload } from "./arbitraries.js";
import { specPath } from "./helpers.js";

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;
/** The parts of a schema object that the tolerated deviations change. */
interface Schema {
  properties: Record<string, Record<string, unknown>>;
  required: string[];
  oneOf: Array<{ $ref: string }>;
}
type Schemas = Record<string, unknown>;
const spec = parse(readFileSync(specPath, "utf8"));
const roots = ["invitePostRequestBody", "inviteParticipantsOperation", "odataError", "commsNotifications"] as const;

/**
 * ajv-formats reads int64 as any integer ("JavaScript's max int is 2**53"), yet a number past ±2^63 is no Int64: the
 * generator bounds it, and so does the reference. Every other format is ajv-formats' own.
 */
function withFormats(ajv: Ajv2020): Ajv2020 {
  addFormats(ajv);
  return ajv.addFormat("int64", {
    type: "number",
    validate: (value: number) => Number.isInteger(value) && value >= -(2 ** 63) && value <= 2 ** 63 - 1,
  });
}

/** The schemas compiled as written: oneOf, formats (ajv-formats') and `#/components/schemas/…` references. */
function compileAsWritten(schemas: Schemas): (name: string) => ValidateFunction {
  // Not strict: the spec carries `x-` annotations, which ajv's strict mode refuses as unknown keywords.
  const ajv = withFormats(new Ajv2020({ allErrors: true, strict: false }));
  ajv.addSchema({ $id: "graph-invite.json", components: { schemas } });
  return (name) => ajv.getSchema(`graph-invite.json#/components/schemas/${name}`) as ValidateFunction;
}

/**
 * What tolerant mode accepts beyond the contract, as the README and the spec's description state it: any property
 * the contract does not declare; the absence of the required properties Graph is known to omit; a derived type the
 * contract does not know where it names a base type Graph derives further (identity, identitySet, commsOperation);
 * `participantInfo` as the tag of an invitationParticipantInfo; and any string where a named enum of the spec lists
 * its values, since Graph's enums are evolvable.
 */
function tolerated(schemas: Schemas): Schemas {
  const open: Schemas = JSON.parse(
    JSON.stringify(schemas, (key, value) => (key === "additionalProperties" && value === false ? undefined : value)),
  );
  const schema = (name: string) => open[name] as Schema;
  const omitted = {
    participant: ["info", "isInLobby", "isMuted"],
    mediaStream: ["serverMuted"],
    resultInfo: ["subcode"],
  };
  for (const [name, properties] of Object.entries(omitted)) {
    schema(name).required = schema(name).required.filter((property) => !properties.includes(property));
  }
  const tagOf = (name: string) => schema(name).properties["@odata.type"]?.["const"];
  for (const [base, union, family] of [
    ["identity", "anyIdentity", "Identity"],
    ["identitySet", "anyIdentitySet", "IdentitySet"],
    ["commsOperation", "anyCommsOperation", "Operation"],
  ] as const) {
    // The union's other members keep their own tags, so that each payload still matches exactly one member.
    const others = schema(union)
      .oneOf.map(({ $ref }) => tagOf($ref.split("/").at(-1) as string))
      .filter((tag) => tag !== tagOf(base));
    schema(base).properties["@odata.type"] = {
      type: "string",
      pattern: `^#microsoft\\.graph\\.(${base}|[A-Za-z]+${family})$`,
      not: { enum: others },
    };
  }
  for (const [name, enumSchema] of Object.entries(open) as Array<[string, Record<string, unknown>]>) {
    if (enumSchema["type"] === "string" && Array.isArray(enumSchema["enum"])) {
      const { enum: _members, ...rest } = enumSchema;
      open[name] = rest;
    }
  }
  schema("invitationParticipantInfo").properties["@odata.type"] = {
    enum: ["#microsoft.graph.invitationParticipantInfo", "#microsoft.graph.participantInfo"],
  };
  return open;
}

describe.each([
  ["strict", compileAsWritten(spec.components.schemas)],
  ["tolerant", compileAsWritten(tolerated(spec.components.schemas))],
] as const)("%s validators", (mode, asWritten) => {
  it.each(roots)("agree with the spec's %s on every known payload", (root) => {
    for (const payload of knownPayloads) {
      expect(validatorFor(root, mode)(payload)).toBe(asWritten(root)(payload));
    }
  });

  it.each(roots)("agree with the spec's %s on mutated payloads", (root) => {
    fc.assert(
      fc.property(mutatedPayload, (payload) => {
        expect(validatorFor(root, mode)(payload)).toBe(asWritten(root)(payload));
      }),
      { numRuns: 1500 },
    );
  });
});

describe("the formats, stated as keywords", () => {
  const ajv = withFormats(new Ajv2020({ strict: true }));
  const samples = fc.oneof(
    fc.integer({ min: -(2 ** 33), max: 2 ** 33 }),
    fc.constantFrom(2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 53, -(2 ** 53), 2 ** 53 - 1, 0.5),
    // The doubles either side of ±2^63, the mutations that once found the two readings of int64 apart.
    fc.constantFrom(2 ** 63, -(2 ** 63), 9223372036854778000, -9223372036854778000),
    fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
    fc.constantFrom("2026-11-27T08:00:00Z", "2026-11-27T08:00:00.123+01:00", "2026-13-01T00:00:00Z", "2026-11-27", "x"),
  );

  it.each(Object.keys(formatKeywords))("%s accepts what the reference accepts", (format) => {
    const type = format === "date-time" ? "string" : "integer";
    const withFormat = ajv.compile({ type, format });
    const withKeywords = ajv.compile({ type, ...formatKeywords[format] });
    fc.assert(
      fc.property(samples, (value) => {
        expect(withKeywords(value)).toBe(withFormat(value));
      }),
      { numRuns: 1000 },
    );
  });
});
