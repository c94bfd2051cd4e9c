// @microsoft/msgraph-sdk (Kiota) parses the invite's response and a GET of its operation into its models, every
// field compared with the bytes the simulator sent. Kiota's OperationStatus knows only the metadata's members
// (`NotStarted`, `Running`, `Completed`, `Failed`): a status in another casing would come out undefined.
import { expect, test } from "vitest";
import { runClient, startCallback, startSimulatorCli } from "./harness.js";

/**
 * The properties each model declares, which the SDK generates from Graph's v1.0 metadata. A declared property is read
 * into the model (`@odata.type` as `odataType`); any other goes to `additionalData` as it came.
 */
const declared: Readonly<Record<string, Readonly<Record<string, string | null>>>> = {
  inviteParticipantsOperation: {
    "@odata.type": null,
    id: null,
    status: null,
    clientContext: null,
    resultInfo: "resultInfo",
    participants: "invitationParticipantInfo[]",
  },
  resultInfo: { "@odata.type": null, code: null, subcode: null, message: null },
  invitationParticipantInfo: {
    "@odata.type": null,
    hidden: null,
    identity: "identitySet",
    participantId: null,
    removeFromDefaultAudioRoutingGroup: null,
    replacesCallId: null,
  },
  identitySet: { "@odata.type": null, application: "identity", device: "identity", user: "identity" },
  identity: { "@odata.type": null, displayName: null, id: null },
};

/**
 * The model Kiota should make of `json` as a `type`: declared members by their names, and Kiota's reading of null,
 * which is no value for a scalar and an empty model for an object (so `resultInfo: null` reads as `{}`).
 */
function modelOf(json: Record<string, unknown>, type: string): Record<string, unknown> {
  const members = declared[type] ?? {};
  const model: Record<string, unknown> = {};
  const additionalData: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(json)) {
    if (!(name in members)) {
      additionalData[name] = value;
      continue;
    }
    const memberType = members[name];
    const key = name === "@odata.type" ? "odataType" : name;
    if (memberType === null || memberType === undefined) {
      if (value !== null) model[key] = value;
    } else if (memberType.endsWith("[]")) {
      model[key] = (value as Array<Record<string, unknown>>).map((item) => modelOf(item, memberType.slice(0, -2)));
    } else {
      model[key] = value === null ? {} : modelOf(value as Record<string, unknown>, memberType);
    }
  }
  return Object.keys(additionalData).length > 0 ? { ...model, additionalData } : model;
}

interface Parsed {
  readonly json: string;
  readonly model: Record<string, unknown>;
}

test("the invite's response and a GET of its operation parse into the SDK's models, every field", async () => {
  const bot = await startCallback();
  const userId = "278405a3-f568-4b3e-b684-009193463064";
  const sim = await startSimulatorCli({
    calls: [{ id: "call-1", kind: "group", callbackUri: bot.url }],
    directory: [{ id: userId, displayName: "Adele Vance", tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47" }],
    // Still ringing when it is read back, so that both reads say Running.
    scenario: { answers: { [userId]: { kind: "accept", afterMs: 30_000 } } },
  });
  const { invited, operation } = await runClient<{ invited: Parsed; operation: Parsed }>(sim, "msgraph-sdk.mjs", [
    "call-1",
    userId,
  ]);

  const response = JSON.parse(invited.json) as Record<string, unknown>;
  expect(response).toMatchObject({ "@odata.type": "#microsoft.graph.inviteParticipantsOperation", status: "Running" });
  expect(invited.model).toEqual(modelOf(response, "inviteParticipantsOperation"));
  expect(invited.model["status"]).toBe("Running");

  const read = JSON.parse(operation.json) as Record<string, unknown>;
  expect(read).toMatchObject({ id: response["id"], status: "Running", clientContext: response["clientContext"] });
  // The SDK's commsOperation factory chose the subtype from @odata.type.
  expect(operation.model).toEqual(modelOf(read, "inviteParticipantsOperation"));
  expect(operation.model["status"]).toBe("Running");

  // The comparison is not vacuous: the fields the SDK reads are all there, and what it does not know is kept aside.
  expect(Object.keys(invited.model).sort()).toEqual(
    ["clientContext", "id", "odataType", "participants", "resultInfo", "status"].sort(),
  );
  expect(invited.model["participants"]).toEqual([
    expect.objectContaining({
      additionalData: { endpointType: null },
      identity: expect.objectContaining({
        user: {
          odataType: "#microsoft.graph.identity",
          id: userId,
          displayName: "Adele Vance",
          additionalData: { tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47" },
        },
      }),
    }),
  ]);
});

test("a status in notification casing is lost by the SDK: why the GET answers in the POST's casing", async () => {
  // No request is made: the script only parses.
  const sim = {
    url: "https://unused.invalid",
    caPath: "",
    ca: "",
    banner: "",
    app: { appId: "", secret: "", tenantId: "" },
  };
  const parse = async (status: string) =>
    (
      await runClient<{ model: Record<string, unknown> }>(sim, "kiota-parse.mjs", [
        JSON.stringify({ "@odata.type": "#microsoft.graph.inviteParticipantsOperation", id: "op", status }),
      ])
    ).model;
  expect(await parse("Completed")).toEqual({
    odataType: "#microsoft.graph.inviteParticipantsOperation",
    id: "op",
    status: "Completed",
  });
  expect(await parse("completed")).toEqual({ odataType: "#microsoft.graph.inviteParticipantsOperation", id: "op" });
});
