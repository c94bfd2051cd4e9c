// Writes dist/graph-invite.json: the spec as one JSON document, with every example file inlined.
//
// The spec refers to the reference page's payloads with `externalValue`, so that each payload stays a verbatim file
// under examples/. Tools that work from one document (the offline docs, example linting, validator generation)
// need the values inline; this is the only transformation.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const specPath = resolve(root, "graph-invite.yaml");
const outPath = resolve(root, "dist/graph-invite.json");

/** Replaces `externalValue` of every Example Object with the parsed file, in place. */
async function inlineExternalExamples(node) {
  if (Array.isArray(node)) {
    for (const item of node) await inlineExternalExamples(item);
    return;
  }
  if (node === null || typeof node !== "object") return;
  if (typeof node.externalValue === "string" && !/^[a-z]+:/i.test(node.externalValue)) {
    const file = resolve(dirname(specPath), node.externalValue);
    node.value = JSON.parse(await readFile(file, "utf8"));
    delete node.externalValue;
    return;
  }
  for (const value of Object.values(node)) await inlineExternalExamples(value);
}

const spec = parse(await readFile(specPath, "utf8"));
await inlineExternalExamples(spec);
await mkdir(dirname(outPath), { recursive: true });
await writeFile(outPath, `${JSON.stringify(spec, null, 2)}\n`);
