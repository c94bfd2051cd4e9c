// Reads JSON text. A syntax error comes back as an issue that says where (offset, line and column) and what is
// wrong, in the same words on every runtime: JSON.parse's own messages differ between engines and often omit the
// position, so the position comes from a small scanner that runs only after JSON.parse has failed.
import type { Issue } from "./issues.js";

/** Where in JSON text something is. */
export interface JsonPosition {
  /** Zero-based offset in UTF-16 code units. */
  readonly offset: number;
  /** One-based line. */
  readonly line: number;
  /** One-based column. */
  readonly column: number;
}

/** Why text is not JSON: a syntax error (`json.syntax`), bytes that are not UTF-8 (`json.encoding`), or other. */
export interface JsonSyntaxIssue extends Issue {
  /** Where the error is in the text, when it is a syntax error. */
  readonly position?: JsonPosition;
}

/** What `parseJson` returns: the value, or the issue that says why the text is not JSON. */
export type JsonParse =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly issue: JsonSyntaxIssue };

const byteOrderMark = 0xfeff;

// Created on first use: most callers pass text, and a decoder costs start-up time on some runtimes.
let utf8: TextDecoder | undefined;

/**
 * Reads JSON from text or from its bytes. Bytes must be UTF-8 (anything else is `json.encoding`, never a lossy
 * decode), and a leading byte order mark is ignored in both, as RFC 8259 allows.
 */
export function parseJson(input: string | Uint8Array): JsonParse {
  if (typeof input === "string") return parseText(input.charCodeAt(0) === byteOrderMark ? input.slice(1) : input);
  let text: string;
  try {
    // TextDecoder drops a leading byte order mark itself (ignoreBOM is false).
    utf8 ??= new TextDecoder("utf-8", { fatal: true });
    text = utf8.decode(input);
  } catch {
    return {
      ok: false,
      issue: { pointer: "", code: "json.encoding", message: "The body is not valid UTF-8, which JSON requires." },
    };
  }
  return parseText(text);
}

function parseText(text: string): JsonParse {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    const located = locateSyntaxError(text);
    if (located === undefined) {
      // The text is well formed, so JSON.parse gave up for another reason: in practice, nesting too deep for it.
      return {
        ok: false,
        issue: { pointer: "", code: "json.unreadable", message: `The JSON could not be read: ${messageOf(error)}` },
      };
    }
    const position = positionOf(text, located.offset);
    return {
      ok: false,
      issue: {
        pointer: "",
        code: "json.syntax",
        message: `Invalid JSON at line ${position.line}, column ${position.column}: ${located.reason}`,
        position,
      },
    };
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function positionOf(text: string, offset: number): JsonPosition {
  let line = 1;
  let lineStart = 0;
  for (let index = text.indexOf("\n"); index !== -1 && index < offset; index = text.indexOf("\n", index + 1)) {
    line++;
    lineStart = index + 1;
  }
  return { offset, line, column: offset - lineStart + 1 };
}

interface SyntaxFault {
  offset: number;
  reason: string;
}

type Expecting = "value" | "first-value-or-end" | "key" | "first-key-or-end" | "colon" | "after-value";

/** The first place where `text` stops being JSON (RFC 8259), or undefined when it is JSON. Iterative, so any depth. */
export function locateSyntaxError(text: string): SyntaxFault | undefined {
  const open: string[] = [];
  let expecting: Expecting = "value";
  let index = 0;
  const fault = (reason: string, at = index): SyntaxFault => ({ offset: at, reason });
  for (;;) {
    while (index < text.length && " \t\n\r".includes(text[index] as string)) index++;
    if (index >= text.length) {
      if (expecting === "after-value" && open.length === 0) return undefined;
      return fault(
        open.length > 0
          ? `the input ends inside ${open.length === 1 ? "an" : "nested"} ${open.at(-1) === "{" ? "object" : "array"}`
          : "the input ends where a value was expected",
      );
    }
    const char = text[index] as string;
    switch (expecting) {
      case "first-value-or-end":
      case "value": {
        if (char === "]" && expecting === "first-value-or-end") {
          open.pop();
          index++;
          expecting = "after-value";
        } else if (char === "{" || char === "[") {
          open.push(char);
          index++;
          expecting = char === "{" ? "first-key-or-end" : "first-value-or-end";
        } else {
          const end = scanScalar(text, index);
          if (typeof end !== "number") return end ?? fault(unexpected(char, "where a value was expected"));
          index = end;
          expecting = "after-value";
        }
        break;
      }
      case "first-key-or-end":
      case "key": {
        if (char === "}" && expecting === "first-key-or-end") {
          open.pop();
          index++;
          expecting = "after-value";
        } else if (char === '"') {
          const end = scanString(text, index);
          if (typeof end !== "number") return end;
          index = end;
          expecting = "colon";
        } else {
          return fault(unexpected(char, "where a property name in double quotes was expected"));
        }
        break;
      }
      case "colon": {
        if (char !== ":") return fault(unexpected(char, "where ':' after the property name was expected"));
        index++;
        expecting = "value";
        break;
      }
      case "after-value": {
        const inside = open.at(-1);
        if (inside === undefined) return fault(unexpected(char, "after the end of the JSON value"));
        const close = inside === "{" ? "}" : "]";
        if (char === ",") {
          index++;
          expecting = inside === "{" ? "key" : "value";
        } else if (char === close) {
          open.pop();
          index++;
        } else {
          return fault(unexpected(char, `where ',' or '${close}' was expected`));
        }
        break;
      }
    }
  }
}

function unexpected(char: string, where: string): string {
  if (char === "/") return `a comment ${where}; JSON has no comments`;
  if (char === "}" || char === "]") return `'${char}' ${where} (a trailing comma?)`;
  if (char === "'") return `a single quote ${where}; JSON strings use double quotes`;
  return `${visible(char)} ${where}`;
}

/** Characters a terminal shows as nothing or as something else, by the name a person can search for. */
const invisibleNames: Readonly<Record<number, string>> = {
  65279: "a byte order mark",
  8203: "a zero-width space",
  8204: "a zero-width non-joiner",
  8205: "a zero-width joiner",
  8288: "a word joiner",
  160: "a no-break space",
  8232: "a line separator",
  8233: "a paragraph separator",
  65533: "a replacement character (bytes that were not valid text)",
};

/** A character as a message can show it: invisible and control characters by code point and name. */
export function visible(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  const codePoint = `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
  const name = invisibleNames[code];
  if (name !== undefined) return `${codePoint} (${name})`;
  if (code < 0x20 || (code >= 0x7f && code < 0xa0) || /\p{White_Space}|\p{Cf}/u.test(char)) {
    return `${codePoint} (an invisible character)`;
  }
  return JSON.stringify(char);
}

const number = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/** The end of the string, number or literal at `start`; a fault inside it; or undefined if none starts there. */
function scanScalar(text: string, start: number): number | SyntaxFault | undefined {
  const char = text[start] as string;
  if (char === '"') return scanString(text, start);
  for (const literal of ["true", "false", "null"]) {
    if (text.startsWith(literal, start)) return start + literal.length;
  }
  number.lastIndex = start;
  if (number.test(text)) return number.lastIndex;
  return undefined;
}

function scanString(text: string, start: number): number | SyntaxFault {
  for (let index = start + 1; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 0x22) return index + 1;
    if (code < 0x20) return { offset: index, reason: "a control character inside a string; escape it" };
    if (code === 0x5c) {
      const escaped = text[index + 1];
      if (escaped === "u") {
        if (!/^[0-9a-fA-F]{4}$/.test(text.slice(index + 2, index + 6))) {
          return { offset: index, reason: "a \\u escape without four hexadecimal digits" };
        }
        index += 5;
      } else if (escaped !== undefined && '"\\/bfnrt'.includes(escaped)) {
        index++;
      } else {
        return { offset: index, reason: `an invalid escape \\${escaped ?? ""} inside a string` };
      }
    }
  }
  return { offset: start, reason: "a string that is never closed" };
}
