// Generates the validators from the spec with ajv's standalone code, so that nothing is compiled or evaluated at run
// time (they run under a CSP that forbids eval, in browsers and on edge runtimes), and the spec's rules as data.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import AjvModule, { _, Name, stringify } from "ajv";
import { strConcat } from "ajv/dist/compile/codegen/index.js";
import ajvNames from "ajv/dist/compile/names.js";
import standaloneCode from "ajv/dist/standalone/index.js";
import addFormatsModule from "ajv-formats";
import { buildSync } from "esbuild";
import { parse } from "yaml";
import {
  byModeKeyword,
  discriminated,
  evolvableKeyword,
  formatKeywords,
  knownOmissions,
  modeKeyword,
  strictOnlyKeyword,
  switchableSchemas,
} from "./schemas.mjs";

const addFormats = addFormatsModule.default;
const Ajv = AjvModule.default;
const here = dirname(fileURLToPath(import.meta.url));
const specPath = resolve(here, "../../../openapi/graph-invite.yaml");
const outDir = resolve(here, "../src/generated");
const validatorsDir = resolve(here, "../generated");
const spec = parse(readFileSync(specPath, "utf8"));
const header =
  "// Generated from openapi/graph-invite.yaml by scripts/generate.mjs. Do not edit: run `pnpm generate`.\n";

const specSchemas = discriminated(switchableSchemas(spec.components.schemas));
// The notifications' envelope without its notifications: the tolerant parser checks each notification on its own,
// so that one it cannot use does not cost its siblings, and the envelope with this. Not a schema of the spec, so not
// in validatorsByName.
const envelope = "commsNotificationsEnvelope";
const schemas = {
  ...specSchemas,
  [envelope]: {
    ...specSchemas.commsNotifications,
    properties: { ...specSchemas.commsNotifications.properties, value: { type: "array" } },
  },
};

// The spec's dialect is 2020-12, but its schemas use only keywords that mean the same in draft-07 (a test compares
// these validators with a 2020-12 compile of the spec on every known payload and on mutations of them). Code
// generated for draft-07 leaves out the bookkeeping for `unevaluatedProperties` that 2020-12 code does in every
// function on every call, which makes it several times faster (bench/validator).
const ajv = new Ajv({
  allErrors: true,
  strict: true,
  strictTypes: false,
  strictRequired: false,
  // The runtime writes its own messages from each error's params, so ajv's are not compiled in.
  messages: false,
  // One function per schema rather than copies inlined at every reference: a fraction of the code, and a
  // validator for every schema that a oneOf branch can be checked against on its own.
  inlineRefs: false,
  code: { source: true, esm: true, optimize: true },
});
addFormats(ajv);
const modeVariable = new Name("graphInviteMode");
const notesVariable = new Name("graphInviteNotes");
const evolveFunction = new Name("graphInviteEvolve");

// `{ graphInviteMode: "strict" }` holds while the validator runs in that mode: the generated code compares the
// keyword's value with a variable of the module, which the module's runInMode sets (see selfContained).
ajv.addKeyword({
  keyword: modeKeyword,
  schemaType: "string",
  code(cxt) {
    cxt.fail(_`${modeVariable} !== ${cxt.schema}`);
  },
});

// What only strict mode checks, and what each mode checks its own way. The subschemas are generated in place behind a
// test of the mode, so that tolerant mode skips them outright: an \`if\` on the mode would record, and then discard, a
// failed condition for every object of every payload.
ajv.addKeyword({
  keyword: strictOnlyKeyword,
  schemaType: "object",
  code(cxt) {
    const { gen } = cxt;
    const valid = gen.let("valid", true);
    gen.if(_`${modeVariable} === "strict"`, () => {
      cxt.subschema({ keyword: strictOnlyKeyword }, valid);
    });
    cxt.ok(valid);
  },
});
ajv.addKeyword({
  keyword: byModeKeyword,
  schemaType: "object",
  code(cxt) {
    const { gen } = cxt;
    const valid = gen.let("valid", true);
    gen.if(
      _`${modeVariable} === "strict"`,
      () => cxt.subschema({ keyword: byModeKeyword, schemaProp: "strict" }, valid),
      () => cxt.subschema({ keyword: byModeKeyword, schemaProp: "tolerant" }, valid),
    );
    cxt.ok(valid);
  },
});

// An enum Graph may extend: in tolerant mode a value the spec does not list is data, not an error. The generated code
// compares the value with each known member (cheap, and what a valid payload costs) and only on a miss calls
// graphInviteEvolve, which reports the value and, for a known member in another casing, rewrites it to the spec's
// spelling. It changes data only while a parser runs it with a sink for its notes (runInMode's fourth argument):
// a type guard never changes what it is given.
ajv.addKeyword({
  keyword: evolvableKeyword,
  type: "string",
  schemaType: "array",
  code(cxt) {
    const { gen, data, schema, it } = cxt;
    const known = schema.map((member) => _`${data} !== ${member}`).reduce((all, next) => _`${all} && ${next}`);
    const path = strConcat(ajvNames.default.instancePath, it.errorPath);
    gen.if(known, () =>
      gen.code(
        _`${evolveFunction}(${data}, ${stringify(schema)}, ${path}, ${it.parentData}, ${it.parentDataProperty})`,
      ),
    );
  },
});

// Each schema is its own document, so that every reference to it and its export share one compiled function.
// (Fragments of one document compile once per way they are reached.) `.invalid` keeps the ids from resolving.
const schemaId = (name) => `https://schemas.graph-invite.invalid/${name}`;
const documents = new Map();
for (const [name, schema] of Object.entries(schemas)) {
  const relative = JSON.parse(JSON.stringify(schema).replaceAll('"#/$defs/', '"'));
  documents.set(schemaId(name), { $id: schemaId(name), ...relative });
  ajv.addSchema(documents.get(schemaId(name)));
}
const exportsMap = Object.fromEntries(Object.keys(schemas).map((name) => [name, schemaId(name)]));
// Every validator by its schema's name, for lookups by a name known only at run time (validatorFor). An object
// literal is free of side effects, so a bundler drops it, and every validator only it reaches, from an app that never
// looks one up by name: such an app keeps only the validators it imports by name.
const byName = `export const validatorsByName = {${Object.keys(specSchemas)
  .map((name) => `${JSON.stringify(name)}: ${name}`)
  .join(", ")}};`;
const { code, exportNames } = selfContained(`${leaner(standaloneCode(ajv, exportsMap))}\n${byName}`);
mkdirSync(validatorsDir, { recursive: true });
writeFileSync(resolve(validatorsDir, "validators.js"), `${header}${code}`);
writeFileSync(resolve(validatorsDir, "validators.d.ts"), declarations(exportNames));
writeFileSync(resolve(outDir, "rules.ts"), rulesModule(spec));
writeFileSync(resolve(outDir, "tolerance.ts"), toleranceModule());
writeFileSync(resolve(outDir, "formats.ts"), formatsModule());

/**
 * ajv's code keeps each schema as an object, only to quote parts of it in error params (`schema12.properties.x.type`),
 * and gives each error a `schemaPath`, which nothing here reads. Quoting the parts as literals and dropping the
 * paths leaves the schema objects unused (esbuild then drops them) and cuts the module by about a fifth, which is
 * load time saved at every start-up.
 */
function leaner(code) {
  const constants = new Map();
  for (const [, constant, id] of code.matchAll(/const (schema\d+) = \{"\$id":"([^"]+)"/g)) {
    constants.set(constant, documents.get(id));
  }
  const quoted = code.replace(/\b(schema\d+)((?:\.[\w$]+|\["[^"\]]+"\]|\[\d+\])+)/g, (reference, constant, path) => {
    const document = constants.get(constant);
    if (document === undefined) return reference;
    const keys = [...path.matchAll(/\.([\w$]+)|\["([^"\]]+)"\]|\[(\d+)\]/g)].map(
      ([, dotted, quotedKey, index]) => dotted ?? quotedKey ?? Number(index),
    );
    const value = keys.reduce((node, key) => node?.[key], document);
    if (value === undefined) throw new Error(`${reference} names nothing in ${document.$id}`);
    return `(${JSON.stringify(value)})`;
  });
  return quoted.replace(/,schemaPath:"[^"]*"/g, "");
}

/**
 * ajv's standalone code `require()`s its runtime helpers (string length, formats) even when asked for ESM (ajv#1976),
 * and the interop of a CommonJS default export differs between Node and bundlers. Bundling the helpers into the
 * module removes both problems, and with them any runtime dependency on ajv. The module is minified because its
 * size is what a bot pays at start-up (see bench/validator); nobody reads it.
 */
function selfContained(standalone) {
  const withMode = `${standalone}
let ${modeVariable} = "strict";
let ${notesVariable} = null;
/**
 * Runs a validator in a mode. Validators are synchronous, so neither the mode nor the sink can leak into another call.
 * With a sink, tolerant mode reports each value of an evolvable enum the spec does not list, and rewrites a known
 * member in another casing to the spec's spelling; without one it changes nothing.
 */
export function runInMode(mode, validator, data, notes) {
  ${modeVariable} = mode;
  ${notesVariable} = notes ?? null;
  try {
    return validator(data);
  } finally {
    ${modeVariable} = "strict";
    ${notesVariable} = null;
  }
}
function ${evolveFunction}(value, known, pointer, parent, key) {
  if (${notesVariable} === null) return;
  const lower = value.toLowerCase();
  const member = known.find((candidate) => candidate.toLowerCase() === lower);
  if (member !== undefined && parent !== undefined) parent[key] = member;
  ${notesVariable}.push({ pointer, value, member, known });
}
`;
  const { outputFiles } = buildSync({
    stdin: { contents: withMode, resolveDir: here, loader: "js", sourcefile: "validators.js" },
    bundle: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["main"],
    legalComments: "none",
    minify: true,
    write: false,
  });
  const code = outputFiles[0].text;
  const exportList = /export\s*\{([^}]*)\};?\s*$/.exec(code);
  if (!exportList) throw new Error("esbuild's output has no export list");
  const exportNames = exportList[1].split(",").map((entry) =>
    entry
      .trim()
      .split(/\s+as\s+/)
      .at(-1),
  );
  return { code, exportNames };
}

function declarations(exportNames) {
  // The declarations are self-contained: the published dist/*.d.ts import this file, so it must not reach into src/.
  return `${header}
/**
 * One error as ajv's generated code reports it. Its messages are not compiled in (src/schema-errors.ts writes
 * them), nor its schema paths (see scripts/generate.mjs).
 */
export interface SchemaError {
  /** A JSON Pointer to the value that failed, in the data validated (\`""\` for the whole). */
  instancePath: string;
  /** The JSON Schema keyword that failed, such as \`required\`, \`type\` or \`pattern\`. */
  keyword: string;
  /** The keyword's details, as ajv names them (for example \`missingProperty\` for \`required\`). */
  params: Record<string, unknown>;
}

/** A validator that ajv generated ahead of time: true when the data matches, otherwise its errors. */
export interface CompiledValidator {
  /** Checks \`data\`; when it returns false, {@link CompiledValidator.errors} holds why. */
  (data: unknown): boolean;
  /** The errors of the last call that returned false. */
  errors?: SchemaError[] | null;
}

/** A value of an evolvable enum that tolerant mode accepted although the spec does not list it as sent. */
export interface EnumNote {
  /** Where, in the data validated. */
  readonly pointer: string;
  readonly value: string;
  /** The member it was rewritten to, when it is one in another casing. */
  readonly member: string | undefined;
  readonly known: readonly string[];
}

/**
 * Runs a validator in a mode: \`strict\` checks the exact contract, \`tolerant\` what a bot should accept. With
 * \`notes\`, tolerant mode records each unlisted enum value there and rewrites a known member's casing in \`data\`.
 */
export declare function runInMode(
  mode: "strict" | "tolerant",
  validator: CompiledValidator,
  data: unknown,
  notes?: EnumNote[],
): boolean;

${exportNames
  .filter((name) => name !== "runInMode" && name !== "validatorsByName")
  .map((name) => `export declare const ${name}: CompiledValidator;`)
  .join("\n")}

/** Every validator by its schema's name. */
export declare const validatorsByName: Readonly<Record<string, CompiledValidator>>;
`;
}

/** What tolerant mode accepts, as the parser needs it to report each acceptance (scripts/schemas.mjs). */
function toleranceModule() {
  return `${header}
/** Required properties that documented payloads omit: tolerant mode accepts their absence and reports it. */
export const knownOmissions = ${JSON.stringify(knownOmissions, null, 2)} as const;
`;
}

/** Which format each generated `pattern` stands for, so that an error can name the format rather than the regex. */
function formatsModule() {
  const byPattern = Object.fromEntries(
    Object.entries(formatKeywords).flatMap(([format, keywords]) =>
      keywords.pattern ? [[keywords.pattern, format]] : [],
    ),
  );
  return `${header}
/** The formats the validators check as a pattern, by that pattern. */
export const formatOfPattern: Readonly<Record<string, string>> = ${JSON.stringify(byPattern, null, 2)};
`;
}

function rulesModule(spec) {
  const operation = spec.paths["/communications/calls/{call-id}/participants/invite"].post;
  const rules = operation["x-graph-invite-rules"].map(({ code, enforcedBy, pointer, quote, basis }) => ({
    code,
    enforcedBy,
    pointer,
    ...(quote ? { quote } : { basis }),
  }));
  const unavailable = spec["x-graph-invite-unavailable-clouds"];
  return `${header}import type { RuleDefinition } from "../rule-definition.js";

/** The invite action's rules, as the spec states them (\`x-graph-invite-rules\`). */
export const rules = ${JSON.stringify(rules, null, 2)} as const satisfies readonly RuleDefinition[];

/** The national clouds where the action is not available. */
export const unavailableClouds = ${JSON.stringify(unavailable, null, 2)} as const;
`;
}
