// Each rule of the reference page, with the context it depends on. Every issue of a rule carries its stable code
// and quotes the page (or, for a derived rule, says why it holds).

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { rules, validateInviteRequest } from "../src/index.js";
import { schemaRuleCodes } from "../src/invite-rules.js";
import { specPath } from "./helpers.js";

const user = (id: string, displayName?: string) => ({
  "@odata.type": "#microsoft.graph.invitationParticipantInfo",
  identity: {
    "@odata.type": "#microsoft.graph.identitySet",
    user: { "@odata.type": "#microsoft.graph.identity", id, ...(displayName && { displayName }) },
  },
});
const bot = (kind: "application" | "applicationInstance", id: string) => ({
  identity: { [kind]: { id, displayName: `Bot ${id}` } },
});
const phone = (id: string) => ({
  identity: {
    "@odata.type": "#microsoft.graph.identitySet",
    phone: { "@odata.type": "#microsoft.graph.identity", id },
  },
});

function errorsOf(body: unknown, context: Parameters<typeof validateInviteRequest>[1] = {}) {
  const result = validateInviteRequest(body, context);
  return result.ok ? [] : result.errors;
}

function quoteOf(code: string): string {
  const rule = rules.find((candidate) => candidate.code === code);
  return (rule && ("quote" in rule ? rule.quote : rule.basis)) ?? "";
}

describe("the rules table", () => {
  it("holds the spec's x-graph-invite-rules", () => {
    const spec = parse(readFileSync(specPath, "utf8"));
    const declared = spec.paths["/communications/calls/{call-id}/participants/invite"].post["x-graph-invite-rules"];
    expect(rules.map((rule) => rule.code)).toEqual(declared.map((rule: { code: string }) => rule.code));
  });

  it("maps every rule the schema enforces to the keyword that enforces it", () => {
    const bySchema = rules.filter((rule) => rule.enforcedBy === "schema").map((rule) => rule.code);
    expect([...schemaRuleCodes].sort()).toEqual([...bySchema].sort());
  });
});

describe("invite.at-least-one-participant", () => {
  it("rejects an invite of nobody", () => {
    const [error] = errorsOf({ participants: [] });
    expect(error).toMatchObject({ pointer: "/participants", code: "invite.at-least-one-participant" });
    expect(error?.message).toContain(quoteOf("invite.at-least-one-participant"));
  });
});

describe("invite.max-participants", () => {
  const six = Array.from({ length: 6 }, (_, index) => user(`user-${index}`));
  it("rejects six participants, quoting the page", () => {
    const [error] = errorsOf({ participants: six }, { callKind: "group" });
    expect(error).toMatchObject({ pointer: "/participants", code: "invite.max-participants" });
    expect(error?.message).toContain("at most 5 items, not 6");
    expect(error?.message).toContain(
      'The reference page says: "The existing group call must have a valid chatInfo. Inviting up to 5 participants is supported."',
    );
  });
  it("accepts five into a group call", () => {
    expect(errorsOf({ participants: six.slice(0, 5) }, { callKind: "group" })).toEqual([]);
  });
});

describe("invite.multiple-participants-group-call-only", () => {
  const two = { participants: [user("a"), user("b")] };
  it("rejects several participants in a peer-to-peer call", () => {
    const [error, ...others] = errorsOf(two, { callKind: "p2p" });
    expect(others).toEqual([]);
    expect(error).toMatchObject({ pointer: "/participants", code: "invite.multiple-participants-group-call-only" });
    expect(error?.message).toContain(
      "Inviting multiple participants in one request is only supported for group calls.",
    );
  });
  it("only warns about several participants in a meeting, which Graph treats as a group call", () => {
    const result = validateInviteRequest(two, { callKind: "meeting" });
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([
      expect.objectContaining({ pointer: "/participants", code: "invite.multiple-participants-group-call-only" }),
    ]);
    expect(result.warnings[0]?.message).toContain("a joined meeting (a call with chatInfo)");
  });
  it("accepts several participants in a group call", () => {
    expect(errorsOf(two, { callKind: "group" })).toEqual([]);
  });
  it("cannot judge without the call kind, so it does not reject", () => {
    expect(errorsOf(two)).toEqual([]);
  });
});

describe("invite.single-bot", () => {
  it("rejects two bots in one request, pointing at the second", () => {
    const [error] = errorsOf(
      { participants: [bot("application", "a"), bot("applicationInstance", "b")] },
      { callKind: "group" },
    );
    expect(error).toMatchObject({ pointer: "/participants/1/identity/applicationInstance", code: "invite.single-bot" });
    expect(error?.message).toContain("Inviting more than one bot to a meeting or group call isn't allowed.");
  });
  it("rejects a bot when another is already in the group call", () => {
    const [error] = errorsOf({ participants: [bot("application", "a")] }, { callKind: "group", botInCall: true });
    expect(error).toMatchObject({ pointer: "/participants/0/identity/application", code: "invite.single-bot" });
    expect(error?.message).toMatch(/already in the call/);
  });
  it("accepts one bot with a user", () => {
    expect(errorsOf({ participants: [bot("application", "a"), user("u")] }, { callKind: "group" })).toEqual([]);
  });
});

describe.each([
  ["invite.replaces-call-single-participant", { replacesCallId: "p2p-call" }],
  ["invite.move-single-participant", { replacesCallId: "source-meeting", participantId: "participant-1" }],
] as const)("%s", (code, fields) => {
  const body = { participants: [{ ...user("first", "Alice"), ...fields }, user("second", "Bob"), user("third")] };

  it("is a warning when the caller asks for one, since Graph accepts the request, naming whom it will ignore", () => {
    const result = validateInviteRequest(body, { callKind: "group", ignoredParticipants: "warning" });
    expect(result.ok ? [] : result.errors).toEqual([]);
    const [warning, ...others] = result.warnings;
    expect(others).toEqual([]);
    expect(warning).toMatchObject({ pointer: "/participants", code });
    expect(warning?.message).toContain('user "Alice"');
    expect(warning?.message).toContain('/participants/1 (user "Bob"), /participants/2 (user "third")');
    expect(warning?.message).toContain(quoteOf(code));
  });

  it("is an error by default, as in the bot kit", () => {
    const result = validateInviteRequest(body, { callKind: "group" });
    expect(result.ok ? [] : result.errors.map((error) => `${error.code} ${error.pointer}`)).toEqual([
      `${code} /participants`,
    ]);
    expect(result.warnings).toEqual([]);
  });

  it("is the same error when stated explicitly", () => {
    const result = validateInviteRequest(body, { callKind: "group", ignoredParticipants: "error" });
    expect(result).toEqual(validateInviteRequest(body, { callKind: "group" }));
  });

  it("is no issue with one participant", () => {
    expect(errorsOf({ participants: [body.participants[0]] }, { callKind: "group" })).toEqual([]);
  });
});

describe("invite.client-context-length", () => {
  it("accepts 256 characters, counted as code points", () => {
    expect(errorsOf({ participants: [user("a")], clientContext: "😀".repeat(256) })).toEqual([]);
  });
  it("rejects 257", () => {
    const [error] = errorsOf({ participants: [user("a")], clientContext: "x".repeat(257) });
    expect(error).toMatchObject({ pointer: "/clientContext", code: "invite.client-context-length" });
    expect(error?.message).toContain("at most 256 characters long, not 257");
    expect(error?.message).toContain("Max limit is 256 chars.");
  });
});

describe("invite.phone-e164", () => {
  it.each(["+12345678901", "+441632960961"])("accepts %s", (id) => {
    expect(errorsOf({ participants: [phone(id)] })).toEqual([]);
  });
  it.each(["12345678901", "+0123", "+1 234 567", "+1234567890123456", "tel:+12345"])("rejects %s", (id) => {
    const errors = errorsOf({ participants: [phone(id)] });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ pointer: "/participants/0/identity/phone/id", code: "invite.phone-e164" });
    expect(errors[0]?.message).toContain("Phone ID is the phone number in E.164 format.");
  });
});

describe("invite.identity-set-not-empty", () => {
  it.each([{}, { "@odata.type": "#microsoft.graph.identitySet" }, { user: null, application: null }])(
    "rejects an identity set that names nobody: %j",
    (identity) => {
      const [error] = errorsOf({ participants: [user("a"), { identity }] }, { callKind: "group" });
      expect(error).toMatchObject({ pointer: "/participants/1/identity", code: "invite.identity-set-not-empty" });
    },
  );
});

describe("invite.cloud-unavailable", () => {
  it.each(["china", "China operated by 21Vianet", "https://microsoftgraph.chinacloudapi.cn/v1.0"])(
    "rejects %s",
    (cloud) => {
      const [error] = errorsOf({ participants: [user("a")] }, { cloud });
      expect(error).toMatchObject({ pointer: "", code: "invite.cloud-unavailable" });
      expect(error?.message).toContain("This API is available in the following national cloud deployments.");
    },
  );
  it.each(["global", "https://graph.microsoft.us/v1.0", "https://dod-graph.microsoft.us/v1.0"])(
    "accepts %s",
    (cloud) => {
      expect(errorsOf({ participants: [user("a")] }, { cloud })).toEqual([]);
    },
  );
});

it("reports schema problems and rule problems together, each once", () => {
  const errors = errorsOf(
    { participants: [phone("12345"), { identity: { user: { id: 7 } } }], clientContext: 5 },
    { cloud: "china" },
  );
  expect(errors.map(({ pointer, code }) => `${code} ${pointer}`).sort()).toEqual([
    "invite.cloud-unavailable ",
    "invite.phone-e164 /participants/0/identity/phone/id",
    "schema.type /clientContext",
    "schema.type /participants/1/identity/user/id",
  ]);
});

describe("the cloud, as the caller names it", () => {
  it.each(["", "GLOBAL", "usgov", "https://graph.microsoft.com/v1.0", "not a url"])(
    "accepts %j, which names no cloud without the invite action",
    (cloud) => {
      expect(errorsOf({ participants: [user("a")] }, { cloud })).toEqual([]);
    },
  );
  it.each(["CHINA", "21vianet", "21Vianet", "operated by 21", "https://MICROSOFTGRAPH.chinacloudapi.cn/beta"])(
    "refuses %j, case aside, naming the cloud",
    (cloud) => {
      const [error, ...others] = errorsOf({ participants: [user("a")] }, { cloud });
      expect(others).toEqual([]);
      expect(error).toMatchObject({ pointer: "", code: "invite.cloud-unavailable" });
      expect(error?.message).toMatch(
        /^The invite action is not available in China operated by 21Vianet\. The reference page says: "/,
      );
    },
  );
});

describe("which participants the rules read", () => {
  it("moves a participant with participantId alone, and names the rule of moving", () => {
    const body = { participants: [{ ...user("first"), participantId: "p-1" }, user("second")] };
    const [error, ...others] = errorsOf(body, { callKind: "group" });
    expect(others).toEqual([]);
    expect(error).toMatchObject({ pointer: "/participants", code: "invite.move-single-participant" });
    expect(error?.message).toMatch(
      /^Moving a participant \(`participantId`\) takes only the first participant, user "first"; Graph will ignore \/participants\/1 \(user "second"\)\. The reference page says: "/,
    );
  });

  it("reads a null participantId or replacesCallId as absent", () => {
    const body = { participants: [{ ...user("first"), participantId: null, replacesCallId: null }, user("second")] };
    const result = validateInviteRequest(body, { callKind: "group" });
    expect(result.ok ? [] : result.errors.map((error) => error.code)).not.toContain("invite.move-single-participant");
    expect(result.ok ? [] : result.errors.map((error) => error.code)).not.toContain(
      "invite.replaces-call-single-participant",
    );
  });

  it("names a participant by display name, else by id, else by kind, and the first by its first identity", () => {
    const body = {
      participants: [
        { identity: { phone: { id: "+12345678901" } }, replacesCallId: "c" },
        { identity: { application: { displayName: "Helper" } } },
        { identity: { guest: { id: 42 } } },
      ],
    };
    const result = validateInviteRequest(body, { ignoredParticipants: "warning" });
    expect(result.warnings[0]?.message).toMatch(
      /^Replacing a call \(`replacesCallId`\) takes only the first participant, phone "\+12345678901"; Graph will ignore \/participants\/1 \(application "Helper"\), \/participants\/2 \(guest\)\. /,
    );
  });

  it("counts a participant named as both application and application instance as one bot", () => {
    const both = { identity: { application: { id: "a" }, applicationInstance: { id: "a" } } };
    expect(errorsOf({ participants: [both, user("u")] }, { callKind: "group" })).toEqual([]);
  });

  it("names the bots invited together, and lets a peer-to-peer call have two", () => {
    const body = { participants: [bot("application", "a"), user("u"), bot("applicationInstance", "b")] };
    const [error, ...others] = errorsOf(body, { callKind: "meeting" });
    expect(others).toEqual([]);
    expect(error).toMatchObject({ pointer: "/participants/2/identity/applicationInstance", code: "invite.single-bot" });
    expect(error?.message).toMatch(
      /^The request invites 2 bots \(\/participants\/0\/identity\/application, \/participants\/2\/identity\/applicationInstance\)\. The reference page says: "/,
    );
    expect(errorsOf({ participants: [bot("application", "a")] }, { callKind: "p2p", botInCall: true })).toEqual([]);
    expect(errorsOf({ participants: [bot("application", "a")] }, { callKind: "group", botInCall: false })).toEqual([]);
  });

  it("reads no type annotation as an identity, even one that is an object", () => {
    const errors = errorsOf({ participants: [{ identity: { "@odata.type": {} } }] });
    const error = errors.find((issue) => issue.code.startsWith("invite."));
    expect(error).toMatchObject({ pointer: "/participants/0/identity", code: "invite.identity-set-not-empty" });
    expect(error?.message).toBe(
      `The identity set names no identity (user, application, phone, …), so it names nobody to invite. ${quoteOf("invite.identity-set-not-empty")}`,
    );
  });

  it("leaves the rules out when a participant is not an object, and reports the schema's issue alone", () => {
    const errors = errorsOf(
      { participants: [bot("application", "a"), "b", bot("application", "c")] },
      {
        callKind: "group",
      },
    );
    expect(errors.map(({ code, pointer }) => `${code} ${pointer}`)).toEqual(["schema.type /participants/1"]);
  });

  it("refuses text that is not JSON as the reader does, at the root", () => {
    const [error, ...others] = errorsOf("{");
    expect(others).toEqual([]);
    expect(error).toMatchObject({ pointer: "", code: "json.syntax" });
  });

  it("states a schema rule's subject, its finding and the page's words", () => {
    const [error] = errorsOf({ participants: [user("a")], clientContext: "x".repeat(300) });
    expect(error?.message).toBe(
      `\`clientContext\` must be at most 256 characters long, not 300. The reference page says: "${quoteOf("invite.client-context-length")}"`,
    );
  });
});

describe("bodies the rules cannot read", () => {
  it.each([
    null,
    5,
    "[]",
    { participants: "x" },
    { participants: {} },
    { participants: [{}] },
    { participants: [{ identity: "x" }] },
  ])("refuses %j with the schema's errors, never a crash", (body) => {
    const result = validateInviteRequest(body, { callKind: "group", botInCall: true });
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.errors.map((error) => error.code)).not.toContain("invite.single-bot");
  });

  it("names a participant without an identity set as nobody", () => {
    const body = { participants: [{ ...user("first", "Alice"), replacesCallId: "c" }, {}, { identity: null }] };
    const result = validateInviteRequest(body, { ignoredParticipants: "warning" });
    expect(result.warnings[0]?.message).toContain(
      'takes only the first participant, user "Alice"; Graph will ignore /participants/1 (nobody), /participants/2 (nobody).',
    );
  });

  it("checks the body strictly: a property the contract does not declare is refused", () => {
    const errors = errorsOf({ participants: [user("a")], extra: 1 });
    expect(errors).toEqual([expect.objectContaining({ pointer: "/extra", code: "schema.unknown-property" })]);
  });

  it("maps a phone number's pattern to its rule at any participant's index, naming the member", () => {
    const participants = [...Array.from({ length: 10 }, (_, index) => user(`u${index}`)), phone("12345")];
    const errors = errorsOf({ participants }, { callKind: "group" });
    const phoneError = errors.find((error) => error.pointer === "/participants/10/identity/phone/id");
    expect(phoneError?.code).toBe("invite.phone-e164");
    expect(phoneError?.message).toMatch(/^`id` must match /);
  });

  it("states the number invited into a peer-to-peer call, and warns of nothing in a group call or about one", () => {
    const [error] = errorsOf({ participants: [user("a"), user("b"), user("c")] }, { callKind: "p2p" });
    expect(error?.message).toBe(
      `3 participants are invited into a peer-to-peer call. The reference page says: "${quoteOf("invite.multiple-participants-group-call-only")}"`,
    );
    for (const [participants, callKind] of [
      [[user("a"), user("b")], "group"],
      [[user("a")], "meeting"],
      [[user("a")], "p2p"],
    ] as const) {
      const result = validateInviteRequest({ participants }, { callKind });
      expect(result.ok ? result.warnings : result.errors).toEqual([]);
    }
  });
});

describe("a cloud given by a URL", () => {
  it("is read by its host, however the URL spells it", () => {
    // The host of this URL is China's Graph host once the URL is read, though its text does not say "china".
    const [error] = errorsOf(
      { participants: [user("a")] },
      { cloud: "https://microsoftgraph.%63hinacloudapi.cn/v1.0" },
    );
    expect(error).toMatchObject({ pointer: "", code: "invite.cloud-unavailable" });
  });
});
