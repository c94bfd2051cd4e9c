// The generated validators accept exactly what the spec's schemas accept. The generator rewrites each oneOf into an
// if/then chain on @odata.type, which is only right while every branch pins its tag; this compares the two on every
// known payload and on mutations of them.
import { readFileSync } from "node:fs";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { formatKeywords, strictSchemas, tolerantSchemas } from "../scripts/schemas.mjs";
import { validatorFor } from "../src/index.js";
import { knownPayloads, mutatedPayload } from "./arbitraries.js";
import { specPath } from "./helpers.js";

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;
const spec = parse(readFileSync(specPath, "utf8"));
const roots = ["invitePostRequestBody", "inviteParticipantsOperation", "odataError", "commsNotifications"] as const;

/** The schemas compiled as they are, oneOf and all. */
function compileAsWritten(schemas: Record<string, unknown>): (name: string) => ValidateFunction {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
  ajv.addSchema({
    $id: "as-written.json",
    $defs: JSON.parse(JSON.stringify(schemas).replaceAll('"#/$defs/', '"as-written.json#/$defs/')),
  });
  return (name) => ajv.getSchema(`as-written.json#/$defs/${name}`) as ValidateFunction;
}

describe.each([
  ["strict", compileAsWritten(strictSchemas(spec.components.schemas))],
  ["tolerant", compileAsWritten(tolerantSchemas(spec.components.schemas))],
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
  const ajv = new Ajv2020({ strict: true });
  addFormats(ajv);
  const samples = fc.oneof(
    fc.integer({ min: -(2 ** 33), max: 2 ** 33 }),
    fc.constantFrom(2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 53, -(2 ** 53), 2 ** 53 - 1, 0.5),
    fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
    fc.constantFrom("2026-11-27T08:00:00Z", "2026-11-27T08:00:00.123+01:00", "2026-13-01T00:00:00Z", "2026-11-27", "x"),
  );

  it.each(Object.keys(formatKeywords))("%s accepts what ajv-formats accepts", (format) => {
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
