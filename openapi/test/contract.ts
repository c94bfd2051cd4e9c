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

/** One compiled set of schemas for each schema set the tests use, so each is compiled once. */
const compiled = new WeakMap<Record<string, JsonObject>, Ajv2020>();

/** A validator for the named component schema, with every error reported. */
export function compileSchema(schemas: Record<string, JsonObject>, name: string): ValidateFunction {
  let ajv = compiled.get(schemas);
  if (!ajv) {
    ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, strictTypes: false, strictRequired: false });
    addFormats(ajv);
    ajv.addVocabulary(["example", "x-graph-metadata"]);
    ajv.addSchema(schemaDocument(schemas));
    compiled.set(schemas, ajv);
  }
  return ajv.getSchema(`${schemasId}#/$defs/${name}`) ?? fail(`no schema ${name}`);
}

function fail(message: string): never {
  throw new Error(message);
}

/** Marks, in `$comment`, each schema that metadataSchemas changed back to Graph's metadata. */
const metadataMark = "graph-metadata:";

interface MetadataMark {
  /** Where the changed schema sits in the contract, as a JSON Pointer under `#/components/schemas`. */
  place: string;
  /** The property that the metadata does not declare, for the check that reports its presence. */
  undeclared?: string;
}

/**
 * The schemas as Graph's metadata states them. A node that carries `x-graph-metadata` (a place where the contract
 * widens the metadata) is replaced by that metadata schema. A property whose `x-graph-metadata` is `false` (one the
 * metadata does not declare) stays, so that its value is still checked, and a check that it is absent is added.
 * Each of these schemas is marked, so that `metadataDeparture` can tell the errors they raise from the others.
 */
export function metadataSchemas(schemas: Record<string, JsonObject>): Record<string, JsonObject> {
  const marked = (schema: JsonObject, mark: MetadataMark) => ({
    ...schema,
    $comment: `${metadataMark}${JSON.stringify(mark)}`,
  });
  const visit = (node: unknown, path: string): unknown => {
    if (Array.isArray(node)) return node.map((item, index) => visit(item, `${path}/${index}`));
    if (node === null || typeof node !== "object") return node;
    const object = node as JsonObject;
    const metadata = object["x-graph-metadata"];
    if (metadata !== undefined && metadata !== false) return marked(metadata as JsonObject, { place: path });
    const copy = Object.fromEntries(
      Object.entries(object).map(([key, value]) => [key, visit(value, `${path}/${escapePointer(key)}`)]),
    );
    const properties = (object["properties"] ?? {}) as Record<string, JsonObject>;
    const absenceChecks = Object.keys(properties)
      .filter((key) => properties[key]?.["x-graph-metadata"] === false)
      .map((key) =>
        marked({ not: { required: [key] } }, { place: `${path}/properties/${escapePointer(key)}`, undeclared: key }),
      );
    if (absenceChecks.length === 0) return copy;
    return { ...copy, allOf: [...((copy["allOf"] as unknown[]) ?? []), ...absenceChecks] };
  };
  return visit(schemas, "") as Record<string, JsonObject>;
}

/**
 * How an error that a metadataSchemas schema raised departs from the metadata (`pointer rule place`), or undefined
 * for an error that none of them raised, such as one of a oneOf branch that does not apply.
 */
export function metadataDeparture(error: ErrorObject): string | undefined {
  const comment = (error.parentSchema as JsonObject | undefined)?.["$comment"];
  if (typeof comment !== "string" || !comment.startsWith(metadataMark)) return undefined;
  const mark = JSON.parse(comment.slice(metadataMark.length)) as MetadataMark;
  const place = `#/components/schemas${mark.place}`;
  if (mark.undeclared === undefined) return `${describeError(error)} ${place}`;
  return `${error.instancePath}/${escapePointer(mark.undeclared)} undeclared ${place}`;
}

function escapePointer(token: string): string {
  return token.replaceAll("~", "~0").replaceAll("/", "~1");
}

/** `instancePath keyword` for each error, as a readable line. */
export function describeError(error: ErrorObject): string {
  return `${error.instancePath} ${error.keyword}`;
}
