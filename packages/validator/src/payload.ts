// What the parsers accept: JSON text, its bytes, or a value already parsed. Parsed values are copied before
// normalisation, so the caller's object is never changed.
import type { Issue } from "./issues.js";
import { parseJson } from "./json.js";

export type PayloadInput = string | Uint8Array | unknown;

export type ReadPayload =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly issue: Issue };

// Created on first use: most callers pass text, and a decoder costs start-up time on some runtimes.
let utf8: TextDecoder | undefined;

/** The payload as a fresh value that the normaliser may rewrite. */
export function readPayload(input: PayloadInput): ReadPayload {
  if (typeof input === "string") return parseJson(input);
  if (input instanceof Uint8Array) {
    let text: string;
    try {
      utf8 ??= new TextDecoder("utf-8", { fatal: true });
      text = utf8.decode(input);
    } catch {
      return {
        ok: false,
        issue: { pointer: "", code: "json.encoding", message: "The body is not valid UTF-8, which JSON requires." },
      };
    }
    return parseJson(text);
  }
  try {
    return { ok: true, value: structuredClone(input) };
  } catch {
    return {
      ok: false,
      issue: {
        pointer: "",
        code: "json.not-data",
        message: "The value holds something JSON cannot carry, such as a function.",
      },
    };
  }
}
