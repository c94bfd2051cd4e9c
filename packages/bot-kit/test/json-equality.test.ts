// JSON data compared as data, checked against Node's own deep equality of the same values with their undefined
// members dropped (what JSON does with them), over small values where equal pairs are common.
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { canonicalJson, equalData } from "../src/json-equality.js";
import { reversedKeys } from "./roster-fixtures.js";

/** JSON-like values from a small domain, so that two drawn values are often equal; undefined members included. */
const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom(0, 1, "a", "1", true, false, null),
    fc.array(tie("value"), { maxLength: 2 }),
    fc.dictionary(fc.constantFrom("a", "b", "rosterSequenceNumber"), fc.oneof(tie("value"), fc.constant(undefined)), {
      maxKeys: 3,
    }),
  ),
}));

/** What JSON keeps of a value: undefined members dropped. */
const asJson = (data: unknown): unknown => (data === undefined ? undefined : JSON.parse(JSON.stringify(data)));

/** `data` without its top-level `key`. */
function without(data: unknown, key: string): unknown {
  if (data === null || typeof data !== "object" || Array.isArray(data)) return data;
  const { [key]: _left, ...rest } = data as Record<string, unknown>;
  return rest;
}

describe("equalData", () => {
  test("agrees with Node's deep equality of the values as JSON keeps them", () => {
    fc.assert(
      fc.property(value, value, (a, b) => {
        expect(equalData(a, b)).toBe(isDeepStrictEqual(asJson(a), asJson(b)));
      }),
      { numRuns: 2000 },
    );
  });

  test("leaves the skipped key out at the top level only", () => {
    fc.assert(
      fc.property(value, value, (a, b) => {
        const expected = isDeepStrictEqual(
          asJson(without(a, "rosterSequenceNumber")),
          asJson(without(b, "rosterSequenceNumber")),
        );
        expect(equalData(a, b, "rosterSequenceNumber")).toBe(expected);
      }),
      { numRuns: 2000 },
    );
    expect(
      equalData({ a: 1, rosterSequenceNumber: 1 }, { a: 1, rosterSequenceNumber: 2 }, "rosterSequenceNumber"),
    ).toBe(true);
    expect(
      equalData({ a: { rosterSequenceNumber: 1 } }, { a: { rosterSequenceNumber: 2 } }, "rosterSequenceNumber"),
    ).toBe(false);
  });

  test("finds data equal whatever the order of its keys, and ignores inherited members", () => {
    fc.assert(
      fc.property(value, (a) => {
        expect(equalData(a, reversedKeys(a))).toBe(true);
      }),
    );
    expect(equalData(Object.create({ a: 1 }), {})).toBe(true);
    expect(equalData({}, Object.create({ a: 1 }))).toBe(true);
  });

  test("tells apart what only looks alike", () => {
    expect(equalData([], {})).toBe(false);
    expect(equalData({}, [])).toBe(false);
    expect(equalData({ length: 0 }, [])).toBe(false);
    expect(equalData([1], [1, 2])).toBe(false);
    expect(equalData([1, 2], [1])).toBe(false);
    expect(equalData([1, [2]], [1, [3]])).toBe(false);
    expect(equalData(null, {})).toBe(false);
    expect(equalData({}, null)).toBe(false);
    expect(equalData("1", 1)).toBe(false);
    expect(equalData({ a: undefined }, {})).toBe(true);
    expect(equalData({}, { a: undefined })).toBe(true);
    expect(equalData({ a: null }, {})).toBe(false);
  });
});

describe("canonicalJson", () => {
  test("is the same text for the same data, whatever the order of its keys, and differs for different data", () => {
    fc.assert(
      fc.property(value, value, (a, b) => {
        expect(canonicalJson(reversedKeys(a))).toBe(canonicalJson(a));
        if (!isDeepStrictEqual(asJson(a), asJson(b))) expect(canonicalJson(a)).not.toBe(canonicalJson(b));
      }),
      { numRuns: 2000 },
    );
  });

  test("sorts the keys of an object whatever order they came in", () => {
    const permutations = (keys: string[]): string[][] =>
      keys.length <= 1
        ? [keys]
        : keys.flatMap((key, index) =>
            permutations([...keys.slice(0, index), ...keys.slice(index + 1)]).map((rest) => [key, ...rest]),
          );
    const orders = permutations(["a", "b", "c", "d", "e"]);
    expect(orders).toHaveLength(120);
    for (const keys of orders) {
      expect(canonicalJson(Object.fromEntries(keys.map((key) => [key, 1])))).toBe('{"a":1,"b":1,"c":1,"d":1,"e":1}');
    }
  });

  test("sorts object keys at every depth and keeps the order of arrays", () => {
    expect(canonicalJson({ b: [{ d: 1, c: 2 }, 0], a: null })).toBe('{"a":null,"b":[{"c":2,"d":1},0]}');
    expect(canonicalJson({ B: 1, a: 2, A: 3 })).toBe('{"A":3,"B":1,"a":2}');
  });
});
