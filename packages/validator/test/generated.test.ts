// The generated validators accept exactly what the spec's schemas accept. The generator rewrites each oneOf into an
// if/then chain on @odata.type, which is only right while every branch pins its tag; this compares the two on every
// known payload and on mutations of them.
import { readFileSync } from "node:fs";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { knownOmissions as generatorOmissions, strictSchemas, tolerantSchemas } from "../scripts/schemas.mjs";
import { validatorFor } from "../src/index.js";
import { knownOmissions } from "../src/normalise.js";
import { knownPayloads, mutatedPayload } from "./arbitraries.js";
import { specPath } from "./helpers.js";

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;
const spec = parse(readFileSync(specPath, "utf8"));
const roots = ["invitePostRequestBody", "inviteParticipantsOperation", "odataError", "commsNotifications"] as const;

/** The schemas compiled as they are, oneOf and all. */
function compileAsWritten(schemas: Record<string, unknown>): (name: string) => ValidateFunction {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
  addFormats(ajv);
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

it("accept in tolerant mode the same omissions that the parser reports", () => {
  expect(knownOmissions).toEqual(generatorOmissions);
});
