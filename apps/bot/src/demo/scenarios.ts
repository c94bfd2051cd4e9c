// The demo's scenarios: the reference page's five examples, sent exactly as the page writes them, and the failures
// a bot must handle. Each runs against a simulator of its own, with the calls the example needs, and says how it
// must end.
import { readFileSync } from "node:fs";
import type { InviteAndWaitOptions } from "@graph-invite/bot-kit";
import { applicationParticipant, inviteBody, userParticipant } from "@graph-invite/client";
import type { CallSeed, Scenario, SimulatorOptions } from "@graph-invite/simulator";
import type { InviteParticipantsRequest } from "@graph-invite/types";

/** How a scenario must end for the demo to count it as a success. */
export type Expectation =
  | {
      readonly status: "completed" | "failed";
      /** For `failed`: the resultInfo code Graph reports. */
      readonly code?: number;
      /** Identity ids that must be in the call's roster at the end. */
      readonly roster?: readonly string[];
      /** Calls whose roster must have ended (a replaced peer-to-peer call). */
      readonly endedCalls?: readonly string[];
    }
  | {
      /** Refused before sending: the reference page's rules, by rule code. */
      readonly status: "rejected";
      readonly rules: readonly string[];
    }
  | {
      /** The bot refuses to start: a cloud where the action does not exist. */
      readonly status: "refused-at-start";
      readonly message: RegExp;
    };

export interface DemoScenario {
  readonly title: string;
  /** Where it comes from: `seed example N`, or `failure case`. */
  readonly source: string;
  /** The calls that exist before the invite; their callback is the bot. */
  readonly calls: ReadonlyArray<Omit<CallSeed, "callbackUri">>;
  readonly directory?: SimulatorOptions["directory"];
  readonly scenario?: Scenario;
  /** The national cloud the bot is configured for. Default `global`. */
  readonly cloud?: string;
  /** The call the invite is sent to. */
  readonly callId: string;
  readonly request: InviteParticipantsRequest;
  readonly options?: InviteAndWaitOptions;
  readonly expect: Expectation;
}

/** The call ids the reference page's examples use; several scenarios reuse them, each in a simulator of its own. */
export const demoCallIds: readonly string[] = [
  "ab6233a5-20b7-4c5e-bea2-ce56c9776429",
  "7531d31f-d10d-44de-802f-c569dbca451c",
  "a7ebfb2d-871e-419c-87af-27290b22e8db",
];
const [groupCall, secondGroupCall, peerToPeerCall] = demoCallIds as [string, string, string];

function seedRequest(file: string): InviteParticipantsRequest {
  const url = import.meta.resolve(`@graph-invite/openapi/examples/${file}.request.json`);
  return JSON.parse(readFileSync(new URL(url), "utf8")) as InviteParticipantsRequest;
}

const ann = userParticipant("6e7a2d59-1b3c-4f0e-9d1a-3c5b7e9f1a20", { displayName: "Ann" });
const bob = "0c4f8a6e-2d1b-4e3f-8a5c-7b9d1e3f5a60";

export const demoScenarios: readonly DemoScenario[] = [
  {
    title: "Invite one participant",
    source: "seed example 1",
    calls: [
      { id: groupCall, kind: "group" },
      { id: peerToPeerCall, kind: "p2p" },
    ],
    callId: groupCall,
    request: seedRequest("example-1-invite-one-participant"),
    expect: {
      status: "completed",
      roster: ["278405a3-f568-4b3e-b684-009193463064"],
      // The page's request names a peer-to-peer call to replace, and Graph ends it.
      endedCalls: [peerToPeerCall],
    },
  },
  {
    title: "Invite multiple participants into a group call",
    source: "seed example 2",
    calls: [{ id: secondGroupCall, kind: "group" }],
    // The page's roster for this example arrives on the operations path, a known quirk of Graph's.
    scenario: { deviations: ["roster-on-operations-path"] },
    callId: secondGroupCall,
    request: seedRequest("example-2-invite-multiple-participants"),
    // The page sends replacesCallId on both participants; Graph ignores it on the second, so it is sent as it is.
    options: { callKind: "group", ignoredParticipants: "warning" },
    expect: {
      status: "completed",
      roster: ["7e1b4346-85a6-4bdd-abe3-d11c5d420efe", "1e126418-44a0-4a94-a6f8-0efe1ad71acb"],
    },
  },
  {
    title: "Replace a peer-to-peer call with a group call",
    source: "seed example 3",
    calls: [
      { id: groupCall, kind: "group" },
      { id: peerToPeerCall, kind: "p2p" },
    ],
    directory: [{ id: "7e1b4346-85a6-4bdd-abe3-d11c5d420efe", displayName: "Participant" }],
    callId: groupCall,
    request: seedRequest("example-3-replace-peer-to-peer-call"),
    expect: { status: "completed", roster: ["7e1b4346-85a6-4bdd-abe3-d11c5d420efe"], endedCalls: [peerToPeerCall] },
  },
  {
    title: "Invite a phone number",
    source: "seed example 4",
    calls: [{ id: groupCall, kind: "group" }],
    callId: groupCall,
    request: seedRequest("example-4-invite-phone-participant"),
    expect: { status: "completed", roster: ["+12345678901"] },
  },
  {
    title: "Move a participant from one meeting to another",
    source: "seed example 5",
    calls: [
      { id: groupCall, kind: "meeting" },
      {
        id: peerToPeerCall,
        kind: "meeting",
        participants: [
          {
            id: "7d501bf1-5ee4-4605-ba92-0ae4513c611c",
            identity: { user: { id: "682b6c37-0729-4fab-ace6-d730d5d9137e", identityProvider: "AAD" } },
          },
        ],
      },
    ],
    directory: [
      {
        id: "682b6c37-0729-4fab-ace6-d730d5d9137e",
        displayName: "Participant",
        tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47",
      },
    ],
    callId: groupCall,
    request: seedRequest("example-5-move-participant"),
    expect: { status: "completed", roster: ["682b6c37-0729-4fab-ace6-d730d5d9137e"] },
  },
  {
    title: "Graph's quirks: duplicated, reordered, terminal before the response, id: null, string codes",
    source: "robustness",
    calls: [{ id: groupCall, kind: "group" }],
    scenario: {
      delivery: { duplicate: true, reorder: true, terminalBeforeResponse: true },
      deviations: ["null-ids", "status-casing", "codes-as-strings", "app-paths", "undeclared-properties"],
      rosterSequenceNumbers: true,
    },
    callId: groupCall,
    request: inviteBody([ann, userParticipant(bob, { displayName: "Bob" })]),
    options: { callKind: "group" },
    expect: { status: "completed", roster: ["6e7a2d59-1b3c-4f0e-9d1a-3c5b7e9f1a20", bob] },
  },
  {
    title: "The invitee declines",
    source: "failure case",
    calls: [{ id: groupCall, kind: "group" }],
    scenario: {
      answers: { [bob]: { kind: "decline", code: 603, subcode: 5400, message: "The invitee declined the call." } },
    },
    callId: groupCall,
    request: inviteBody(userParticipant(bob, { displayName: "Bob" })),
    expect: { status: "failed", code: 603, roster: [] },
  },
  {
    title: "Nobody answers (the simulator rings for 2 s instead of Graph's minute)",
    source: "failure case",
    calls: [{ id: groupCall, kind: "group" }],
    scenario: { answers: { [bob]: { kind: "no-answer", afterMs: 2000 } } },
    callId: groupCall,
    request: inviteBody(userParticipant(bob, { displayName: "Bob" })),
    expect: { status: "failed", code: 408, roster: [] },
  },
  {
    title: "Six participants in one invite",
    source: "failure case",
    calls: [{ id: groupCall, kind: "group" }],
    callId: groupCall,
    request: inviteBody(
      ["a", "b", "c", "d", "e", "f"].map((letter) =>
        userParticipant(`00000000-0000-4000-8000-00000000000${letter}`, {
          displayName: `User ${letter.toUpperCase()}`,
        }),
      ),
    ),
    options: { callKind: "group" },
    expect: { status: "rejected", rules: ["invite.max-participants"] },
  },
  {
    title: "Two bots in one invite",
    source: "failure case",
    calls: [{ id: groupCall, kind: "group" }],
    callId: groupCall,
    request: inviteBody([
      applicationParticipant("2b3c4d5e-6f70-4812-9a3b-4c5d6e7f8091", { displayName: "Recorder bot" }),
      applicationParticipant("3c4d5e6f-7081-4923-8b4c-5d6e7f809102", { displayName: "Captions bot" }),
    ]),
    options: { callKind: "group" },
    expect: { status: "rejected", rules: ["invite.single-bot"] },
  },
  {
    title: "A bot configured for the China cloud (21Vianet)",
    source: "failure case",
    calls: [],
    cloud: "china",
    callId: groupCall,
    request: inviteBody(ann),
    expect: { status: "refused-at-start", message: /not available in the China cloud/ },
  },
];
