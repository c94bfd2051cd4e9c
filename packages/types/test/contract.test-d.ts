import { describe, expectTypeOf, test } from "vitest";
import type {
  AnyIdentity,
  CallState,
  ChangeType,
  CommsNotification,
  CommunicationsPhoneIdentity,
  components,
  Identity,
  InvitationParticipantInfo,
  InviteParticipantsRequest,
  InvitePostRequestBody,
  NotificationResourceData,
  ODataTypeOf,
  OperationStatus,
  Participant,
  paths,
  UnknownEnumValue,
  WithODataType,
  webhooks,
} from "../src/index.js";

describe("the request body", () => {
  test("has one name; the schema's name is a deprecated alias of it", () => {
    expectTypeOf<InvitePostRequestBody>().toEqualTypeOf<InviteParticipantsRequest>();
  });

  test("accepts a minimal invite", () => {
    const body: InviteParticipantsRequest = {
      participants: [{ identity: { user: { id: "278405a3-f568-4b3e-b684-009193463064" } } }],
    };
    expectTypeOf(body).toHaveProperty("participants").toEqualTypeOf<InvitationParticipantInfo[]>();
  });

  test("rejects a wrong @odata.type", () => {
    const _body: InviteParticipantsRequest = {
      participants: [
        {
          // @ts-expect-error identitySet is not an invitationParticipantInfo
          "@odata.type": "#microsoft.graph.identitySet",
          identity: { user: { id: "278405a3-f568-4b3e-b684-009193463064" } },
        },
      ],
    };
  });

  test("rejects an identity @odata.type that Graph does not define", () => {
    const _identity: AnyIdentity = {
      // @ts-expect-error there is no communicationsRobotIdentity
      "@odata.type": "#microsoft.graph.communicationsRobotIdentity",
      id: "x",
    };
  });

  test("requires participants", () => {
    // @ts-expect-error participants is required
    const _body: InviteParticipantsRequest = { clientContext: "f2fa86af-3c51-4bc2-8fc0-475452d9764f" };
  });

  test("requires an identity on each participant", () => {
    // @ts-expect-error identity is required
    const _participant: InvitationParticipantInfo = {};
  });

  test("rejects a misspelt property", () => {
    const _participant: InvitationParticipantInfo = {
      identity: { user: { id: "278405a3-f568-4b3e-b684-009193463064" } },
      // @ts-expect-error the property is replacesCallId
      replaceCallId: "a7ebfb2d-871e-419c-87af-27290b22e8db",
    };
  });

  test("rejects a misspelt identity member", () => {
    const _participant: InvitationParticipantInfo = {
      // @ts-expect-error the member is user
      identity: { usr: { id: "278405a3-f568-4b3e-b684-009193463064" } },
    };
  });
});

describe("discriminated unions", () => {
  test("@odata.type narrows an identity to its derived type", () => {
    const identity = {} as AnyIdentity;
    if (identity["@odata.type"] === "#microsoft.graph.communicationsPhoneIdentity") {
      expectTypeOf(identity).toEqualTypeOf<CommunicationsPhoneIdentity>();
    }
    if (identity["@odata.type"] === undefined) {
      expectTypeOf(identity).toEqualTypeOf<Identity>();
    }
  });

  test("ODataTypeOf and WithODataType name the members of a union", () => {
    expectTypeOf<ODataTypeOf<AnyIdentity>>().toEqualTypeOf<
      | "#microsoft.graph.identity"
      | "#microsoft.graph.communicationsUserIdentity"
      | "#microsoft.graph.communicationsApplicationIdentity"
      | "#microsoft.graph.communicationsApplicationInstanceIdentity"
      | "#microsoft.graph.communicationsGuestIdentity"
      | "#microsoft.graph.communicationsPhoneIdentity"
      | "#microsoft.graph.communicationsEncryptedIdentity"
      | "#microsoft.graph.azureCommunicationServicesUserIdentity"
    >();
    expectTypeOf<
      WithODataType<AnyIdentity, "#microsoft.graph.communicationsPhoneIdentity">
    >().toEqualTypeOf<CommunicationsPhoneIdentity>();
  });

  test("resourceData is an operation, a call or a roster", () => {
    const data = {} as NotificationResourceData;
    if (Array.isArray(data)) {
      expectTypeOf(data).toEqualTypeOf<Participant[]>();
    } else if (data["@odata.type"] === "#microsoft.graph.call") {
      expectTypeOf(data).toEqualTypeOf<components["schemas"]["call"]>();
    }
  });
});

describe("what a consumer receives", () => {
  test("an operation status comes in either casing", () => {
    expectTypeOf<"completed">().toExtend<OperationStatus>();
    expectTypeOf<"Running">().toExtend<OperationStatus>();
    // A literal must name a listed member, so that a payload written by hand is checked.
    expectTypeOf<"Done">().not.toExtend<OperationStatus>();
  });

  test("an enum Graph may extend says so: its members, or a value the spec does not list", () => {
    expectTypeOf<UnknownEnumValue>().toExtend<OperationStatus>();
    expectTypeOf<UnknownEnumValue>().toExtend<CallState>();
    expectTypeOf<UnknownEnumValue>().toExtend<ChangeType>();
    expectTypeOf<Exclude<ChangeType, UnknownEnumValue>>().toEqualTypeOf<"created" | "updated" | "deleted">();
    expectTypeOf<OperationStatus>().toExtend<string>();
    const state = "established" as CallState;
    if (state !== "established" && state !== "terminated") {
      expectTypeOf(state).toExtend<string>();
    }
  });

  test("roster participant and operation ids can be null", () => {
    expectTypeOf<Participant["id"]>().toEqualTypeOf<string | null>();
    expectTypeOf<NonNullable<components["schemas"]["commsOperation"]["id"]>>().toEqualTypeOf<string>();
    expectTypeOf<null>().toExtend<components["schemas"]["commsOperation"]["id"]>();
  });

  test("a notification always names its change and resource", () => {
    expectTypeOf<CommsNotification["changeType"]>().toEqualTypeOf<
      "created" | "updated" | "deleted" | UnknownEnumValue
    >();
    expectTypeOf<CommsNotification["resourceUrl"]>().toEqualTypeOf<string>();
  });
});

describe("the maps openapi-fetch consumes", () => {
  test("Retry-After is optional, because Graph does not always send it", () => {
    type Throttled = paths["/communications/calls/{call-id}/participants/invite"]["post"]["responses"]["429"];
    expectTypeOf<Throttled["headers"]>().toEqualTypeOf<{ "Retry-After"?: string; [name: string]: unknown }>();
  });

  test("paths has the invite action and webhooks has the notifications", () => {
    expectTypeOf<keyof paths>().toEqualTypeOf<"/communications/calls/{call-id}/participants/invite">();
    expectTypeOf<keyof webhooks>().toEqualTypeOf<"commsNotifications">();
    expectTypeOf<
      paths["/communications/calls/{call-id}/participants/invite"]["post"]["responses"]["200"]["headers"]["Location"]
    >().toEqualTypeOf<string>();
  });
});
