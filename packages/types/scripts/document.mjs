// Gives every name that openapi-typescript exports without a comment a TSDoc summary, so that the package's API
// report (api-extractor, `ae-undocumented`) finds each export documented: the root interfaces (`paths`, `webhooks`,
// `components`, `operations`) and their members, and the named alias of each schema, response and parameter, which
// takes the first sentence of the spec's description.

const rootDocs = {
  paths: "The spec's paths, by path and then HTTP method: the map that openapi-fetch's `createClient<paths>` reads.",
  webhooks: "The spec's webhooks, by name: the requests Graph sends to the bot.",
  components: "The spec's reusable parts, by kind and then name.",
  operations: "The spec's operations, by `operationId`: their parameters, request bodies and responses.",
};

const componentDocs = {
  schemas: "Every schema of the spec, by name. Each also has a named alias, such as `CommsNotification`.",
  responses: "The spec's reusable responses, by name.",
  parameters: "The spec's reusable parameters, by name.",
  requestBodies: "The spec's reusable request bodies (it declares none).",
  headers: "The spec's reusable headers (it declares none).",
  pathItems: "The spec's reusable path items (it declares none).",
};

const memberDoc = {
  paths: (key) => `The operations on \`${key}\`.`,
  webhooks: (key) => `The \`${key}\` webhook: the request Graph sends and the answers it expects.`,
  components: (key) => componentDocs[key] ?? `The spec's reusable ${key}, by name.`,
  operations: (key) => `The \`${key}\` operation.`,
};

/** The first sentence of a description, on one line. */
function firstSentence(description) {
  const text = description.replace(/\s+/g, " ").trim();
  return /^.*?[.!?](?=\s|$)/.exec(text)?.[0] ?? text;
}

function aliasDoc(spec, kind, name) {
  const description = spec.components?.[kind]?.[name]?.description;
  const what = { schemas: "schema", responses: "response", parameters: "parameter" }[kind];
  if (!description) {
    throw new Error(`components.${kind}.${name} has no description for its named type to carry`);
  }
  return `${firstSentence(description)} The spec's \`${name}\` ${what}.`;
}

/** Adds the comments to openapi-typescript's output. `spec` is the parsed spec it was generated from. */
export function documentRoots(source, spec) {
  let root;
  return source
    .split("\n")
    .flatMap((line, index, lines) => {
      const commented = lines[index - 1]?.trim().endsWith("*/");
      const rootMatch = /^export interface (\w+) \{$/.exec(line);
      if (rootMatch) {
        root = rootMatch[1];
        return commented ? [line] : [`/** ${rootDocs[root] ?? `The spec's ${root}.`} */`, line];
      }
      if (line.startsWith("}")) {
        root = undefined;
      }
      const member = /^ {4}("[^"]+"|\w+)\??: /.exec(line);
      if (root && member && !commented) {
        return [`    /** ${memberDoc[root](member[1].replace(/^"|"$/g, ""))} */`, line];
      }
      const alias = /^export type \w+ = components\['(\w+)'\]\['(\w+)'\];$/.exec(line);
      if (alias && !commented) {
        return [`/** ${aliasDoc(spec, alias[1], alias[2])} */`, line];
      }
      if (line === "export type $defs = Record<string, never>;" && !commented) {
        return ["/** The spec's `$defs` (it declares none). */", line];
      }
      return [line];
    })
    .join("\n");
}
