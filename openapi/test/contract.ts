// Helpers the spec's tests share: load the spec, and compile its schemas with ajv as JSON Schema 2020-12.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { parse } from "yaml";

// ajv-formats is CommonJS; under NodeNext its default import is the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

export const openapiDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const examplesDir = resolve(openapiDir, "examples");

export type JsonObject = { [key: string]: unknown };

export interface Spec extends JsonObject {
  components: { schemas: Record<string, JsonObject> };
}

export function loadSpec(): Spec {
  return parse(readFileSync(resolve(openapiDir, "graph-invite.yaml"), "utf8")) as Spec;
}

export function readExample(file: string): unknown {
  return JSON.parse(readFileSync(resolve(examplesDir, file), "utf8"));
}

const schemasId = "graph-invite.json";

/** The component schemas as one 2020-12 document whose `$defs` are the components, refs rewritten to match. */
function schemaDocument(schemas: Record<string, JsonObject>): JsonObject {
  const text = JSON.stringify(schemas).replaceAll('"#/components/schemas/', `"${schemasId}#/$defs/`);
  return { $id: schemasId, $defs: JSON.parse(text) };
}

/** A validator for the named component schema, with every error reported. */
export function compileSchema(schemas: Record<string, JsonObject>, name: string): ValidateFunction {
  const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, strictTypes: false });
  addFormats(ajv);
  ajv.addVocabulary(["example", "x-graph-metadata"]);
  ajv.addSchema(schemaDocument(schemas));
  return ajv.getSchema(`${schemasId}#/$defs/${name}`) ?? fail(`no schema ${name}`);
}

function fail(message: string): never {
  throw new Error(message);
}

/** Marks, in `$comment`, each schema that metadataSchemas put back. */
const metadataMark = "graph-metadata:";

/**
 * The schemas as Graph's metadata states them: every node that carries `x-graph-metadata` (a place where the
 * contract widens the metadata) is replaced by that metadata schema, marked so that `metadataPlace` can tell the
 * errors it raises from the others.
 */
export function metadataSchemas(schemas: Record<string, JsonObject>): Record<string, JsonObject> {
  const visit = (node: unknown, path: string): unknown => {
    if (Array.isArray(node)) return node.map((item, index) => visit(item, `${path}/${index}`));
    if (node === null || typeof node !== "object") return node;
    const object = node as JsonObject;
    const metadata = object["x-graph-metadata"];
    if (metadata !== undefined) return { ...(metadata as JsonObject), $comment: `${metadataMark}${path}` };
    return Object.fromEntries(
      Object.entries(object).map(([key, value]) => [key, visit(value, `${path}/${escapePointer(key)}`)]),
    );
  };
  return visit(schemas, "") as Record<string, JsonObject>;
}

/** Where in the contract the metadata schema that raised this error sits, if one did (a compile with `verbose`). */
export function metadataPlace(error: ErrorObject): string | undefined {
  const comment = (error.parentSchema as JsonObject | undefined)?.["$comment"];
  return typeof comment === "string" && comment.startsWith(metadataMark)
    ? `#/components/schemas${comment.slice(metadataMark.length)}`
    : undefined;
}

export function escapePointer(token: string): string {
  return token.replaceAll("~", "~0").replaceAll("/", "~1");
}

/** `instancePath keyword` for each error, as a readable line. */
export function describeError(error: ErrorObject): string {
  return `${error.instancePath} ${error.keyword}`;
}
