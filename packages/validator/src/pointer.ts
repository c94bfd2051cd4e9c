// JSON Pointers (RFC 6901): how every issue says where it is.

function escapeToken(token: string | number): string {
  return String(token).replaceAll("~", "~0").replaceAll("/", "~1");
}

/** The pointer to a child of `parent`. */
export function childPointer(parent: string, token: string | number): string {
  return `${parent}/${escapeToken(token)}`;
}

/** Shortens a value for a message, so that a huge or deeply nested input cannot flood it. */
export function preview(value: unknown, limit = 60): string {
  let text: string;
  if (typeof value === "string") {
    text = JSON.stringify(value.length > limit ? `${value.slice(0, limit)}…` : value);
  } else if (Array.isArray(value)) {
    text = `an array of ${value.length}`;
  } else if (value === null || typeof value !== "object") {
    text = String(value);
  } else {
    text = "an object";
  }
  return text.length > limit + 10 ? `${text.slice(0, limit)}…` : text;
}

/** The JSON type of a value as JSON Schema names it. */
export function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}
