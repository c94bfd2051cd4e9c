import type { InviteParticipantsRequest } from "@graph-invite/types";
import { afterEach, describe, expect, it } from "vitest";
import {
  applicationInstanceParticipant,
  applicationParticipant,
  createInviteClient,
  guestParticipant,
  inviteBody,
  movingParticipant,
  phoneParticipant,
  replacingCall,
  userParticipant,
  type ValidationIssue,
} from "../src/index.js";
import { accepted, callId, example, type LoopbackGraph, startGraph } from "./graph-server.js";

const request = (n: number, name: string) => example<InviteParticipantsRequest>(`example-${n}-${name}.request.json`);
const clientContext = "f2fa86af-3c51-4bc2-8fc0-475452d9764f";

describe("builders produce the reference page's request bodies", () => {
  it("Example 1: a user, replacing a call", () => {
    const body = inviteBody(
      replacingCall(
        userParticipant("278405a3-f568-4b3e-b684-009193463064", { displayName: "string" }),
        "a7ebfb2d-871e-419c-87af-27290b22e8db",
      ),
      clientContext,
    );
    expect(body).toStrictEqual(request(1, "invite-one-participant"));
    // Same members in the same order as the page, so the JSON reads the same.
    expect(JSON.stringify(body)).toBe(JSON.stringify(request(1, "invite-one-participant")));
  });

  it("Example 2: several users into a group call", () => {
    const replaces = "a7ebfb2d-871e-419c-87af-27290b22e8db";
    const body = inviteBody(
      [
        replacingCall(userParticipant("7e1b4346-85a6-4bdd-abe3-d11c5d420efe", { displayName: "string" }), replaces),
        replacingCall(userParticipant("1e126418-44a0-4a94-a6f8-0efe1ad71acb", { displayName: "string" }), replaces),
      ],
      clientContext,
    );
    expect(body).toStrictEqual(request(2, "invite-multiple-participants"));
  });

  it("Example 4: a phone number", () => {
    expect(inviteBody(phoneParticipant("+12345678901"), clientContext)).toStrictEqual(
      request(4, "invite-phone-participant"),
    );
  });

  it("Example 5: moving a participant from another meeting", () => {
    const body = inviteBody(
      movingParticipant(userParticipant("682b6c37-0729-4fab-ace6-d730d5d9137e", { identityProvider: "AAD" }), {
        participantId: "7d501bf1-5ee4-4605-ba92-0ae4513c611c",
        replacesCallId: "a7ebfb2d-871e-419c-87af-27290b22e8db",
      }),
      clientContext,
    );
    expect(body).toStrictEqual(request(5, "move-participant"));
    expect(JSON.stringify(body)).toBe(JSON.stringify(request(5, "move-participant")));
  });

  it("a body without clientContext has no clientContext member", () => {
    expect(inviteBody(userParticipant("u"))).toStrictEqual({ participants: [userParticipant("u")] });
  });
});

describe("identities the examples do not show", () => {
  it("a guest goes in a communicationsIdentitySet, the set type that declares guest", () => {
    expect(guestParticipant("d7a3b999-17ac-4bca-9e77-e6a730d2ec2e", "Guest User")).toStrictEqual({
      "@odata.type": "#microsoft.graph.invitationParticipantInfo",
      identity: {
        "@odata.type": "#microsoft.graph.communicationsIdentitySet",
        guest: {
          "@odata.type": "#microsoft.graph.identity",
          id: "d7a3b999-17ac-4bca-9e77-e6a730d2ec2e",
          displayName: "Guest User",
        },
      },
    });
  });

  it("an application goes in an identitySet", () => {
    expect(applicationParticipant("278405a3-f568-4b3e-b684-009193463064", { displayName: "Recorder" })).toStrictEqual({
      "@odata.type": "#microsoft.graph.invitationParticipantInfo",
      identity: {
        "@odata.type": "#microsoft.graph.identitySet",
        application: {
          "@odata.type": "#microsoft.graph.identity",
          id: "278405a3-f568-4b3e-b684-009193463064",
          displayName: "Recorder",
        },
      },
    });
  });

  it("an application instance goes in a communicationsIdentitySet, with its tenant", () => {
    expect(
      applicationInstanceParticipant("0e9d6c34-3bd7-4e4e-a3b6-f3c0d3f2f0a1", {
        tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47",
      }),
    ).toStrictEqual({
      "@odata.type": "#microsoft.graph.invitationParticipantInfo",
      identity: {
        "@odata.type": "#microsoft.graph.communicationsIdentitySet",
        applicationInstance: {
          "@odata.type": "#microsoft.graph.identity",
          id: "0e9d6c34-3bd7-4e4e-a3b6-f3c0d3f2f0a1",
          tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47",
        },
      },
    });
  });

  it("leaves out details that are not given", () => {
    const user = userParticipant("u", { displayName: undefined as unknown as string });
    expect(JSON.stringify(user)).not.toContain("displayName");
  });
});

describe("phoneParticipant accepts only E.164 numbers", () => {
  it.each(["+12345678901", "+442071838750", "+861012345678901"])("accepts %s", (number) => {
    expect(phoneParticipant(number).identity.phone).toMatchObject({ id: number });
  });

  it.each([
    "12345678901",
    "+0123456789",
    "+1 234 567 8901",
    "+1-234-567-8901",
    "+1234567890123456",
    "+1",
    "",
    "tel:+12345678901",
  ])("rejects %j", (number) => {
    expect(() => phoneParticipant(number)).toThrow(RangeError);
    expect(() => phoneParticipant(number)).toThrow(/is not an E\.164 phone number/);
  });
});

describe("the validate hook", () => {
  let graph: LoopbackGraph | undefined;
  afterEach(async () => {
    await graph?.close();
    graph = undefined;
  });

  it("an error stops the request: nothing is sent, and the issues come back", async () => {
    graph = await startGraph(accepted());
    const issues: ValidationIssue[] = [
      { message: "at most one bot may be invited into a group call", severity: "error", pointer: "/participants" },
      { message: "displayName is empty", severity: "warning", pointer: "/participants/0/identity/user/displayName" },
    ];
    const seen: InviteParticipantsRequest[] = [];
    const client = createInviteClient({
      baseUrl: graph.baseUrl,
      credential: async () => "token",
      validate: (body) => {
        seen.push(body);
        return issues;
      },
    });
    const body = inviteBody([applicationParticipant("a"), applicationParticipant("b")], "ctx-1");
    const result = await client.invite(callId, body);

    expect(graph.requests).toHaveLength(0);
    expect(seen).toEqual([body]);
    expect(result).toEqual({
      ok: false,
      clientContext: "ctx-1",
      error: {
        kind: "validation",
        ambiguous: false,
        issues,
        message: "the request body is invalid: at most one bot may be invited into a group call; displayName is empty",
      },
    });
  });

  it("an issue without severity counts as an error", async () => {
    graph = await startGraph(accepted());
    const client = createInviteClient({
      baseUrl: graph.baseUrl,
      credential: async () => "token",
      validate: async () => [{ message: "participants: must NOT have fewer than 1 items" }],
    });
    const result = await client.invite(callId, { participants: [] });
    expect(result.ok === false && result.error.kind).toBe("validation");
    expect(graph.requests).toHaveLength(0);
  });

  it("a hook that throws stops the request as a validation failure, instead of rejecting", async () => {
    graph = await startGraph(accepted());
    const client = createInviteClient({
      baseUrl: graph.baseUrl,
      credential: async () => "token",
      validate: () => {
        throw new TypeError("schema not loaded");
      },
    });
    const result = await client.invite(callId, inviteBody(userParticipant("u")));
    expect(result.ok === false && result.error).toMatchObject({
      kind: "validation",
      issues: [{ message: "the validate hook threw: TypeError: schema not loaded" }],
    });
    expect(graph.requests).toHaveLength(0);
  });

  it("warnings alone do not stop the request", async () => {
    graph = await startGraph(accepted());
    const client = createInviteClient({
      baseUrl: graph.baseUrl,
      credential: async () => "token",
      validate: () => [{ message: "only the first participant counts with replacesCallId", severity: "warning" }],
    });
    const result = await client.invite(callId, inviteBody(userParticipant("u")));
    expect(result.ok).toBe(true);
    expect(graph.requests).toHaveLength(1);
  });
});
