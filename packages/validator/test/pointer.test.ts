// How an issue says where it is (RFC 6901 pointers) and how it shows the value it is about, without flooding a
// message with a huge or deeply nested input.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { childPointer, jsonType, preview } from "../src/pointer.js";

/** RFC 6901's reading of one reference token. */
const readToken = (token: string) => token.replaceAll("~1", "/").replaceAll("~0", "~");

describe("childPointer", () => {
  it("escapes ~ before /, so that every token reads back as it was", () => {
    expect(childPointer("", "a/b~c")).toBe("/a~1b~0c");
    expect(childPointer("/x", "~1")).toBe("/x/~01");
    expect(childPointer("/value", 0)).toBe("/value/0");
    fc.assert(
      fc.property(fc.array(fc.string({ unit: fc.constantFrom("a", "/", "~", "0", "1") })), (tokens) => {
        const pointer = tokens.reduce(childPointer, "");
        expect(pointer === "" ? [] : pointer.slice(1).split("/").map(readToken)).toEqual(tokens);
      }),
    );
  });
});

describe("preview", () => {
  it("shows a string whole up to the limit, and cut with an ellipsis past it", () => {
    expect(preview("x".repeat(60))).toBe(`"${"x".repeat(60)}"`);
    expect(preview("x".repeat(61))).toBe(`"${"x".repeat(60)}…"`);
    expect(preview("abcdef", 3)).toBe('"abc…"');
    expect(preview("abc", 3)).toBe('"abc"');
  });

  it("cuts what quoting makes longer than ten past the limit", () => {
    // 52 letters and 8 quotes: 70 characters once quoted and escaped, which is kept; one more quote is cut.
    const seventy = `${"x".repeat(52)}${'"'.repeat(8)}`;
    expect(preview(seventy)).toBe(JSON.stringify(seventy));
    const seventyOne = `${"x".repeat(51)}${'"'.repeat(9)}`;
    expect(JSON.stringify(seventyOne)).toHaveLength(71);
    expect(preview(seventyOne)).toBe(`${JSON.stringify(seventyOne).slice(0, 60)}…`);
  });

  it("names arrays and objects by shape, and shows other values as text", () => {
    expect(preview([1, 2, 3])).toBe("an array of 3");
    expect(preview({ a: 1 })).toBe("an object");
    expect(preview(null)).toBe("null");
    expect(preview(12.5)).toBe("12.5");
    expect(preview(false)).toBe("false");
    expect(preview(undefined)).toBe("undefined");
  });

  it("never returns more than the limit and an ellipsis", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 1, max: 80 }), (value, limit) => {
        expect(preview(value, limit).length).toBeLessThanOrEqual(limit + 10);
      }),
    );
  });
});

describe("jsonType", () => {
  it.each([
    [null, "null"],
    [[], "array"],
    [3, "integer"],
    [-0, "integer"],
    [1.5, "number"],
    ["s", "string"],
    [true, "boolean"],
    [{}, "object"],
  ])("names %j as %s", (value, name) => {
    expect(jsonType(value)).toBe(name);
  });
});
