// How ids become parts of the Redis store's keys: one-to-one, so that two ids never share a key, and readable where
// that is safe. Redis keeps keys as UTF-8, which turns every lone UTF-16 surrogate into U+FFFD: such ids are escaped.
// The contract suite shows the same through real servers; this pins the encoding itself.
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { decodeId, encodeId, StoreKeys } from "../src/redis/keys.js";

/** Ids as callers and the wire give them: any UTF-16, with the cases that matter often in the mix. */
const ids = fc
  .array(
    fc.oneof(
      fc.constantFrom("\ud800", "\udbff", "\udc00", "\udfff", "~", "a", "😀"),
      fc.string({ unit: "binary", maxLength: 4 }),
    ),
    {
      maxLength: 8,
    },
  )
  .map((parts) => parts.join(""));

/** What Redis gives back for a string it stored: its UTF-8 bytes read again. */
const throughUtf8 = (text: string) => Buffer.from(text, "utf8").toString("utf8");

describe("encodeId", () => {
  test.each([
    ["8a2f0d70-6b2e-4c49-9f4c-0c7b4d3d2f10", "8a2f0d70-6b2e-4c49-9f4c-0c7b4d3d2f10"],
    ["call/ümlaut 1", "call/ümlaut 1"],
    ["a😀b", "a😀b"],
    ["", ""],
  ])("keeps a well-formed id as it is: %j", (id, encoded) => {
    expect(encodeId(id)).toBe(encoded);
  });

  test.each([
    ["\ud800", "~d800"],
    ["a\udbff", "~0061dbff"],
    ["\udc00b", "~dc000062"],
    ["😀\ud800", "~d83dde00d800"],
    ["~", "~007e"],
    ["~x", "~007e0078"],
  ])("escapes %j, which UTF-8 would lose or which looks escaped, as %j", (id, encoded) => {
    expect(encodeId(id)).toBe(encoded);
  });

  test("a mark that is not first is kept", () => {
    expect(encodeId("a~b")).toBe("a~b");
  });

  test("decodes back to the id, and survives UTF-8", () => {
    fc.assert(
      fc.property(ids, (id) => {
        const encoded = encodeId(id);
        expect(throughUtf8(encoded)).toBe(encoded);
        expect(decodeId(encoded)).toBe(id);
      }),
      { numRuns: 2000 },
    );
  });

  test("gives distinct ids distinct keys", () => {
    fc.assert(
      fc.property(ids, ids, (a, b) => {
        fc.pre(a !== b);
        expect(throughUtf8(encodeId(a))).not.toBe(throughUtf8(encodeId(b)));
      }),
      { numRuns: 2000 },
    );
    // The pair that shared a key before ids were encoded.
    expect(encodeId("x\ud800")).not.toBe(encodeId("x\udbff"));
  });
});

describe("StoreKeys", () => {
  test("puts every key under the prefix as one hash tag, so that a cluster keeps them on one slot", () => {
    const keys = new StoreKeys("bot-a:");
    const all = [
      keys.delivery("d"),
      keys.claims,
      keys.unfinished("d"),
      keys.unfinishedIndex,
      keys.instance("i"),
      keys.operation("c"),
      keys.operations,
      keys.callOperations("call"),
      keys.pending,
      keys.operationOrder,
      keys.operationId("o"),
      keys.roster("call"),
      keys.rosters,
      keys.rosterBytes,
      keys.unmatched,
      keys.unmatchedBytes,
      keys.inbox("i"),
      keys.held("o"),
      keys.broadcast,
    ];
    for (const key of all) expect(key.startsWith("{bot-a:}")).toBe(true);
    expect(new Set(all).size).toBe(all.length);
  });

  test("encodes the ids in keys", () => {
    const keys = new StoreKeys("p:");
    expect(keys.operation("a\ud800")).toBe("{p:}op:~0061d800");
    expect(keys.roster("~")).toBe("{p:}roster:~007e");
    expect(keys.operation("plain")).toBe("{p:}op:plain");
  });

  test.each(["{p}", "p{", "}"])("refuses a prefix with a brace, %j, naming the option", (prefix) => {
    expect(() => new StoreKeys(prefix)).toThrow(
      new RangeError(`/prefix: ${JSON.stringify(prefix)} has a brace; the store puts it in braces itself`),
    );
  });
});
