// The JSON reader on its own: text and bytes, the byte order mark, where a syntax error is and what it says, and how
// an invisible character is named. The parsers' tests see it only through a verdict; here each fault is pinned to its
// offset, line, column and reason, since a message that points at the wrong place is a bug a user pays for.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { locateSyntaxError, parseJson, visible } from "../src/json.js";

const parses = (text: string): boolean => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

describe("parseJson", () => {
  it("reads text, and drops a leading byte order mark only", () => {
    expect(parseJson("[1]")).toEqual({ ok: true, value: [1] });
    expect(parseJson('\ufeff{"a":[1]}')).toEqual({ ok: true, value: { a: [1] } });
    // A second mark is content, not a mark: it is refused and named.
    const twice = parseJson("\ufeff\ufeff{}");
    expect(twice.ok).toBe(false);
    expect(twice.ok ? undefined : twice.issue.message).toBe(
      "Invalid JSON at line 1, column 1: U+FEFF (a byte order mark) where a value was expected",
    );
  });

  it("reads UTF-8 bytes, with or without a byte order mark, as the same value as their text", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (value, mark) => {
        const text = JSON.stringify(value);
        const bytes = new TextEncoder().encode(`${mark ? "\ufeff" : ""}${text}`);
        expect(parseJson(bytes)).toEqual({ ok: true, value: JSON.parse(text) });
      }),
      { numRuns: 200 },
    );
  });

  it("refuses bytes that are not UTF-8 as json.encoding at the root, never a lossy decode", () => {
    for (const bytes of [
      [0x5b, 0xff, 0x5d],
      [0x22, 0xc3, 0x28, 0x22],
      [0x22, 0xed, 0xa0, 0x80, 0x22],
    ]) {
      expect(parseJson(new Uint8Array(bytes))).toEqual({
        ok: false,
        issue: { pointer: "", code: "json.encoding", message: "The body is not valid UTF-8, which JSON requires." },
      });
    }
  });

  it("says where a syntax error is: offset, line and column, in the message too", () => {
    const text = '{\n  "a": 1,\n  "b": [1 2]\n}';
    const result = parseJson(text);
    expect(result).toEqual({
      ok: false,
      issue: {
        pointer: "",
        code: "json.syntax",
        message: "Invalid JSON at line 3, column 11: \"2\" where ',' or ']' was expected",
        position: { offset: 22, line: 3, column: 11 },
      },
    });
    expect(text[22]).toBe("2");
  });

  it("puts a fault on a line break at the end of the line it breaks", () => {
    // The raw line break inside the string is the fault: it belongs to line 1, after `["a`.
    const result = parseJson('["a\nb"]');
    expect(result.ok ? undefined : result.issue).toMatchObject({
      code: "json.syntax",
      position: { offset: 3, line: 1, column: 4 },
    });
    expect(result.ok ? undefined : result.issue.message).toBe(
      "Invalid JSON at line 1, column 4: a control character inside a string; escape it",
    );
  });

  it("gives a position whose line and column lead back to its offset, for any broken text", () => {
    const broken = fc
      .tuple(fc.json(), fc.nat(), fc.constantFrom("\n", ",", "}", "x", '"', "\n\n]"))
      .map(([text, at, insert]) => {
        const cut = at % (text.length + 1);
        return `${text.slice(0, cut)}\n${insert}${text.slice(cut)}`;
      })
      .filter((text) => !parses(text));
    fc.assert(
      fc.property(broken, (text) => {
        const result = parseJson(text);
        if (result.ok || result.issue.code !== "json.syntax") throw new Error(`not a syntax error: ${text}`);
        const { offset, line, column } = result.issue.position ?? { offset: -1, line: -1, column: -1 };
        const lines = text.split("\n");
        const lineStart = lines.slice(0, line - 1).reduce((sum, each) => sum + each.length + 1, 0);
        expect(line).toBeGreaterThanOrEqual(1);
        expect(column).toBeGreaterThanOrEqual(1);
        expect(column).toBeLessThanOrEqual((lines[line - 1]?.length ?? 0) + 1);
        expect(lineStart + column - 1).toBe(offset);
      }),
      { numRuns: 300 },
    );
  });
});

describe("locateSyntaxError", () => {
  it("finds nothing in JSON, whatever its whitespace", () => {
    const whitespace = fc.stringMatching(/^[ \t\n\r]{0,3}$/);
    fc.assert(
      fc.property(fc.jsonValue(), whitespace, whitespace, (value, before, after) => {
        // Whitespace around the value and, through the spacing of stringify, between its tokens.
        const text = `${before}${JSON.stringify(value, null, before)}${after}`;
        expect(locateSyntaxError(text)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
    for (const text of [
      "[]",
      "{}",
      "[[]]",
      '{"a":{}}',
      '{"a":[{}],"b":[]}',
      "[true,false,null]",
      '["", "a b", "\\"\\\\\\/\\b\\f\\n\\r\\t", "\\u00e9\\uABCD"]',
      "[0, -0, 1.5, -12.25e10, 1E+5, 3e-7, 10]",
      ' \t\r\n[ \t\r\n1 \t\r\n, \t\r\n{ \t\r\n"a" \t\r\n: \t\r\n2 \t\r\n} \t\r\n] \t\r\n',
    ]) {
      expect(locateSyntaxError(text), text).toBeUndefined();
    }
  });

  it("agrees with JSON.parse on every number-like token", () => {
    const token = fc.stringMatching(/^[-+.eE0-9]{1,7}$/);
    fc.assert(
      fc.property(token, (number) => {
        const text = `[${number}]`;
        expect(locateSyntaxError(text) === undefined, text).toBe(parses(text));
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    ["", 0, "the input ends where a value was expected"],
    [" \n", 2, "the input ends where a value was expected"],
    ["[1,", 3, "the input ends inside an array"],
    ["[1", 2, "the input ends inside an array"],
    ["{", 1, "the input ends inside an object"],
    ['{"a":[1', 7, "the input ends inside nested array"],
    ['[{"a":1', 7, "the input ends inside nested object"],
    ['{"a":1', 6, "the input ends inside an object"],
    ["1 2", 2, '"2" after the end of the JSON value'],
    ["[1]]", 3, "']' after the end of the JSON value (a trailing comma?)"],
    ["[1 2]", 3, "\"2\" where ',' or ']' was expected"],
    ['{"a":1 "b":2}', 7, `"\\"" where ',' or '}' was expected`],
    ["[1}", 2, "'}' where ',' or ']' was expected (a trailing comma?)"],
    ['{"a":1]', 6, "']' where ',' or '}' was expected (a trailing comma?)"],
    ["[1,]", 3, "']' where a value was expected (a trailing comma?)"],
    ["]", 0, "']' where a value was expected (a trailing comma?)"],
    ['{"a":1,}', 7, "'}' where a property name in double quotes was expected (a trailing comma?)"],
    ['{"a":1,2}', 7, '"2" where a property name in double quotes was expected'],
    [
      "{'a':1}",
      1,
      "a single quote where a property name in double quotes was expected; JSON strings use double quotes",
    ],
    ['{"a" 1}', 5, "\"1\" where ':' after the property name was expected"],
    ['[1,"a":2]', 6, "\":\" where ',' or ']' was expected"],
    ["[1, // one\n2]", 4, "a comment where a value was expected; JSON has no comments"],
    ["tru", 0, '"t" where a value was expected'],
    ["-", 0, '"-" where a value was expected'],
    ["01", 1, '"1" after the end of the JSON value'],
    ["[1.]", 2, "\".\" where ',' or ']' was expected"],
    ["[\u0001]", 1, "U+0001 (an invisible character) where a value was expected"],
    ['["abc', 1, "a string that is never closed"],
    ['{"abc', 1, "a string that is never closed"],
    ['["a\u001fb"]', 3, "a control character inside a string; escape it"],
    ['["a\\x"]', 3, "an invalid escape \\x inside a string"],
    ['["a\\', 3, "an invalid escape \\ inside a string"],
    ['["\\u12"]', 2, "a \\u escape without four hexadecimal digits"],
    ['["\\u00g9"]', 2, "a \\u escape without four hexadecimal digits"],
    ['{"a\\q":1}', 3, "an invalid escape \\q inside a string"],
  ])("%j: at %i, %s", (text, offset, reason) => {
    expect(parses(text)).toBe(false);
    const fault = locateSyntaxError(text);
    expect(fault?.offset).toBe(offset);
    if (typeof reason === "string") expect(fault?.reason).toBe(reason);
    else expect(fault?.reason).toMatch(reason);
  });

  it("reads an escape's four digits as part of the string", () => {
    // `\u0022` is a quote only once decoded: the scanner must step over it, not end the string there.
    expect(locateSyntaxError('["\\u0022", 1]')).toBeUndefined();
    expect(locateSyntaxError('["\\u0022]')).toEqual({ offset: 1, reason: "a string that is never closed" });
  });
});

describe("visible", () => {
  it.each([
    ["\ufeff", "U+FEFF (a byte order mark)"],
    ["\u200b", "U+200B (a zero-width space)"],
    ["\u200c", "U+200C (a zero-width non-joiner)"],
    ["\u200d", "U+200D (a zero-width joiner)"],
    ["\u2060", "U+2060 (a word joiner)"],
    ["\u00a0", "U+00A0 (a no-break space)"],
    ["\u2028", "U+2028 (a line separator)"],
    ["\u2029", "U+2029 (a paragraph separator)"],
    ["\ufffd", "U+FFFD (a replacement character (bytes that were not valid text))"],
    ["\u0000", "U+0000 (an invisible character)"],
    ["\u001f", "U+001F (an invisible character)"],
    ["\u007f", "U+007F (an invisible character)"],
    ["\u009f", "U+009F (an invisible character)"],
    ["\u2003", "U+2003 (an invisible character)"],
    ["\u200e", "U+200E (an invisible character)"],
    ["\u{e0001}", "U+E0001 (an invisible character)"],
    ["a", '"a"'],
    ["~", '"~"'],
    ["\u00a1", '"\u00a1"'],
    ["\u{1f600}", '"\u{1f600}"'],
    ['"', '"\\""'],
  ])("names %j as %s", (char, shown) => {
    expect(visible(char)).toBe(shown);
  });
});
