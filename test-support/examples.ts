// What tests share about JSON payloads: the spec's example files, read as they are, and the places in a JSON value
// where a property-based test can change one thing.
import { readdirSync, readFileSync } from "node:fs";

const examples = new URL("../openapi/examples/", import.meta.url);

/** A file of `openapi/examples/`, parsed. */
export function example<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, examples), "utf8")) as T;
}

/** The names of the files in `openapi/examples/`, sorted. */
export function exampleNames(): string[] {
  return readdirSync(examples).sort();
}

/**
 * Every member of `value`'s objects and arrays, as [container, key], in document order. Setting `container[key]`
 * changes that member of `value` in place.
 */
export function placesIn(value: unknown): Array<[Record<string, unknown>, string]> {
  const places: Array<[Record<string, unknown>, string]> = [];
  const walk = (node: unknown) => {
    if (typeof node !== "object" || node === null) return;
    for (const [key, child] of Object.entries(node)) {
      places.push([node as Record<string, unknown>, key]);
      walk(child);
    }
  };
  walk(value);
  return places;
}
