// The two schema sets the validators are compiled from. Strict is the contract as the spec states it. Tolerant is
// what a bot should accept from Graph: every object open to properties the contract does not declare, base types
// open to derived types it does not know, and the few required properties real payloads are known to omit.

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
 * Required properties that documented payloads omit. The parser reports each omission as a warning; the list is
 * the runtime's `knownOmissions`, which a test keeps equal to this one.
 */
export const knownOmissions = {
  participant: ["info", "isInLobby", "isMuted"],
  mediaStream: ["serverMuted"],
  resultInfo: ["subcode"],
};

/** The spec's schemas without annotations: ajv's strict mode rejects the unknown `x-*` keywords. */
export function strictSchemas(schemas) {
  return withoutAnnotations(withLocalRefs(schemas));
}

/**
 * The schemas with every `oneOf` turned into a chain of `if`/`then` keyed by `@odata.type`. Because each branch pins
 * its `@odata.type` (and the spec's tests prove the branches exclusive), the chain accepts exactly what the `oneOf`
 * accepts, but it checks only the branch that the payload selects. A failure is therefore reported against that
 * branch, instead of as every branch's failures, and a valid payload is checked once rather than once per branch.
 */
export function discriminated(schemas) {
  const rewrite = (node) => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (node === null || typeof node !== "object") return node;
    const copy = Object.fromEntries(
      Object.entries(node).map(([key, value]) => [
        key,
        key === "properties" ? mapValues(value, rewrite) : rewrite(value),
      ]),
    );
    if (!Array.isArray(node.oneOf)) return copy;
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
  const target = branch.$ref ? schemas[branch.$ref.split("/").pop()] : branch;
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
  const tagSchema = target.properties?.[tag];
  return {
    schema: branch,
    type: target.type ?? "object",
    tags: tagSchema?.const !== undefined ? [tagSchema.const] : (tagSchema?.enum ?? []),
    patterns: tagSchema?.pattern ? [tagSchema.pattern] : [],
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
  const conditions = [
    ...branches.filter((branch) => branch.type !== "object").map((branch) => [{ type: branch.type }, branch]),
    ...branches.flatMap((branch) =>
      branch.tags.map((value) => [{ ...isObject, required: [tag], properties: { [tag]: { const: value } } }, branch]),
    ),
    ...branches.flatMap((branch) =>
      branch.patterns.map((pattern) => [{ ...isObject, required: [tag], properties: { [tag]: { pattern } } }, branch]),
    ),
    ...branches
      .filter((branch) => branch.type === "object" && branch.untagged)
      .map((branch) => [{ ...isObject, not: { required: [tag] } }, branch]),
  ];
  const objectBranches = branches.filter((branch) => branch.type === "object");
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
  if (Array.isArray(node)) return node.map(withoutAnnotations);
  if (node === null || typeof node !== "object") return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key]) => !key.startsWith("x-") && !annotations.has(key))
      .map(([key, value]) => [
        key,
        key === "properties" ? mapValues(value, withoutAnnotations) : withoutAnnotations(value),
      ]),
  );
}

function openObjects(node) {
  if (Array.isArray(node)) return node.map(openObjects);
  if (node === null || typeof node !== "object") return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === "additionalProperties" && value === false))
      .map(([key, value]) => [key, key === "properties" ? mapValues(value, openObjects) : openObjects(value)]),
  );
}

function mapValues(object, transform) {
  return Object.fromEntries(Object.entries(object).map(([key, value]) => [key, transform(value)]));
}
