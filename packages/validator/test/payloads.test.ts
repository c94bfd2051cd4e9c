// Every payload is a test case: the seed's examples (openapi/examples) and the real payloads under
// openapi/reference/payloads. The valid ones parse in tolerant mode, and the table states which normalisations each
// needs; the malformed ones give a syntax error with its position.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseGraphError, parseInviteResponse, parseNotifications, validateInviteRequest } from "../src/index.js";
import { examplesDir, jsonFiles, malformedDir, payloadsDir, readText } from "./helpers.js";

type Kind = "notifications" | "response" | "error";
type Case = [file: string, kind: Kind, classified: string[], warnings: string[]];

/** Each payload's kind, how its notifications classify, and the warnings (code and pointer) tolerant mode gives. */
const referencePayloads: Case[] = [
  [
    "docs-beta-2018-call-ringing-callState-legacy.json",
    "notifications",
    ["call"],
    ["notification.resource-url-missing /value/0/resourceUrl"],
  ],
  [
    "docs-beta-2018-invite-operation-completed-inviteParticipantsOperation-app-path.json",
    "notifications",
    ["operation"],
    ["notification.resource-url-missing /value/0/resourceUrl"],
  ],
  [
    "docs-beta-2018-invite-operation-completed-legacy-app-path-commsOperation.json",
    "notifications",
    ["operation"],
    ["notification.resource-url-missing /value/0/resourceUrl"],
  ],
  [
    "docs-beta-2018-redirect-terminated-answeredBy-endpointIdentity.json",
    "notifications",
    ["call"],
    ["notification.resource-url-missing /value/0/resourceUrl"],
  ],
  [
    "docs-beta-2018-transfer-terminated-AppTransferred.json",
    "notifications",
    ["call"],
    ["notification.resource-url-missing /value/0/resourceUrl"],
  ],
  [
    "docs-beta-2019-commsnotification-unwrapped-call-terminated-code-0.json",
    "notifications",
    ["call"],
    ["notification.unwrapped", "contract.missing-property /resourceData/resultInfo/subcode"],
  ],
  [
    "docs-beta-2019-commsnotification-unwrapped-roster-created-ids-only.json",
    "notifications",
    ["roster"],
    [
      "notification.unwrapped",
      "contract.missing-property /resourceData/0/info",
      "contract.missing-property /resourceData/0/isInLobby",
      "contract.missing-property /resourceData/0/isMuted",
      "contract.missing-property /resourceData/1/info",
      "contract.missing-property /resourceData/1/isInLobby",
      "contract.missing-property /resourceData/1/isMuted",
    ],
  ],
  ["docs-beta-2019-commsnotifications-roster-with-callbackUri-video-vbss.json", "notifications", ["roster"], []],
  [
    "docs-beta-2019-commsoperation-clientcontext-race-example.json",
    "response",
    [],
    ["contract.missing-property /resultInfo/subcode"],
  ],
  [
    "docs-beta-2019-invite-notification-heading-completed-but-running-op.json",
    "response",
    [],
    ["status.casing /status"],
  ],
  [
    "docs-beta-2019-invite-operation-completed-nohash-odatatype-etag.json",
    "notifications",
    ["operation"],
    ["odata-type.missing-hash /@odata.type", "odata-type.missing-hash /value/0/@odata.type"],
  ],
  [
    "docs-beta-2019-invite-replaces-original-p2p-deleted-minimal.json",
    "notifications",
    ["call"],
    ["odata-type.missing-hash /@odata.type", "odata-type.missing-hash /value/0/@odata.type"],
  ],
  [
    "docs-beta-2019-invite-replaces-original-p2p-terminated-updated.json",
    "notifications",
    ["call"],
    ["odata-type.missing-hash /@odata.type", "odata-type.missing-hash /value/0/@odata.type"],
  ],
  ["docs-beta-2019-invite-response-lowercase-running-minimal.json", "response", [], []],
  [
    "docs-beta-2019-transfer-failed-established-500-1000.json",
    "notifications",
    ["call"],
    ["result-info.subcode-casing /value/0/resourceData/resultInfo/subCode"],
  ],
  ["docs-beta-application-post-calls-roster-guest-in-lobby.json", "notifications", ["roster"], []],
  ["docs-beta-call-answer-incoming-callroutes-phone-to-user.json", "notifications", ["call"], []],
  ["docs-beta-call-answer-incoming-policy-recording-applicationMetadata.json", "notifications", ["call"], []],
  [
    "docs-beta-call-changescreensharingrole-roster-vbss-no-odata-types.json",
    "notifications",
    ["roster"],
    ["contract.missing-property /value/0/resourceData/0/mediaStreams/0/serverMuted"],
  ],
  [
    "docs-beta-call-delete-terminated-code-string-0.json",
    "notifications",
    ["call"],
    [
      "result-info.code-string /value/0/resourceData/resultInfo/code",
      "contract.missing-property /value/0/resourceData/resultInfo/subcode",
    ],
  ],
  ["docs-beta-call-playprompt-operation-completed.json", "notifications", ["operation"], []],
  ["docs-beta-call-record-operation-completed-recordingLocation.json", "notifications", ["operation"], []],
  ["docs-beta-call-redirect-terminated-full-call.json", "notifications", ["call"], []],
  ["docs-beta-call-reject-deleted-no-state.json", "notifications", ["call"], []],
  ["docs-beta-call-subscribetotone-tone-notification.json", "notifications", ["call"], []],
  ["docs-beta-cancelmediaprocessing-recordresponse-failed-400-8508.json", "notifications", ["operation"], []],
  [
    "docs-beta-invite-multiple-operation-completed-path-operations-participants-id-null.json",
    "notifications",
    ["operation"],
    [],
  ],
  [
    "docs-beta-invite-multiple-roster-on-operations-path.json",
    "notifications",
    ["roster"],
    ["notification.roster-on-operations-path /value/0/resourceUrl"],
  ],
  ["docs-beta-invite-pstn-operation-completed-phone-identity.json", "notifications", ["operation"], []],
  ["docs-beta-invite-pstn-response-null-identity-fields.json", "response", [], ["status.casing /status"]],
  ["docs-beta-invite-pstn-roster-phone-identity.json", "notifications", ["roster"], []],
  [
    "docs-beta-transfer-failed-notification-500-7700-replacesContext.json",
    "notifications",
    ["call"],
    ["result-info.subcode-casing /value/0/resourceData/resultInfo/subCode"],
  ],
  ["docs-concepts-errors-invalidRange-error.json", "error", [], []],
  ["docs-concepts-onlinemeeting-access-policy-Unauthorized-error.json", "error", [], []],
  ["docs-concepts-throttling-429-TooManyRequests-error.json", "error", [], []],
  ["docs-v1-invite-operation-completed-notification.json", "notifications", ["operation"], []],
  ["docs-v1-invite-roster-added-application-identity-id-null.json", "notifications", ["roster"], []],
  [
    "learn-v1-call-delete-terminated-code-subcode-as-strings-5001.json",
    "notifications",
    ["call"],
    [
      "result-info.code-string /value/0/resourceData/resultInfo/code",
      "result-info.code-string /value/0/resourceData/resultInfo/subcode",
    ],
  ],
  ["learn-v1-call-delete-terminating-notification.json", "notifications", ["call"], []],
  ["learn-v1-invite-2025-response-user-displayName-string.json", "response", [], ["status.casing /status"]],
  ["learn-v1-invite-move-participant-operation-completed.json", "notifications", ["operation"], []],
  ["learn-v1-invite-move-participant-response-participantId.json", "response", [], ["status.casing /status"]],
];

const seedExamples: Case[] = [
  ["example-1-invite-one-participant.operation-completed.json", "notifications", ["operation"], []],
  ["example-1-invite-one-participant.response.json", "response", [], ["status.casing /status"]],
  ["example-1-invite-one-participant.roster-updated.json", "notifications", ["roster"], []],
  ["example-2-invite-multiple-participants.operation-completed.json", "notifications", ["operation"], []],
  ["example-2-invite-multiple-participants.response.json", "response", [], ["status.casing /status"]],
  [
    "example-2-invite-multiple-participants.roster-updated.json",
    "notifications",
    ["roster"],
    ["notification.roster-on-operations-path /value/0/resourceUrl"],
  ],
  ["example-3-replace-peer-to-peer-call.operation-completed.json", "notifications", ["operation"], []],
  ["example-3-replace-peer-to-peer-call.response.json", "response", [], ["status.casing /status"]],
  ["example-3-replace-peer-to-peer-call.roster-updated.json", "notifications", ["roster"], []],
  ["example-4-invite-phone-participant.operation-completed.json", "notifications", ["operation"], []],
  ["example-4-invite-phone-participant.response.json", "response", [], ["status.casing /status"]],
  ["example-4-invite-phone-participant.roster-updated.json", "notifications", ["roster"], []],
  ["example-5-move-participant.operation-completed.json", "notifications", ["operation"], []],
  ["example-5-move-participant.response.json", "response", [], ["status.casing /status"]],
  ["example-5-move-participant.roster-updated.json", "notifications", ["roster"], []],
];

/** Not a Graph body: the claims of the JWT that authenticates a notification, which the bot checks instead. */
const notGraphBodies = ["comms-samples-docs-callback-jwt-claims.json"];

function parse(kind: Kind, text: string, mode: "strict" | "tolerant" = "tolerant") {
  if (kind === "error") return parseGraphError(text, { mode });
  if (kind === "response") return parseInviteResponse(text, { mode });
  return parseNotifications(text, { mode });
}

describe.each([
  ["openapi/reference/payloads", payloadsDir, referencePayloads],
  ["openapi/examples", examplesDir, seedExamples],
] as const)("%s", (_, dir, cases) => {
  // Each file in the folder, not each row of the table: a payload added without a row is still parsed, and fails.
  it.each(jsonFiles(dir).filter((file) => !file.endsWith(".request.json")))(
    "%s has a row in the table, and parses in tolerant mode as that row says",
    (file) => {
      if (dir === payloadsDir && notGraphBodies.includes(file)) return;
      const row = cases.find(([listed]) => listed === file);
      expect(row, `${file} has no row in the table`).toBeDefined();
      const [, kind, classified] = row as Case;
      const result = parse(kind, readText(dir, file));
      expect(result.ok ? [] : result.errors).toEqual([]);
      const notifications = "notifications" in result ? result.notifications : [];
      expect(notifications.map((notification) => notification.kind)).toEqual(classified);
    },
  );

  it.each(cases)("%s parses in tolerant mode as %s", (file, kind, classified, warnings) => {
    const result = parse(kind, readText(dir, file));
    expect(result.ok ? [] : result.errors).toEqual([]);
    expect(result.warnings.map(({ code, pointer }) => `${code} ${pointer}`.trimEnd())).toEqual(warnings);
    for (const warning of result.warnings) expect(warning.message.length).toBeGreaterThan(20);
    const notifications = "notifications" in result ? result.notifications : [];
    expect(notifications.map((notification) => notification.kind)).toEqual(classified);
  });

  it.each(cases.filter(([, , , warnings]) => warnings.length === 0))(
    "%s needs no normalisation, so strict mode accepts it unless it carries what the contract does not declare",
    (file, kind) => {
      const strict = parse(kind, readText(dir, file), "strict");
      for (const error of strict.ok ? [] : strict.errors) {
        expect(["schema.unknown-property", "schema.odata-type", "schema.const"]).toContain(error.code);
      }
    },
  );
});

describe("the seed's examples in strict mode", () => {
  const notifications = seedExamples.filter(([file, kind]) => kind === "notifications" && file.startsWith("example-"));
  it.each(notifications)("%s matches the contract exactly", (file) => {
    const result = parseNotifications(readText(examplesDir, file), { mode: "strict" });
    expect(result.ok ? [] : result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
  });

  // Example 2 invites two participants with replacesCallId, and the page shows Graph answering 200: it reads the
  // first and ignores the second, which is a warning.
  it.each(jsonFiles(examplesDir).filter((file) => file.endsWith(".request.json")))(
    "%s passes the invite rules",
    (file) => {
      // Example 2 names participants Graph ignores, which is an error unless the caller accepts it, as Graph does.
      const result = validateInviteRequest(readText(examplesDir, file), { ignoredParticipants: "warning" });
      expect(result.ok ? [] : result.errors).toEqual([]);
      expect(result.warnings.map(({ code, pointer }) => `${code} ${pointer}`)).toEqual(
        file.startsWith("example-2-") ? ["invite.replaces-call-single-participant /participants"] : [],
      );
    },
  );
});

describe("classification", () => {
  it("gives an operation result its call, operation, clientContext, status and resultInfo", () => {
    const result = parseNotifications(
      readText(examplesDir, "example-1-invite-one-participant.operation-completed.json"),
    );
    expect(result.ok && result.notifications[0]).toMatchObject({
      kind: "operation",
      changeType: "deleted",
      callId: "ab6233a5-20b7-4c5e-bea2-ce56c9776429",
      operationId: "eec3812a-fdc3-4fb4-825c-a06c9f35414e",
      operationType: "#microsoft.graph.inviteParticipantsOperation",
      clientContext: "f2fa86af-3c51-4bc2-8fc0-475452d9764f",
      status: "completed",
      resultInfo: null,
    });
  });

  it("gives an operation whose body and path carry no id a null operationId", () => {
    const result = parseNotifications(
      readText(examplesDir, "example-2-invite-multiple-participants.operation-completed.json"),
    );
    expect(result.ok && result.notifications[0]).toMatchObject({
      kind: "operation",
      operationId: null,
      status: "completed",
    });
  });

  it("gives a roster update its call and participants, from a roster that arrived on an operations path", () => {
    const result = parseNotifications(
      readText(examplesDir, "example-2-invite-multiple-participants.roster-updated.json"),
    );
    const [roster] = result.ok ? result.notifications : [];
    expect(roster?.kind).toBe("roster");
    expect(
      roster?.kind === "roster" && roster.participants.map((participant) => participant.info.identity),
    ).toHaveLength(2);
    expect(result.ok && result.value.value[0]?.resourceUrl).toBe(
      `/communications/calls/${roster?.callId}/participants`,
    );
  });

  it("reads codes sent as strings as numbers, and a call's end as a call notification", () => {
    const result = parseNotifications(
      readText(payloadsDir, "learn-v1-call-delete-terminated-code-subcode-as-strings-5001.json"),
    );
    expect(result.ok && result.notifications[0]).toMatchObject({
      kind: "call",
      state: "terminated",
      resultInfo: { code: 200, subcode: 5001 },
    });
  });
});

/** Where each malformed payload stops being JSON, and why. */
const malformed: Array<[file: string, line: number, column: number, reason: RegExp]> = [
  ["comms-samples-docs-legacy-notification-missing-braces.json", 1, 8, /after the end of the JSON value/],
  ["docs-beta-2018-invite-establishing-trailingcomma.json", 11, 7, /trailing comma/],
  ["docs-beta-2018-invite-roster-endpointIdentity-trailingcommas.json", 31, 25, /trailing comma/],
  ["docs-beta-2019-invite-failed-notification-500-580-5201.json", 20, 7, /trailing comma/],
  ["docs-beta-call-mute-roster-js-comment.json", 30, 28, /JSON has no comments/],
];

describe("malformed payloads", () => {
  // Each file in the folder, not each row of the table: a payload added without a row is still parsed, and fails.
  it.each(jsonFiles(malformedDir))("%s has a row, and is refused where JSON.parse stops", (file) => {
    const text = readText(malformedDir, file);
    expect(
      malformed.map(([listed]) => listed),
      `${file} has no row in the table`,
    ).toContain(file);
    const result = parseNotifications(text);
    const [error, ...others] = result.ok ? [] : result.errors;
    expect(others).toEqual([]);
    expect(error).toMatchObject({ code: "json.syntax", pointer: "" });
    const offset = error && "position" in error ? (error.position as { offset: number }).offset : -1;
    expect(() => JSON.parse(text)).toThrow(`at position ${offset}`);
  });

  it.each(malformed)("%s gives a syntax error at line %i, column %i", (file, line, column, reason) => {
    const text = readText(malformedDir, file);
    const result = parseNotifications(text);
    const [error, ...others] = result.ok ? [] : result.errors;
    expect(others).toEqual([]);
    expect(error).toMatchObject({ code: "json.syntax", pointer: "", position: { line, column } });
    expect(error?.message).toMatch(new RegExp(`^Invalid JSON at line ${line}, column ${column}: `));
    expect(error?.message).toMatch(reason);
    const offset = error && "position" in error ? (error.position as { offset: number }).offset : -1;
    expect(text.split("\n")[line - 1]?.[column - 1]).toBe(text[offset]);
    // Node's own parser agrees on the offset.
    expect(() => JSON.parse(text)).toThrow(`at position ${offset}`);
  });
});

describe("result codes sent as strings", () => {
  // Graph sends some resultInfo codes as strings, negative ones included (a subcode of -1, say): tolerant mode reads
  // each as the number it spells, and says so.
  const completed = readText(examplesDir, "example-1-invite-one-participant.operation-completed.json");

  it("are read as the numbers they spell, negative or not, with a warning for each", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        fc.integer({ min: -99_999, max: 99_999 }),
        (code, subcode) => {
          const body = JSON.parse(completed) as { value: Array<{ resourceData: Record<string, unknown> }> };
          const resourceData = body.value[0]?.resourceData ?? {};
          resourceData["status"] = "failed";
          resourceData["resultInfo"] = { code: String(code), subcode: String(subcode), message: "m" };
          const result = parseNotifications(JSON.stringify(body));
          expect(result.ok ? [] : result.errors).toEqual([]);
          const [notification] = result.ok ? result.notifications : [];
          expect(notification?.kind === "operation" && notification.resultInfo).toMatchObject({ code, subcode });
          expect(result.warnings.filter((warning) => warning.code === "result-info.code-string")).toHaveLength(2);
        },
      ),
      { numRuns: 200 },
    );
  });
});
