// What the parsers accept: JSON text, its bytes, or a value already parsed. Parsed values are copied before
// normalisation, so the caller's object is never changed.
import type { Issue } from "./issues.js";
import { parseJson } from "./json.js";
import { tooDeep } from "./normalise.js";

/** A payload as the checks and parsers accept it: JSON text, its UTF-8 bytes, or a value already parsed. */
export type PayloadInput = string | Uint8Array | unknown;

export type ReadPayload =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly issue: Issue };

/**
 * The payload as a fresh value that the normaliser may rewrite. Text and bytes are read by parseJson, whoever passes
 * them (the bot kit, the CLI), so they follow one rule; a value already parsed is copied.
 */
export function readPayload(input: PayloadInput): ReadPayload {
  if (typeof input === "string" || input instanceof Uint8Array) return parseJson(input);
  try {
    return { ok: true, value: structuredClone(input) };
  } catch (error) {
    // Copying recurses: a value nested deeper than the stack allows is refused as the parser refuses deep text.
    if (error instanceof RangeError) return { ok: false, issue: tooDeep };
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
