// How failures read: a JSON Pointer, a stable code and a message a person can act on. A oneOf failure is reported
// against the branch the payload's @odata.type selects, not as the failures of every branch.
import { describe, expect, it } from "vitest";
import { parseNotifications, validateInviteRequest, validateSchema } from "../src/index.js";
import { examplesDir, readText } from "./helpers.js";

const seedRequest = () => JSON.parse(readText(examplesDir, "example-1-invite-one-participant.request.json"));

function errorsOf(result: { ok: boolean; errors?: readonly { pointer: string; code: string; message: string }[] }) {
  return result.ok ? [] : (result.errors ?? []);
}

describe("a union member with a problem", () => {
  it("reports only the problem of the branch its @odata.type selects", () => {
    const body = seedRequest();
    body.participants[0].identity.user.id = 42;
    const errors = errorsOf(validateInviteRequest(body));
    expect(errors).toEqual([
      {
        pointer: "/participants/0/identity/user/id",
        code: "schema.type",
        message: "must be one of string, null, not 42 (integer)",
      },
    ]);
  });

  it("reports a communications identity's own properties, not an identity's", () => {
    const errors = errorsOf(
      validateSchema("anyIdentity", {
        "@odata.type": "#microsoft.graph.communicationsUserIdentity",
        id: "a",
        identityProvider: "AAD",
      }),
    );
    expect(errors).toEqual([
      expect.objectContaining({ pointer: "/identityProvider", code: "schema.unknown-property" }),
    ]);
  });

  it("reports an @odata.type that selects no branch once, with the types it could be", () => {
    const errors = errorsOf(validateSchema("anyIdentity", { "@odata.type": "#microsoft.graph.robot", id: "a" }));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ pointer: "/@odata.type", code: "schema.odata-type" });
    expect(errors[0]?.message).toContain('"#microsoft.graph.robot" is not a type this position accepts');
    expect(errors[0]?.message).toContain('"#microsoft.graph.communicationsPhoneIdentity"');
  });

  it("reports the wrong JSON type once", () => {
    expect(errorsOf(validateSchema("nullableIdentity", "alice"))).toEqual([
      { pointer: "", code: "schema.type", message: 'must be one of object, null, not "alice" (string)' },
    ]);
  });

  it("checks a roster's participants when resourceData is a collection", () => {
    const roster = JSON.parse(readText(examplesDir, "example-1-invite-one-participant.roster-updated.json"));
    roster.value[0].resourceData[0].isMuted = "no";
    const errors = errorsOf(parseNotifications(roster));
    expect(errors).toEqual([
      {
        pointer: "/value/0/resourceData/0/isMuted",
        code: "schema.type",
        message: 'must be a boolean, not "no" (string)',
      },
    ]);
  });
});

it("reports a result code outside a 32-bit integer, as Graph's Int32 is", () => {
  expect(errorsOf(validateSchema("resultInfo", { code: 2 ** 31, subcode: 0 }))).toEqual([
    { pointer: "/code", code: "schema.maximum", message: "must be at most 2147483647, not 2147483648" },
  ]);
});

describe("pointers", () => {
  it("name a missing property as the place it should be", () => {
    const errors = errorsOf(validateInviteRequest({ participants: [{}] }));
    expect(errors).toEqual([
      { pointer: "/participants/0/identity", code: "schema.required", message: "`identity` is required here" },
    ]);
  });

  it("name an unknown property, escaped as RFC 6901 says", () => {
    const body = { ...seedRequest(), "a/b~c": 1 };
    const errors = errorsOf(validateInviteRequest(body));
    expect(errors.map((error) => [error.pointer, error.code])).toEqual([["/a~1b~0c", "schema.unknown-property"]]);
    expect(errors[0]?.message).toContain("check its spelling");
  });

  it("point into a bare notification as it arrived, not into the envelope tolerant mode wraps it in", () => {
    const notification = JSON.parse(readText(examplesDir, "example-1-invite-one-participant.operation-completed.json"))
      .value[0];
    notification.resourceData.status = 7;
    const result = parseNotifications(notification);
    expect(errorsOf(result).map((error) => error.pointer)).toEqual(["/resourceData/status"]);
    expect(result.warnings.map((warning) => warning.pointer)).toEqual([""]);
  });

  const example = (name: string) => JSON.parse(readText(examplesDir, `example-1-invite-one-participant.${name}.json`));

  it("point into a roster's single participant as it arrived, not into the collection tolerant mode makes of it", () => {
    const body = example("roster-updated");
    const [participant] = body.value[0].resourceData;
    participant.isMuted = "no";
    body.value[0].resourceData = participant;
    const result = parseNotifications(body);
    expect(errorsOf(result).map((error) => error.pointer)).toEqual(["/value/0/resourceData/isMuted"]);
    expect(result.warnings.map((warning) => warning.code)).toContain("notification.resource-data-single");
  });

  it("point into an operation sent as a collection of one as it arrived, not into the entity read from it", () => {
    const body = example("operation-completed");
    body.value[0].resourceData.status = 7;
    body.value[0].resourceData = [body.value[0].resourceData];
    const result = parseNotifications(body);
    expect(errorsOf(result).map((error) => error.pointer)).toEqual(["/value/0/resourceData/0/status"]);
  });

  it("point at `subCode` as it arrived, and keep warnings about its value there", () => {
    const body = example("operation-completed");
    const { resourceData } = body.value[0];
    resourceData.status = "failed";
    resourceData.resultInfo = { "@odata.type": "#microsoft.graph.resultInfo", code: "500", subCode: "x", message: "m" };
    resourceData.resultInfo.subCode = [1];
    body.value[0].resourceData = [resourceData];
    const result = parseNotifications(body);
    expect(errorsOf(result).map((error) => error.pointer)).toEqual(["/value/0/resourceData/0/resultInfo/subCode"]);
    expect(result.warnings.map((warning) => [warning.code, warning.pointer])).toEqual([
      ["notification.resource-data-collection", "/value/0/resourceData"],
      ["result-info.subcode-casing", "/value/0/resourceData/0/resultInfo/subCode"],
      ["result-info.code-string", "/value/0/resourceData/0/resultInfo/code"],
    ]);
  });
});

describe("messages", () => {
  it("shorten a huge value instead of repeating it", () => {
    const body = seedRequest();
    body.participants[0].identity.user.displayName = 7;
    body.clientContext = "x".repeat(1_000_000);
    const errors = errorsOf(validateInviteRequest(body));
    for (const error of errors) expect(error.message.length).toBeLessThan(600);
  });
});

describe("strict and tolerant mode", () => {
  const withExtras = () => {
    const body = JSON.parse(readText(examplesDir, "example-1-invite-one-participant.roster-updated.json"));
    body.value[0].resourceData[0].publishedStates = [];
    body.value[0].resourceData[0].info.endpointId = "e";
    return body;
  };

  it("strict rejects properties the contract does not declare", () => {
    const errors = errorsOf(parseNotifications(withExtras(), { mode: "strict" }));
    expect(errors.map((error) => error.pointer)).toEqual([
      "/value/0/resourceData/0/publishedStates",
      "/value/0/resourceData/0/info/endpointId",
    ]);
  });

  it("tolerant accepts them and keeps them", () => {
    const result = parseNotifications(withExtras());
    expect(result.ok).toBe(true);
    expect(result.ok && result.value.value[0]?.resourceData).toMatchObject([
      { publishedStates: [], info: { endpointId: "e" } },
    ]);
  });

  it("tolerant reads an unknown operation type as a commsOperation", () => {
    const body = JSON.parse(readText(examplesDir, "example-1-invite-one-participant.operation-completed.json"));
    body.value[0].resourceData["@odata.type"] = "#microsoft.graph.muteParticipantOperation";
    expect(parseNotifications(body).ok).toBe(true);
    expect(errorsOf(parseNotifications(body, { mode: "strict" }))[0]).toMatchObject({
      pointer: "/value/0/resourceData/@odata.type",
      code: "schema.odata-type",
    });
  });

  it("never changes the caller's object", () => {
    const body = JSON.parse(readText(examplesDir, "example-1-invite-one-participant.response.json"));
    const copy = structuredClone(body);
    parseNotifications({ changeType: "deleted", resource: "/app/calls/a/operations/b", resourceData: body });
    expect(body).toEqual(copy);
  });
});
