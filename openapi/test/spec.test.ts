import { existsSync, readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, test } from "vitest";
import {
  compileSchema,
  describeError,
  examplesDir,
  type JsonObject,
  loadSpec,
  metadataDeparture,
  metadataSchemas,
  readExample,
} from "./contract.js";
import { seedPayloads, seedText, withoutLayout } from "./seed.js";

const spec = loadSpec();
const schemas = spec.components.schemas;

/** The example files in the order the reference page shows their payloads. */
const examplesInPageOrder = [
  "example-1-invite-one-participant",
  "example-2-invite-multiple-participants",
  "example-3-replace-peer-to-peer-call",
  "example-4-invite-phone-participant",
  "example-5-move-participant",
].flatMap((example) =>
  ["request", "response", "operation-completed", "roster-updated"].map((kind) => `${example}.${kind}.json`),
);

/** The schema each kind of example is an example of. */
function schemaOf(file: string): string {
  if (file.endsWith(".request.json")) return "invitePostRequestBody";
  if (file.endsWith(".response.json")) return "inviteParticipantsOperation";
  return "commsNotifications";
}

/** Every `externalValue` in the spec, with the JSON Pointer of its Example Object. */
function externalValues(node: unknown, pointer = ""): Array<{ pointer: string; file: string }> {
  if (node === null || typeof node !== "object") return [];
  const object = node as JsonObject;
  const own = typeof object["externalValue"] === "string" ? [{ pointer, file: object["externalValue"] }] : [];
  return own.concat(Object.entries(object).flatMap(([key, value]) => externalValues(value, `${pointer}/${key}`)));
}

describe("the examples", () => {
  test("are the reference page's twenty payloads, verbatim apart from whitespace", () => {
    const payloads = seedPayloads();
    expect(payloads).toHaveLength(20);
    expect(readdirSync(examplesDir).sort()).toEqual([...examplesInPageOrder].sort());
    examplesInPageOrder.forEach((file, index) => {
      const text = readFileSync(resolve(examplesDir, file), "utf8");
      expect(withoutLayout(text), file).toBe(withoutLayout(payloads[index] ?? ""));
    });
  });

  test("are each referenced once from the spec, under the schema they exemplify", () => {
    const references = externalValues(spec);
    expect(references.map((r) => r.file.replace("./examples/", "")).sort()).toEqual([...examplesInPageOrder].sort());
    for (const { pointer, file } of references) {
      expect(existsSync(resolve(examplesDir, "..", file)), file).toBe(true);
      const isRequest = pointer.includes("/paths/") && pointer.includes("/requestBody/");
      const isResponse = pointer.includes("/responses/200/");
      const isWebhook = pointer.startsWith("/webhooks/commsNotifications/post/requestBody/");
      const expected = { invitePostRequestBody: isRequest, inviteParticipantsOperation: isResponse };
      const schema = schemaOf(file);
      if (schema === "commsNotifications") expect(isWebhook, pointer).toBe(true);
      else expect(expected[schema as keyof typeof expected], pointer).toBe(true);
    }
  });

  test.each(examplesInPageOrder)("%s conforms to the contract", (file) => {
    const validate = compileSchema(schemas, schemaOf(file));
    validate(readExample(file));
    expect(validate.errors?.map(describeError) ?? []).toEqual([]);
  });
});

describe("where the examples depart from Graph's metadata", () => {
  // Each line: the JSON Pointer in the example, how it departs, and the place in the contract that admits it.
  // `widened`: the contract widens the metadata's schema there and keeps it under `x-graph-metadata`; the keyword is
  // the one the metadata's schema fails. `undeclared`: the contract declares a property the metadata does not.
  const widened = (pointer: string, keyword: string, place: string) =>
    `${pointer} ${keyword} #/components/schemas/${place}`;
  const undeclared = (pointer: string, place: string) => `${pointer} undeclared #/components/schemas/${place}`;
  // Every notification of the page carries `resource` and `resourceData`.
  const undeclaredEnvelope = [
    undeclared("/value/0/resource", "commsNotification/properties/resource"),
    undeclared("/value/0/resourceData", "commsNotification/properties/resourceData"),
  ];
  const expected: Record<string, string[] | "conforms"> = {
    "example-1-invite-one-participant.request.json": "conforms",
    "example-1-invite-one-participant.response.json": [
      undeclared("/participants/0/endpointType", "invitationParticipantInfo/properties/endpointType"),
      undeclared("/participants/0/identity/phone", "identitySet/properties/phone"),
    ],
    "example-1-invite-one-participant.operation-completed.json": [
      ...undeclaredEnvelope,
      widened("/value/0/resourceData/status", "enum", "operationStatus"),
    ],
    "example-1-invite-one-participant.roster-updated.json": [
      ...undeclaredEnvelope,
      widened("/value/0/resourceData/0/id", "type", "participant/properties/id"),
      widened("/value/0/resourceData/0/info/@odata.type", "const", "participantInfo/properties/@odata.type"),
    ],
    "example-2-invite-multiple-participants.request.json": "conforms",
    "example-2-invite-multiple-participants.response.json": [
      undeclared("/participants/0/endpointType", "invitationParticipantInfo/properties/endpointType"),
      undeclared("/participants/0/identity/phone", "identitySet/properties/phone"),
      undeclared("/participants/1/endpointType", "invitationParticipantInfo/properties/endpointType"),
      undeclared("/participants/1/identity/phone", "identitySet/properties/phone"),
    ],
    "example-2-invite-multiple-participants.operation-completed.json": [
      ...undeclaredEnvelope,
      widened("/value/0/resourceData/id", "type", "operationId"),
      widened("/value/0/resourceData/status", "enum", "operationStatus"),
    ],
    "example-2-invite-multiple-participants.roster-updated.json": [
      ...undeclaredEnvelope,
      widened("/value/0/resourceData/0/id", "type", "participant/properties/id"),
      widened("/value/0/resourceData/0/info/@odata.type", "const", "participantInfo/properties/@odata.type"),
      widened("/value/0/resourceData/1/id", "type", "participant/properties/id"),
      widened("/value/0/resourceData/1/info/@odata.type", "const", "participantInfo/properties/@odata.type"),
    ],
    "example-3-replace-peer-to-peer-call.request.json": "conforms",
    "example-3-replace-peer-to-peer-call.response.json": [
      undeclared("/participants/0/endpointType", "invitationParticipantInfo/properties/endpointType"),
      undeclared("/participants/0/identity/phone", "identitySet/properties/phone"),
    ],
    "example-3-replace-peer-to-peer-call.operation-completed.json": [
      ...undeclaredEnvelope,
      widened("/value/0/resourceData/status", "enum", "operationStatus"),
    ],
    "example-3-replace-peer-to-peer-call.roster-updated.json": [
      ...undeclaredEnvelope,
      widened("/value/0/resourceData/0/id", "type", "participant/properties/id"),
      widened("/value/0/resourceData/0/info/@odata.type", "const", "participantInfo/properties/@odata.type"),
    ],
    "example-4-invite-phone-participant.request.json": [
      undeclared("/participants/0/identity/phone", "identitySet/properties/phone"),
    ],
    "example-4-invite-phone-participant.response.json": [
      undeclared("/participants/0/endpointType", "invitationParticipantInfo/properties/endpointType"),
      undeclared("/participants/0/id", "invitationParticipantInfo/properties/id"),
      undeclared("/participants/0/identity/applicationInstance", "identitySet/properties/applicationInstance"),
      undeclared("/participants/0/identity/encrypted", "identitySet/properties/encrypted"),
      undeclared("/participants/0/identity/guest", "identitySet/properties/guest"),
      undeclared("/participants/0/identity/onPremises", "identitySet/properties/onPremises"),
      undeclared("/participants/0/identity/phone", "identitySet/properties/phone"),
    ],
    "example-4-invite-phone-participant.operation-completed.json": [
      ...undeclaredEnvelope,
      widened("/value/0/resourceData/status", "enum", "operationStatus"),
      undeclared("/value/0/resourceData/participants/0/identity/phone", "identitySet/properties/phone"),
    ],
    "example-4-invite-phone-participant.roster-updated.json": [
      ...undeclaredEnvelope,
      widened("/value/0/resourceData/0/id", "type", "participant/properties/id"),
      undeclared("/value/0/resourceData/0/info/identity/phone", "identitySet/properties/phone"),
    ],
    "example-5-move-participant.request.json": [
      undeclared("/participants/0/identity/user/identityProvider", "identity/properties/identityProvider"),
    ],
    "example-5-move-participant.response.json": [
      undeclared("/participants/0/endpointType", "invitationParticipantInfo/properties/endpointType"),
      undeclared("/participants/0/id", "invitationParticipantInfo/properties/id"),
      undeclared("/participants/0/identity/phone", "identitySet/properties/phone"),
      undeclared("/participants/0/identity/user/identityProvider", "identity/properties/identityProvider"),
      undeclared("/participants/0/identity/user/tenantId", "identity/properties/tenantId"),
    ],
    "example-5-move-participant.operation-completed.json": [
      ...undeclaredEnvelope,
      widened("/value/0/resourceData/status", "enum", "operationStatus"),
      undeclared(
        "/value/0/resourceData/participants/0/identity/user/identityProvider",
        "identity/properties/identityProvider",
      ),
      undeclared("/value/0/resourceData/participants/0/identity/user/tenantId", "identity/properties/tenantId"),
    ],
    "example-5-move-participant.roster-updated.json": [
      ...undeclaredEnvelope,
      widened("/value/0/resourceData/0/id", "type", "participant/properties/id"),
      undeclared("/value/0/resourceData/0/info/identity/user/identityProvider", "identity/properties/identityProvider"),
      undeclared("/value/0/resourceData/0/info/identity/user/tenantId", "identity/properties/tenantId"),
    ],
  };
  const metadata = metadataSchemas(schemas);

  test("every example is listed", () => {
    expect(Object.keys(expected).sort()).toEqual([...examplesInPageOrder].sort());
  });

  test.each(examplesInPageOrder)("%s", (file) => {
    const validate = compileSchema(metadata, schemaOf(file));
    validate(readExample(file));
    const departures = new Set<string>();
    for (const error of validate.errors ?? []) {
      const departure = metadataDeparture(error);
      if (departure) departures.add(departure);
    }
    expect(departures.size === 0 ? "conforms" : [...departures]).toEqual(expected[file]);
  });
});

describe("polymorphism", () => {
  /** The members of a oneOf, with members that are themselves unions replaced by their own members. */
  function flatten(members: JsonObject[]): JsonObject[] {
    return members.flatMap((member) => {
      const ref = member["$ref"];
      const target = typeof ref === "string" ? schemas[ref.replace("#/components/schemas/", "")] : undefined;
      return Array.isArray(target?.["oneOf"]) ? flatten(target["oneOf"] as JsonObject[]) : [member];
    });
  }

  /** The `@odata.type` values a oneOf member pins (by `const` or `enum`), and whether the member requires one. */
  function pinnedTypes(member: JsonObject): { values: unknown[]; required: boolean } {
    const ref = member["$ref"];
    const schema = typeof ref === "string" ? schemas[ref.replace("#/components/schemas/", "")] : member;
    const property = (schema?.["properties"] as JsonObject | undefined)?.["@odata.type"] as JsonObject | undefined;
    const values = property?.["const"] !== undefined ? [property["const"]] : ((property?.["enum"] as unknown[]) ?? []);
    return { values, required: ((schema?.["required"] as string[]) ?? []).includes("@odata.type") };
  }

  function oneOfs(node: unknown, pointer = ""): Array<{ pointer: string; members: JsonObject[] }> {
    if (node === null || typeof node !== "object") return [];
    const object = node as JsonObject;
    const own = Array.isArray(object["oneOf"]) ? [{ pointer, members: object["oneOf"] as JsonObject[] }] : [];
    return own.concat(Object.entries(object).flatMap(([key, value]) => oneOfs(value, `${pointer}/${key}`)));
  }

  test("each oneOf member pins its own @odata.type, and at most one (the base type) leaves it optional", () => {
    const unions = oneOfs(schemas).filter(({ members }) => members.some((m) => pinnedTypes(m).values.length > 0));
    expect(unions.length).toBeGreaterThan(5);
    for (const { pointer, members } of unions) {
      const pins = flatten(members)
        .filter((m) => m["type"] !== "null" && m["type"] !== "array")
        .map(pinnedTypes);
      const values = pins.flatMap((p) => p.values);
      expect(
        pins.every((p) => p.values.length > 0 && p.values.every((v) => typeof v === "string")),
        pointer,
      ).toBe(true);
      expect(new Set(values).size, `${pointer} pins distinct types`).toBe(values.length);
      expect(pins.filter((p) => !p.required).length, `${pointer} has one optional tag at most`).toBeLessThanOrEqual(1);
    }
  });
});

describe("the operation", () => {
  const operation = (spec["paths"] as JsonObject)["/communications/calls/{call-id}/participants/invite"] as JsonObject;
  const post = operation["post"] as JsonObject;

  test("is served in the global and US Government clouds, not in China", () => {
    const servers = (spec["servers"] as Array<{ url: string }>).map((s) => s.url);
    expect(servers).toEqual([
      "https://graph.microsoft.com/v1.0",
      "https://graph.microsoft.us/v1.0",
      "https://dod-graph.microsoft.us/v1.0",
    ]);
    expect(servers.some((url) => url.includes("chinacloudapi"))).toBe(false);
    expect(/China operated by 21Vianet \|\n✅ \|\n✅ \|\n✅ \|\n❌ \|/.test(seedText)).toBe(true);
  });

  test("needs the application permission Calls.InitiateGroupCall.All", () => {
    expect(post["security"]).toEqual([{ graphClientCredentials: ["Calls.InitiateGroupCall.All"] }]);
    expect(seedText.includes("Application |\nCalls.InitiateGroupCall.All |")).toBe(true);
  });

  test("records each business rule with a stable code and its source", () => {
    const rules = post["x-graph-invite-rules"] as Array<{
      code: string;
      enforcedBy: string;
      source: string;
      quote?: string;
      basis?: string;
    }>;
    expect(new Set(rules.map((r) => r.code)).size).toBe(rules.length);
    const page = seedText.replace(/\s+/g, " ");
    for (const rule of rules) {
      expect(rule.code).toMatch(/^invite\.[a-z0-9-]+$/);
      expect(["schema", "validator"]).toContain(rule.enforcedBy);
      if (rule.source === "derived") {
        expect(rule.basis, `${rule.code} says why`).toMatch(/\w{3,}/);
        continue;
      }
      expect(rule.source).toBe("reference-page");
      expect(page.includes((rule.quote ?? "").replace(/\s+/g, " ")), `${rule.code} quotes the page`).toBe(true);
    }
  });
});

describe("the rules the schemas state", () => {
  const operation = (spec["paths"] as JsonObject)["/communications/calls/{call-id}/participants/invite"] as JsonObject;
  const rules = (operation["post"] as JsonObject)["x-graph-invite-rules"] as Array<{
    code: string;
    enforcedBy: string;
  }>;
  const validate = compileSchema(schemas, "invitePostRequestBody");
  const user = (id: string) => ({ identity: { user: { id } } });
  const phone = (id: string) => ({
    identity: {
      "@odata.type": "#microsoft.graph.identitySet",
      phone: { "@odata.type": "#microsoft.graph.identity", id },
    },
  });

  /** For each rule: a body that keeps it, and a body that breaks it with the error that must name it. */
  const cases: Record<string, { keeps: unknown; breaks: unknown; error: string }> = {
    "invite.at-least-one-participant": {
      keeps: { participants: [user("a")] },
      breaks: { participants: [] },
      error: "/participants minItems",
    },
    "invite.max-participants": {
      keeps: { participants: ["a", "b", "c", "d", "e"].map(user) },
      breaks: { participants: ["a", "b", "c", "d", "e", "f"].map(user) },
      error: "/participants maxItems",
    },
    "invite.client-context-length": {
      keeps: { participants: [user("a")], clientContext: "x".repeat(256) },
      breaks: { participants: [user("a")], clientContext: "x".repeat(257) },
      error: "/clientContext maxLength",
    },
    "invite.phone-e164": {
      keeps: { participants: [phone("+12345678901")] },
      breaks: { participants: [phone("12345678901")] },
      error: "/participants/0/identity/phone/id pattern",
    },
  };

  test("every rule marked `enforcedBy: schema` has a case here", () => {
    expect(
      rules
        .filter((rule) => rule.enforcedBy === "schema")
        .map((rule) => rule.code)
        .sort(),
    ).toEqual(Object.keys(cases).sort());
  });

  test.each(Object.entries(cases))("%s", (_code, { keeps, breaks, error }) => {
    expect(validate(keeps), JSON.stringify(validate.errors)).toBe(true);
    expect(validate(breaks)).toBe(false);
    expect(validate.errors?.map(describeError)).toContain(error);
  });

  test("a phone identity typed as such needs an E.164 id too", () => {
    const body = {
      participants: [
        {
          identity: {
            "@odata.type": "#microsoft.graph.communicationsIdentitySet",
            phone: { "@odata.type": "#microsoft.graph.communicationsPhoneIdentity", id: "555-0100" },
          },
        },
      ],
    };
    expect(validate(body)).toBe(false);
    expect(validate.errors?.map(describeError)).toContain("/participants/0/identity/phone/id pattern");
  });
});

describe("where the examples depart from what the reference page says, beyond any schema", () => {
  type Notifications = { value: Array<{ resourceUrl: string; resourceData: unknown }> };
  type Roster = Array<{ info: { identity: Record<string, { id?: string | null } | null> } }>;

  const callIdOf = (resourceUrl: string) => resourceUrl.split("/")[3];
  const exampleOf = (file: string) => file.slice(0, file.indexOf("."));
  const invitedUserIds = (file: string) =>
    (
      readExample(`${exampleOf(file)}.request.json`) as {
        participants: Array<{ identity: Roster[0]["info"]["identity"] }>;
      }
    ).participants
      .map((p) => p.identity["user"]?.id)
      .filter(Boolean);

  /** Checks for what the page's own text and examples say, which a schema cannot state. */
  function departures(file: string): string[] {
    const found: string[] = [];
    if (file.endsWith(".request.json")) {
      const { participants } = readExample(file) as { participants: Array<{ replacesCallId?: string }> };
      participants.forEach((participant, index) => {
        // "only the first participant is read and the rest of the participants are ignored"
        if (index > 0 && participant.replacesCallId) found.push(`/participants/${index} ignored-with-replacesCallId`);
      });
    }
    if (file.endsWith(".operation-completed.json") || file.endsWith(".roster-updated.json")) {
      const operation = (readExample(`${exampleOf(file)}.operation-completed.json`) as Notifications).value[0];
      (readExample(file) as Notifications).value.forEach((notification, index) => {
        const { resourceUrl, resourceData } = notification;
        if (Array.isArray(resourceData)) {
          if (!/^\/communications\/calls\/[^/]+\/participants$/.test(resourceUrl)) {
            found.push(`/value/${index}/resourceUrl roster-on-another-path`);
          }
          if (operation && callIdOf(resourceUrl) !== callIdOf(operation.resourceUrl)) {
            found.push(`/value/${index}/resourceUrl roster-of-another-call`);
          }
          (resourceData as Roster).forEach((participant, position) => {
            const application = participant.info.identity["application"];
            if (application && invitedUserIds(file).includes(application.id ?? undefined)) {
              found.push(
                `/value/${index}/resourceData/${position}/info/identity/application invited-user-as-application`,
              );
            }
          });
        } else if (resourceUrl.split("/").at(-1) !== (resourceData as { id?: string | null }).id) {
          found.push(`/value/${index}/resourceUrl operation-path-without-its-id`);
        }
      });
    }
    return found;
  }

  const expected: Record<string, string[]> = {
    "example-1-invite-one-participant.roster-updated.json": [
      "/value/0/resourceData/0/info/identity/application invited-user-as-application",
    ],
    "example-2-invite-multiple-participants.request.json": ["/participants/1 ignored-with-replacesCallId"],
    "example-2-invite-multiple-participants.operation-completed.json": [
      "/value/0/resourceUrl operation-path-without-its-id",
    ],
    "example-2-invite-multiple-participants.roster-updated.json": [
      "/value/0/resourceUrl roster-on-another-path",
      "/value/0/resourceData/0/info/identity/application invited-user-as-application",
    ],
    "example-3-replace-peer-to-peer-call.roster-updated.json": ["/value/0/resourceUrl roster-of-another-call"],
  };

  test.each(examplesInPageOrder)("%s", (file) => {
    expect(departures(file)).toEqual(expected[file] ?? []);
  });
});
