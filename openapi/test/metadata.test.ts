// Checks the contract against Graph's own v1.0 metadata (reference/graph-subset.json, extracted from
// schemas/v1.0-Prod.csdl), property by property: nothing the metadata declares is missing, nothing is added
// without a recorded reason, non-null stays non-null unless widened, and enums keep their members.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, test } from "vitest";
import { type JsonObject, loadSpec, openapiDir } from "./contract.js";

interface ODataProperty {
  kind: "Property" | "NavigationProperty";
  name: string;
  nullable?: string;
}

const schemas = loadSpec().components.schemas;
const subset = JSON.parse(readFileSync(resolve(openapiDir, "reference/graph-subset.json"), "utf8"));
const graphTypes: Record<string, JsonObject> = subset.$defs["v1.0"];
const derivedTypes: Record<string, string[]> = subset["x-derivedTypes"]["v1.0"];

/**
 * Non-null properties of the metadata that the contract does not require, because documented payloads leave them
 * out. Every other non-null property is required.
 */
const nonNullButOptional: Record<string, Record<string, string>> = {
  commsOperation: { id: "operation notifications of the 2019 docs carry no id" },
  inviteParticipantsOperation: {
    id: "operation notifications of the 2019 docs carry no id",
    participants: "operation notifications of the 2019 docs carry no participants",
  },
  call: {
    id: "a deleted call's notification carries only @odata.type and @odata.id",
    callbackUri: "call notifications carry only what changed",
  },
  deltaParticipants: { id: "a delta carries its sequence number and participants" },
};

/** The metadata's x-odata facts of a type, its base types' included. */
function odataProperties(name: string): ODataProperty[] {
  const schema = graphTypes[`microsoft.graph.${name}`];
  if (!schema) return [];
  const parts = (schema["allOf"] as JsonObject[] | undefined) ?? [schema];
  return parts.flatMap((part) => {
    const ref = part["$ref"];
    if (typeof ref === "string") return odataProperties(ref.replace("#/$defs/v1.0/microsoft.graph.", ""));
    return ((part["x-odata"] as JsonObject | undefined)?.["properties"] as ODataProperty[] | undefined) ?? [];
  });
}

function component(ref: unknown): JsonObject | undefined {
  return typeof ref === "string" ? schemas[ref.replace("#/components/schemas/", "")] : undefined;
}

/** Whether a schema admits `null`, following `$ref` and `oneOf`. */
function acceptsNull(schema: JsonObject | undefined): boolean {
  if (!schema) return false;
  const type = schema["type"];
  if (type === "null" || (Array.isArray(type) && type.includes("null"))) return true;
  if (Array.isArray(schema["oneOf"]) && (schema["oneOf"] as JsonObject[]).some(acceptsNull)) return true;
  return acceptsNull(component(schema["$ref"]));
}

/** Whether the contract records that it widens the metadata here (`x-graph-metadata` on the node or its target). */
function widened(schema: JsonObject): boolean {
  return schema["x-graph-metadata"] !== undefined || component(schema["$ref"])?.["x-graph-metadata"] !== undefined;
}

const objectTypes = Object.entries(schemas).filter(
  ([name, schema]) => schema["properties"] && graphTypes[`microsoft.graph.${name}`],
);
const enumTypes = Object.entries(schemas).filter(([, schema]) => Array.isArray(schema["enum"]));

describe("object types", () => {
  test("the contract has every type a bot meets in these payloads", () => {
    const names = Object.keys(schemas);
    for (const name of [
      "invitationParticipantInfo",
      "participantInfo",
      "identitySet",
      "communicationsIdentitySet",
      "identity",
      "communicationsUserIdentity",
      "communicationsApplicationIdentity",
      "communicationsApplicationInstanceIdentity",
      "communicationsGuestIdentity",
      "communicationsPhoneIdentity",
      "communicationsEncryptedIdentity",
      "azureCommunicationServicesUserIdentity",
      "inviteParticipantsOperation",
      "commsOperation",
      "operationStatus",
      "resultInfo",
      "commsNotifications",
      "commsNotification",
      "changeType",
      "participant",
      "mediaStream",
      "mediaDirection",
      "modality",
      "endpointType",
      "call",
      "odataError",
    ]) {
      expect(names, name).toContain(name);
    }
    expect(objectTypes.length).toBeGreaterThan(30);
  });

  test.each(objectTypes)("%s declares the metadata's properties, and marks any other", (name, schema) => {
    const properties = schema["properties"] as Record<string, JsonObject>;
    // OData control information (@odata.type, @odata.id, @odata.etag) is not part of a type's metadata.
    const declared = Object.keys(properties).filter((p) => !p.startsWith("@odata."));
    const metadata = odataProperties(name);
    const structural = metadata.filter((p) => p.kind === "Property").map((p) => p.name);
    // Navigation properties (a call's participants, operations, ...) are separate resources, not inline; a
    // contract may still declare one that a notification sends inline.
    expect(structural.filter((p) => !declared.includes(p))).toEqual([]);
    const beyondMetadata = declared.filter((p) => !metadata.some((m) => m.name === p));
    const markedUndeclared = declared.filter((p) => properties[p]?.["x-graph-metadata"] === false);
    expect(beyondMetadata).toEqual(markedUndeclared);
  });

  test.each(objectTypes)("%s requires the metadata's non-null properties", (name, schema) => {
    const required = (schema["required"] as string[] | undefined) ?? [];
    const optional = odataProperties(name)
      .filter((p) => p.kind === "Property" && p.nullable === "false" && !required.includes(p.name))
      .map((p) => p.name);
    expect(optional).toEqual(Object.keys(nonNullButOptional[name] ?? {}));
  });

  test.each(objectTypes)("%s keeps non-null properties non-null unless it records a widening", (name, schema) => {
    const properties = schema["properties"] as Record<string, JsonObject>;
    for (const property of odataProperties(name)) {
      const ours = properties[property.name];
      if (property.nullable !== "false" || !ours) continue;
      expect(!acceptsNull(ours) || widened(ours), `${name}.${property.name}`).toBe(true);
    }
  });
});

describe("enumerations", () => {
  test.each(enumTypes)("%s has the metadata's members", (name, schema) => {
    const metadata = graphTypes[`microsoft.graph.${name}`]?.["enum"];
    const contract = (schema["x-graph-metadata"] as JsonObject | undefined)?.["enum"] ?? schema["enum"];
    expect(contract).toEqual(metadata);
  });
});

describe("abstract types", () => {
  test.each(["meetingInfo", "callOptions", "mediaConfig"])("%s is the union of its derived types", (name) => {
    const members = ((schemas[name]?.["oneOf"] ?? []) as JsonObject[]).map((member) => {
      const properties = (component(member["$ref"])?.["properties"] ?? {}) as Record<string, JsonObject>;
      return properties["@odata.type"]?.["const"];
    });
    expect(members.sort()).toEqual([...(derivedTypes[name] ?? [])].sort());
  });
});
