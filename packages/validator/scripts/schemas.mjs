// The schemas the validators are compiled from. Strict is the contract as the spec states it. Tolerant is what a
// bot should accept from Graph: every object open to properties the contract does not declare, base types open to
// derived types it does not know, and the few required properties real payloads are known to omit. The generated
// code holds both in one set of functions, which read the mode at run time (switchableSchemas).

/**
 * Base types that Graph derives further than the contract does. An OData reader treats an unknown derived type as its
 * base type, so in tolerant mode the base accepts any `@odata.type` of its family that no other branch claims.
 */
const openBaseTypes = {
  identity: "Identity",
  identitySet: "IdentitySet",
  commsOperation: "Operation",
};

/**
 * Required properties that documented payloads omit. The parser reports each omission as a warning, from the copy
 * the generator writes to src/generated/tolerance.ts.
 */
export const knownOmissions = {
  participant: ["info", "isInLobby", "isMuted"],
  mediaStream: ["serverMuted"],
  resultInfo: ["subcode"],
};

/**
 * The spec's schemas without annotations (ajv's strict mode rejects the unknown `x-*` keywords), and with each
 * `format` stated as the keywords that mean it, so that the generated code needs no format library.
 */
export function strictSchemas(schemas) {
  return withFormatsAsKeywords(withoutAnnotations(withLocalRefs(schemas)));
}

/** What each format the spec uses means, in plain JSON Schema. */
export const formatKeywords = {
  int32: { minimum: -(2 ** 31), maximum: 2 ** 31 - 1 },
  // An Int64 is bounded by ±2^63 (ajv-formats takes any integer). JavaScript numbers are exact only up to 2^53, but a
  // larger Int64 is still valid.
  int64: { minimum: -(2 ** 63), maximum: 2 ** 63 - 1 },
  // RFC 3339's date-time, as OData's DateTimeOffset is written.
  "date-time": {
    pattern:
      "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$",
  },
};

function withFormatsAsKeywords(node) {
  const copy = withChildren(node, withFormatsAsKeywords);
  if (!isPlainObject(copy) || typeof copy.format !== "string") return copy;
  const { format, ...rest } = copy;
  const keywords = formatKeywords[format];
  if (keywords === undefined) throw new Error(`No keywords for format ${format}: add them to formatKeywords`);
  return { ...rest, ...keywords };
}

/** The keyword that holds, in tolerant mode, the members of an enum that Graph may extend (see generate.mjs). */
export const evolvableKeyword = "graphInviteEvolvable";

/** The keyword whose schema `{ [modeKeyword]: "strict" }` holds only while a validator runs in strict mode. */
export const modeKeyword = "graphInviteMode";

/** The keyword whose subschema is checked in strict mode only (see generate.mjs). */
export const strictOnlyKeyword = "graphInviteStrictOnly";

/** The keyword that holds a schema for each mode, `{ strict, tolerant }` (see generate.mjs). */
export const byModeKeyword = "graphInviteByMode";

/** The parts of a schema whose strict and tolerant readings differ, in that order. */
function byMode(schema) {
  const modes = schema?.[byModeKeyword];
  return modes === undefined ? [schema, schema] : [modes.strict, modes.tolerant];
}

/**
 * Strict and tolerant in one set: the tolerant schemas, with what strict mode adds (closed objects, the required
 * properties Graph omits) held in `graphInviteStrictOnly`, and each schema that differs otherwise (the `@odata.type`
 * of an open base type, an evolvable enum) as `graphInviteByMode: { strict, tolerant }`. One compiled function per schema then serves
 * both modes, which halves the code a bot loads at start-up.
 */
export function switchableSchemas(schemas) {
  return merge(strictSchemas(schemas), tolerantSchemas(schemas));
}

function merge(strict, tolerant) {
  if (JSON.stringify(strict) === JSON.stringify(tolerant)) return tolerant;
  if (!isPlainObject(strict) || !isPlainObject(tolerant)) return conflict(strict, tolerant);
  const merged = {};
  const strictOnly = {};
  for (const key of new Set([...Object.keys(strict), ...Object.keys(tolerant)])) {
    const [inStrict, inTolerant] = [strict[key], tolerant[key]];
    if (key === "additionalProperties" && inStrict === false && inTolerant === undefined) {
      strictOnly.properties = mapValues(strict.properties ?? {}, () => true);
      strictOnly.additionalProperties = false;
    } else if (key === "required") {
      merged.required = inTolerant ?? [];
      const omitted = (inStrict ?? []).filter((property) => !merged.required.includes(property));
      if (omitted.length > 0) strictOnly.required = omitted;
    } else if (key === "properties" && isPlainObject(inStrict) && isPlainObject(inTolerant)) {
      merged.properties = Object.fromEntries(
        Object.keys(inTolerant).map((name) => [name, merge(inStrict[name], inTolerant[name])]),
      );
    } else if (JSON.stringify(inStrict) === JSON.stringify(inTolerant)) {
      merged[key] = inTolerant;
    } else if (isPlainObject(inStrict) && isPlainObject(inTolerant)) {
      merged[key] = merge(inStrict, inTolerant);
    } else {
      return conflict(strict, tolerant);
    }
  }
  if (Object.keys(strictOnly).length === 0) return merged;
  return { ...merged, allOf: [...(merged.allOf ?? []), { [strictOnlyKeyword]: strictOnly }] };
}

function conflict(strict, tolerant) {
  return { [byModeKeyword]: { strict, tolerant } };
}

function isPlainObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * The schemas with every `oneOf` turned into a chain of `if`/`then` keyed by `@odata.type`. Because each branch pins
 * its `@odata.type` (and the spec's tests prove the branches exclusive), the chain accepts exactly what the `oneOf`
 * accepts, but it checks only the branch that the payload selects. A failure is therefore reported against that
 * branch, instead of as every branch's failures, and a valid payload is checked once rather than once per branch.
 */
export function discriminated(schemas) {
  const rewrite = (node) => {
    const copy = withChildren(node, rewrite);
    if (!Array.isArray(copy?.oneOf)) return copy;
    const { oneOf, ...rest } = copy;
    const chain = selectBranch(oneOf.map((branch) => describeBranch(branch, schemas)));
    // A schema with its own if/then (such as nullablePhoneIdentity's E.164 check) keeps it beside the chain.
    return "if" in rest ? { ...rest, allOf: [chain] } : { ...rest, ...chain };
  };
  return mapValues(schemas, rewrite);
}

const tag = "@odata.type";

/** What selects a branch: its JSON type, and for objects the `@odata.type` values (or pattern) it claims. */
function describeBranch(branch, schemas) {
  const referenced = branch.$ref ? schemas[branch.$ref.split("/").pop()] : branch;
  // A schema that differs by mode (an evolvable enum, say) has the same JSON type in both: read it from strict's.
  const [target] = byMode(referenced);
  if (Array.isArray(target.oneOf)) {
    const members = target.oneOf.map((member) => describeBranch(member, schemas));
    const objects = members.filter((member) => member.type === "object");
    return {
      schema: branch,
      type: "object",
      tags: objects.flatMap((member) => member.tags),
      patterns: objects.flatMap((member) => member.patterns),
      untagged: objects.some((member) => member.untagged),
    };
  }
  // A tag that differs by mode is `if: <mode> then: <strict> else: <tolerant>`: exact in strict mode, open in tolerant.
  const tagSchema = target.properties?.[tag];
  const [exact, open] = byMode(tagSchema);
  return {
    schema: branch,
    type: target.type ?? "object",
    tags: exact?.const !== undefined ? [exact.const] : (exact?.enum ?? []),
    patterns: open?.pattern ? [open.pattern] : [],
    untagged: !(target.required ?? []).includes(tag),
  };
}

/**
 * The if/then/else chain for a oneOf: branches of other JSON types by type, then objects by exact tag, then by the
 * pattern of an open base type, then an untagged object by the branch that does not require a tag. What is left
 * fails with the types and tags the union admits.
 */
function selectBranch(branches) {
  const isObject = { type: "object" };
  const objectBranches = branches.filter((branch) => branch.type === "object");
  const byTag = (tags) => ({ [tag]: tags.length === 1 ? { const: tags[0] } : { enum: tags } });
  const conditions = [
    ...branches.filter((branch) => branch.type !== "object").map((branch) => [{ type: branch.type }, branch]),
    // With one kind of object (an entity or null, say), being an object selects it, and it checks its own tag.
    ...(objectBranches.length === 1
      ? [[isObject, objectBranches[0]]]
      : [
          ...objectBranches
            .filter((branch) => branch.tags.length > 0)
            .map((branch) => [{ ...isObject, required: [tag], properties: byTag(branch.tags) }, branch]),
          // Open base types take unknown derived types in tolerant mode only.
          ...objectBranches.flatMap((branch) =>
            branch.patterns.map((pattern) => [
              { [modeKeyword]: "tolerant", ...isObject, required: [tag], properties: { [tag]: { pattern } } },
              branch,
            ]),
          ),
          ...objectBranches
            .filter((branch) => branch.untagged)
            .map((branch) => [{ ...isObject, not: { required: [tag] } }, branch]),
        ]),
  ];
  const types = [...new Set(branches.map((branch) => branch.type))];
  const otherwise = {
    type: types.length === 1 ? types[0] : types,
    ...(objectBranches.length > 0 && {
      required: objectBranches.some((branch) => branch.untagged) ? [] : [tag],
      properties: { [tag]: { enum: [...new Set(objectBranches.flatMap((branch) => branch.tags))] } },
    }),
  };
  return conditions.reduceRight(
    // biome-ignore lint/suspicious/noThenProperty: `then` is the JSON Schema keyword; these objects are schemas.
    (elseBranch, [condition, branch]) => ({ if: condition, then: branch.schema, else: elseBranch }),
    otherwise,
  );
}

export function tolerantSchemas(schemas) {
  const open = openObjects(strictSchemas(schemas));
  for (const [name, family] of Object.entries(openBaseTypes)) {
    const claimed = Object.values(open)
      .filter((schema) => schema.oneOf?.some((branch) => branch.$ref?.endsWith(`/${name}`)))
      .flatMap((union) => union.oneOf.map((branch) => open[branch.$ref?.split("/").pop()]))
      .map((member) => member?.properties?.["@odata.type"]?.const)
      .filter((tag) => tag !== undefined && tag !== open[name].properties["@odata.type"].const);
    open[name].properties["@odata.type"] = {
      type: "string",
      pattern: `^#microsoft\\.graph\\.(${name}|[A-Za-z]+${family})$`,
      not: { enum: [...new Set(claimed)] },
    };
  }
  // Graph labels a call's `targets` (invitationParticipantInfo) as participantInfo, as it labels roster entries'
  // info (participantInfo) as invitationParticipantInfo, which the contract already admits.
  open.invitationParticipantInfo.properties["@odata.type"] = {
    type: "string",
    enum: ["#microsoft.graph.invitationParticipantInfo", "#microsoft.graph.participantInfo"],
  };
  // Graph's enums are evolvable (its metadata ends many with `unknownFutureValue`, and it adds members over time):
  // every enum the spec names is a string whose unknown values are data, reported rather than refused.
  for (const [name, schema] of Object.entries(open)) {
    if (schema.type === "string" && Array.isArray(schema.enum)) {
      const { enum: members, ...rest } = schema;
      open[name] = { ...rest, [evolvableKeyword]: members };
    }
  }
  for (const [name, omitted] of Object.entries(knownOmissions)) {
    open[name].required = open[name].required.filter((property) => !omitted.includes(property));
  }
  return open;
}

/** The components become the `$defs` of one schema document, so their references point there. */
function withLocalRefs(schemas) {
  return JSON.parse(JSON.stringify(schemas).replaceAll('"#/components/schemas/', '"#/$defs/'));
}

/** Keywords that only annotate; the generated code would carry them as dead weight. */
const annotations = new Set(["description", "example", "examples", "title"]);

function withoutAnnotations(node) {
  return withoutKeys(withChildren(node, withoutAnnotations), (key) => key.startsWith("x-") || annotations.has(key));
}

function openObjects(node) {
  return withoutKeys(
    withChildren(node, openObjects),
    (key, value) => key === "additionalProperties" && value === false,
  );
}

/** A copy of a schema with `visit` applied to each child. The names under `properties` are names, not keywords. */
function withChildren(node, visit) {
  if (Array.isArray(node)) return node.map(visit);
  if (!isPlainObject(node)) return node;
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) => [key, key === "properties" ? mapValues(value, visit) : visit(value)]),
  );
}

function withoutKeys(node, drop) {
  if (!isPlainObject(node)) return node;
  return Object.fromEntries(Object.entries(node).filter(([key, value]) => !drop(key, value)));
}

function mapValues(object, transform) {
  return Object.fromEntries(Object.entries(object).map(([key, value]) => [key, transform(value)]));
}
