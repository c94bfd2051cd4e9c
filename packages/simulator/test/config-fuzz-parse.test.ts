// Arbitrary and mutated configs: parseConfig throws nothing but its own error, every error points at a place in the
// input, and a single broken field is reported at that field.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../src/index.js";
import {
  closedObjects,
  config,
  escapeToken,
  expectConfigErrorOrValue,
  type Json,
  mutate,
  mutatedAt,
  nearly,
  parsesAsJson,
  placeOf,
  requiredPlaces,
  setMember,
} from "./config-fuzz-documents.js";

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
