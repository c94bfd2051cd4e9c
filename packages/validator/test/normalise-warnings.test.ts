// What tolerant mode says for each deviation it reads: one small body per rewrite of src/normalise.ts, with the
// exact warning (pointer into the body as received, code and message) and what the body reads as afterwards.
// The messages are what a person fixing a sender reads, so each is pinned word for word here.
import { describe, expect, it } from "vitest";
import { parseInviteResponse, parseNotifications } from "../src/index.js";
import { examplesDir, readText } from "./helpers.js";

type Json = Record<string, unknown>;

const example = (name: string) => JSON.parse(readText(examplesDir, name)) as { value: Json[] };
const operation = example("example-1-invite-one-participant.operation-completed.json").value[0] as Json;
const roster = example("example-3-replace-peer-to-peer-call.roster-updated.json").value[0] as Json;
const operationData = operation["resourceData"] as Json;
const participant = (roster["resourceData"] as Json[])[0] as Json;
const callId = "ab6233a5-20b7-4c5e-bea2-ce56c9776429";
const operationUrl = operation["resourceUrl"] as string;
const legacyUrl = operation["resource"] as string;

const wrap = (notification: Json) => ({ value: [notification] });
const withData = (data: Json) => wrap({ ...operation, resourceData: { ...operationData, ...data } });
const without = (object: Json, key: string) => Object.fromEntries(Object.entries(object).filter(([k]) => k !== key));

/** The usable body's first notification, after tolerant mode read it. */
function readAs(body: unknown) {
  const result = parseNotifications(typeof body === "string" ? body : JSON.stringify(body));
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.errors)}`);
  return { warnings: result.warnings, notification: result.value.value[0] as unknown as Json };
}

const shortened = (text: string) => `"${text.slice(0, 60)}…"`;

describe("each rewrite of tolerant mode: its warning, and what the notification reads as", () => {
  it("a notification without the envelope", () => {
    const { warnings, notification } = readAs(operation);
    expect(warnings).toEqual([
      {
        pointer: "",
        code: "notification.unwrapped",
        message:
          "A single notification arrived without the `commsNotifications` envelope; read as `{ value: [notification] }`.",
      },
    ]);
    expect(notification).toEqual(operation);
  });

  it("a deviation inside a notification without the envelope points into the notification as sent", () => {
    const { warnings } = readAs({ ...operation, resourceData: { ...operationData, status: "Completed" } });
    expect(warnings.map((warning) => warning.pointer)).toEqual(["", "/resourceData/status"]);
  });

  it("an @odata.type without its #", () => {
    const { warnings, notification } = readAs(
      withData({ "@odata.type": "microsoft.graph.inviteParticipantsOperation" }),
    );
    expect(warnings).toEqual([
      {
        pointer: "/value/0/resourceData/@odata.type",
        code: "odata-type.missing-hash",
        message:
          '`@odata.type` "microsoft.graph.inviteParticipantsOperation" lacks the leading `#`; read as "#microsoft.graph.inviteParticipantsOperation".',
      },
    ]);
    expect((notification["resourceData"] as Json)["@odata.type"]).toBe("#microsoft.graph.inviteParticipantsOperation");
  });

  it("a key that names a prototype", () => {
    const text = JSON.stringify(wrap(operation)).replace(
      '"status":"completed"',
      '"status":"completed","__proto__":{"polluted":true}',
    );
    const { warnings, notification } = readAs(text);
    expect(warnings).toEqual([
      {
        pointer: "/value/0/resourceData/__proto__",
        code: "json.prototype-key",
        message:
          "`__proto__` names a prototype in JavaScript; it is never a property of a Graph payload, so it was dropped with its value.",
      },
    ]);
    expect(Object.hasOwn(notification["resourceData"] as Json, "__proto__")).toBe(false);
  });

  it("an enum value in another casing, and one the contract does not list", () => {
    expect(readAs(wrap({ ...operation, changeType: "Deleted" })).warnings).toEqual([
      {
        pointer: "/value/0/changeType",
        code: "enum.casing",
        message: '"Deleted" read as "deleted", the spelling the contract uses.',
      },
    ]);
    const unknown = readAs(wrap({ ...operation, changeType: "archived" }));
    expect(unknown.warnings).toEqual([
      {
        pointer: "/value/0/changeType",
        code: "enum.unknown-value",
        message:
          '"archived" is not a value the contract lists here (created, updated, deleted); Graph adds values over time, so it is kept as sent.',
      },
    ]);
    expect(unknown.notification["changeType"]).toBe("archived");
  });

  it("a roster on the operations path", () => {
    const path = `/communications/calls/${callId}/operations`;
    const { warnings, notification } = readAs(wrap({ ...roster, resourceUrl: path }));
    expect(warnings).toEqual([
      {
        pointer: "/value/0/resourceUrl",
        code: "notification.roster-on-operations-path",
        message: `A roster arrived on the operations path ${shortened(path)}; read as the call's roster (/communications/calls/${callId}/participants).`,
      },
    ]);
    expect(notification["resourceUrl"]).toBe(`/communications/calls/${callId}/participants`);
  });

  it("an operation as a collection of one", () => {
    const { warnings, notification } = readAs(wrap({ ...operation, resourceData: [operationData] }));
    expect(warnings).toEqual([
      {
        pointer: "/value/0/resourceData",
        code: "notification.resource-data-collection",
        message: "`resourceData` was a collection of one entity; read as the entity.",
      },
    ]);
    expect(notification["resourceData"]).toEqual(operationData);
  });

  it("a single participant as resourceData", () => {
    const { warnings, notification } = readAs(wrap({ ...roster, resourceData: participant }));
    expect(warnings).toEqual([
      {
        pointer: "/value/0/resourceData",
        code: "notification.resource-data-single",
        message:
          "`resourceData` was a single participant, that is one change to the roster; read as a delta roster (`deltaParticipants`) of that participant.",
      },
    ]);
    expect(notification["resourceData"]).toEqual({
      "@odata.type": "#microsoft.graph.deltaParticipants",
      participants: [participant],
    });
  });

  it("a collection on the path of one participant", () => {
    const path = `${roster["resourceUrl"] as string}/p-1`;
    const { warnings, notification } = readAs(wrap({ ...roster, resourceUrl: path }));
    expect(warnings).toEqual([
      {
        pointer: "/value/0/resourceData",
        code: "notification.participant-path-collection",
        message: `\`resourceData\` was a collection on the path of one participant, ${shortened(path)}, so it holds changes rather than the whole roster; read as a delta roster (\`deltaParticipants\`).`,
      },
    ]);
    expect(notification["resourceData"]).toEqual({
      "@odata.type": "#microsoft.graph.deltaParticipants",
      participants: [participant],
    });
  });

  it("no resourceUrl, only the legacy resource", () => {
    const { warnings, notification } = readAs(wrap(without(operation, "resourceUrl")));
    expect(warnings).toEqual([
      {
        pointer: "/value/0/resourceUrl",
        code: "notification.resource-url-missing",
        message: `\`resourceUrl\` is missing; read from the legacy \`resource\` ${shortened(legacyUrl)} as ${shortened(operationUrl)}.`,
      },
    ]);
    expect(notification["resourceUrl"]).toBe(operationUrl);
  });

  it("a resourceUrl on the legacy path", () => {
    const { warnings, notification } = readAs(wrap({ ...operation, resourceUrl: legacyUrl }));
    expect(warnings).toEqual([
      {
        pointer: "/value/0/resourceUrl",
        code: "notification.legacy-path",
        message: `\`resourceUrl\` uses the legacy path ${shortened(legacyUrl)}; read as ${shortened(operationUrl)}.`,
      },
    ]);
    expect(notification["resourceUrl"]).toBe(operationUrl);
  });

  it("a call without its @odata.type", () => {
    const body = wrap({
      changeType: "updated",
      resourceUrl: `/communications/calls/${callId}`,
      resourceData: { state: "established" },
    });
    const { warnings, notification } = readAs(body);
    expect(warnings).toEqual([
      {
        pointer: "/value/0/resourceData/@odata.type",
        code: "odata-type.inferred",
        message: "The call has no `@odata.type`; its path names a call, so it is read as #microsoft.graph.call.",
      },
    ]);
    expect(notification["resourceData"]).toEqual({ "@odata.type": "#microsoft.graph.call", state: "established" });
  });

  it("an operation's status in another casing, in a notification and in the invite's response", () => {
    const { warnings, notification } = readAs(withData({ status: "Completed" }));
    expect(warnings).toEqual([
      {
        pointer: "/value/0/resourceData/status",
        code: "status.casing",
        message: 'Status "Completed" read as "completed".',
      },
    ]);
    expect((notification["resourceData"] as Json)["status"]).toBe("completed");
    const response = JSON.parse(readText(examplesDir, "example-1-invite-one-participant.response.json")) as Json;
    const answered = parseInviteResponse({ ...response, status: "RUNNING" });
    expect(answered).toMatchObject({ ok: true, value: { status: "running" } });
    expect(answered.warnings).toEqual([
      { pointer: "/status", code: "status.casing", message: 'Status "RUNNING" read as "running".' },
    ]);
  });

  it("subCode for subcode", () => {
    const { warnings, notification } = readAs(
      withData({ status: "failed", resultInfo: { code: 403, subCode: 7, message: "no" } }),
    );
    expect(warnings).toEqual([
      {
        pointer: "/value/0/resourceData/resultInfo/subCode",
        code: "result-info.subcode-casing",
        message: "`subCode` read as `subcode`.",
      },
    ]);
    expect((notification["resourceData"] as Json)["resultInfo"]).toEqual({ code: 403, subcode: 7, message: "no" });
  });

  it("codes sent as strings", () => {
    const { warnings, notification } = readAs(
      withData({ status: "failed", resultInfo: { code: "-403", subcode: "7", message: "no" } }),
    );
    expect(warnings).toEqual([
      {
        pointer: "/value/0/resourceData/resultInfo/code",
        code: "result-info.code-string",
        message: '`code` was the string "-403"; read as the number -403.',
      },
      {
        pointer: "/value/0/resourceData/resultInfo/subcode",
        code: "result-info.code-string",
        message: '`subcode` was the string "7"; read as the number 7.',
      },
    ]);
    expect((notification["resourceData"] as Json)["resultInfo"]).toEqual({ code: -403, subcode: 7, message: "no" });
  });

  it("required properties that Graph is known to omit", () => {
    const stream = (participant["mediaStreams"] as Json[])[0] as Json;
    const trimmed = { ...without(participant, "isMuted"), mediaStreams: [without(stream, "serverMuted")] };
    const { warnings } = readAs(wrap({ ...roster, resourceData: [trimmed] }));
    const missing = (property: string) =>
      `\`${property}\` is missing; the contract requires it, but Graph is known to omit it, so it is accepted.`;
    expect(warnings).toEqual([
      { pointer: "/value/0/resourceData/0/isMuted", code: "contract.missing-property", message: missing("isMuted") },
      {
        pointer: "/value/0/resourceData/0/mediaStreams/0/serverMuted",
        code: "contract.missing-property",
        message: missing("serverMuted"),
      },
    ]);
  });
});

describe("what tolerant mode reads, and what it leaves alone", () => {
  /** The codes of the warnings and errors of a body, pointers included. */
  function verdict(body: unknown) {
    const result = parseNotifications(typeof body === "string" ? body : JSON.stringify(body));
    const found = (issues: readonly { pointer: string; code: string }[]) =>
      issues.map((issue) => `${issue.pointer} ${issue.code}`);
    return { ok: result.ok, warnings: found(result.warnings), errors: result.ok ? [] : found(result.errors) };
  }

  it.each([["changeType"], ["resourceUrl"], ["resource"]])(
    "a body with %s alone is one notification without its envelope",
    (key) => {
      expect(verdict({ [key]: "updated" }).warnings).toContain(" notification.unwrapped");
    },
  );

  it("a body with value is an envelope, even one that carries a notification's keys too", () => {
    expect(verdict({ ...wrap(operation), changeType: "updated", resource: legacyUrl }).warnings).toEqual([]);
  });

  it("a body that is no object is a type error, not a nesting error", () => {
    expect(verdict(5).errors).toEqual([" schema.type"]);
    expect(verdict("5").errors).toEqual([" schema.type"]);
  });

  it("nesting through objects is bounded as nesting through arrays is", () => {
    let nested = "1";
    for (let level = 0; level < 70; level++) nested = `{"a":${nested}}`;
    expect(verdict(`{"value":[{"x":${nested}}]}`).errors).toEqual([" json.too-deep"]);
  });

  it("a delta roster's participants are read as a full roster's are: an omission is reported where it was", () => {
    const delta = {
      "@odata.type": "#microsoft.graph.deltaParticipants",
      participants: [without(participant, "isMuted")],
    };
    expect(verdict(wrap({ ...roster, resourceData: delta }))).toEqual({
      ok: true,
      warnings: ["/value/0/resourceData/participants/0/isMuted contract.missing-property"],
      errors: [],
    });
  });

  it("an operation on a path of a kind it does not know is still read as an operation, and other data is left alone", () => {
    const path = `/communications/calls/${callId}/somethingNew/1`;
    const status = { ...operationData, status: "Completed" };
    expect(verdict(wrap({ ...operation, resourceUrl: path, resourceData: status })).warnings).toEqual([
      "/value/0/resourceData/status status.casing",
    ]);
    const other = { resultInfo: { code: 200, subCode: 0, message: "ok" } };
    expect(verdict(wrap({ ...operation, resourceUrl: path, resourceData: other })).warnings).toEqual([]);
  });

  it("a roster on the path of one named operation is not moved to the roster's path", () => {
    expect(verdict(wrap({ ...roster, resourceUrl: operationUrl })).warnings).not.toContain(
      "/value/0/resourceUrl notification.roster-on-operations-path",
    );
  });

  it("a collection with an operation in it is not a roster, on the operations path", () => {
    const path = `/communications/calls/${callId}/operations`;
    const mixed = [participant, operationData];
    expect(verdict(wrap({ ...roster, resourceUrl: path, resourceData: mixed })).warnings).not.toContain(
      "/value/0/resourceUrl notification.roster-on-operations-path",
    );
  });

  it.each([
    ["typed as a participant", { ...without(participant, "info"), "@odata.type": "#microsoft.graph.participant" }],
    ["with its info", without(participant, "@odata.type")],
  ])("a single participant %s on the operations path is a roster", (_, single) => {
    const path = `/communications/calls/${callId}/operations`;
    expect(verdict(wrap({ ...roster, resourceUrl: path, resourceData: single })).warnings.slice(0, 2)).toEqual([
      "/value/0/resourceUrl notification.roster-on-operations-path",
      "/value/0/resourceData notification.resource-data-single",
    ]);
  });

  it("an operation as a collection of two is left as it came, and refused", () => {
    const result = verdict(wrap({ ...operation, resourceData: [operationData, operationData] }));
    // Neither unwrapped nor read as participants: no warning of either.
    expect(result.warnings).toEqual([]);
    expect(result.errors).toEqual([
      "/value/0/resourceData/0/@odata.type schema.const",
      "/value/0/resourceData/1/@odata.type schema.const",
    ]);
  });

  it("a delta roster on the roster's path is read as it is", () => {
    const delta = { "@odata.type": "#microsoft.graph.deltaParticipants", participants: [participant] };
    expect(verdict(wrap({ ...roster, resourceData: delta }))).toEqual({ ok: true, warnings: [], errors: [] });
  });

  it("an error in a collection on a participant's path points at the participant as it was received", () => {
    const wrong = { ...participant, isMuted: "no" };
    const result = verdict(
      wrap({ ...roster, resourceUrl: `${roster["resourceUrl"] as string}/p-1`, resourceData: [wrong] }),
    );
    expect(result.errors).toEqual(["/value/0/resourceData/0/isMuted schema.type"]);
  });

  it("a null resourceUrl is read from the legacy resource; none at all, with no resource, is an error, not a guess", () => {
    expect(verdict(wrap({ ...operation, resourceUrl: null })).warnings).toEqual([
      "/value/0/resourceUrl notification.resource-url-missing",
    ]);
    const neither = verdict(wrap(without(without(operation, "resourceUrl"), "resource")));
    expect(neither.warnings).toEqual([]);
    expect(neither.errors).toEqual(["/value/0/resourceUrl schema.required"]);
  });

  it("a legacy resource that is no path it knows is taken as it is", () => {
    const { warnings, notification } = readAs(wrap({ ...without(operation, "resourceUrl"), resource: "/elsewhere" }));
    expect(warnings.map((warning) => warning.message)).toEqual([
      '`resourceUrl` is missing; read from the legacy `resource` "/elsewhere" as "/elsewhere".',
    ]);
    expect(notification["resourceUrl"]).toBe("/elsewhere");
  });

  it("subcode and subCode both sent: both kept, nothing renamed", () => {
    const resultInfo = { code: 403, subcode: 7, subCode: 8, message: "no" };
    const { warnings, notification } = readAs(withData({ status: "failed", resultInfo }));
    expect(warnings.map((warning) => warning.code)).not.toContain("result-info.subcode-casing");
    expect((notification["resourceData"] as Json)["resultInfo"]).toEqual(resultInfo);
  });

  it.each([["x403"], ["403x"], ["1234567890123456"]])(
    "a code string that is not a whole number, %s, is left a string",
    (code) => {
      const result = verdict(withData({ status: "failed", resultInfo: { code, subcode: 0, message: "no" } }));
      expect(result.warnings).not.toContain("/value/0/resourceData/resultInfo/code result-info.code-string");
      expect(result.errors).toEqual(["/value/0/resourceData/resultInfo/code schema.type"]);
    },
  );
});
