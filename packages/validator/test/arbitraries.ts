// Payloads for the property-based tests: the seed's examples and the real payloads, then mutations of them.
import fc from "fast-check";
import { examplesDir, jsonFiles, payloadsDir, readText } from "./helpers.js";

export const knownPayloads: unknown[] = [
  ...jsonFiles(examplesDir).map((file) => JSON.parse(readText(examplesDir, file))),
  ...jsonFiles(payloadsDir).map((file) => JSON.parse(readText(payloadsDir, file))),
];

type Path = Array<string | number>;

/** Every path to a value inside `root`. */
function pathsOf(root: unknown, path: Path = [], into: Path[] = []): Path[] {
  into.push(path);
  if (root === null || typeof root !== "object") return into;
  for (const [key, value] of Object.entries(root))
    pathsOf(value, [...path, Array.isArray(root) ? Number(key) : key], into);
  return into;
}

function replaceAt(root: unknown, path: Path, replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const [head, ...rest] = path;
  if (Array.isArray(root))
    return root.map((item, index) => (index === head ? replaceAt(item, rest, replacement) : item));
  const object = root as Record<string, unknown>;
  return { ...object, [head as string]: replaceAt(object[head as string], rest, replacement) };
}

/** Values that Graph's payloads use, and values that break them. */
const troublesome = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(
    null,
    "",
    "#microsoft.graph.identity",
    "#microsoft.graph.call",
    "microsoft.graph.participant",
    "#microsoft.graph.unknownType",
    "Completed",
    "COMPLETED",
    "0",
    "5001",
    -1,
    2 ** 53,
    [],
    {},
  ),
);

/** A known payload with one value replaced, one property removed, or one property added. */
export const mutatedPayload: fc.Arbitrary<unknown> = fc
  .constantFrom(...knownPayloads)
  .chain((payload) => {
    const paths = pathsOf(payload);
    return fc.tuple(
      fc.constant(payload),
      fc.constantFrom(...paths),
      fc.integer({ min: 0, max: 3 }),
      troublesome,
      fc.string(),
    );
  })
  .map(([payload, path, operation, value, key]) => {
    if (operation === 0) return replaceAt(payload, path, value);
    const original = valueAt(payload, path);
    // A near miss of a string is what breaks a pattern or an enum: drop its first character, or pad it.
    if (operation === 3 && typeof original === "string")
      return replaceAt(payload, path, original.slice(1) || `${key} `);
    const parent = path.slice(0, -1);
    if (operation === 1 && path.length > 0) {
      return replaceAt(payload, parent, removeKey(valueAt(payload, parent), path.at(-1) as string | number));
    }
    const target = original;
    if (target !== null && typeof target === "object" && !Array.isArray(target))
      return replaceAt(payload, path, { ...target, [key]: value });
    return replaceAt(payload, path, value);
  });

function valueAt(root: unknown, path: Path): unknown {
  return path.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key as string], root);
}

function removeKey(node: unknown, key: string | number): unknown {
  if (Array.isArray(node)) return node.filter((_, index) => index !== key);
  const { [key as string]: _, ...rest } = node as Record<string, unknown>;
  return rest;
}
