// The reference page's five examples, run through the simulator: each request is sent as the page writes it, and
// the response and the notifications that follow are compared with the page's, field by field. Ids (operation,
// participant and media source ids) are generated and so left out. Every other difference is listed below with
// the reason the simulator does not reproduce it.
import { afterEach, describe, expect, test } from "vitest";
import { type CallSeed, type Scenario, type Simulator, type SimulatorOptions, start } from "../src/index.js";
import { type Callback, startCallback } from "./callback.js";
import { example, postInvite } from "./harness.js";

const groupCallId = "ab6233a5-20b7-4c5e-bea2-ce56c9776429";
const secondGroupCallId = "7531d31f-d10d-44de-802f-c569dbca451c";
const peerToPeerCallId = "a7ebfb2d-871e-419c-87af-27290b22e8db";

interface SeedRun {
  readonly file: string;
  /** The call the page POSTs to. */
  readonly callId: string;
  readonly calls: ReadonlyArray<Omit<CallSeed, "callbackUri">>;
  readonly directory?: SimulatorOptions["directory"];
  readonly scenario?: Scenario;
}

const runs: Record<number, SeedRun> = {
  // The request names a replaced call; the response echoes it, so the simulator must know that call.
  1: {
    file: "example-1-invite-one-participant",
    callId: groupCallId,
    calls: [
      { id: groupCallId, kind: "group" },
      { id: peerToPeerCallId, kind: "p2p" },
    ],
  },
  // The request names a replaced call that the page's response shows as null: Graph does not act on it.
  2: {
    file: "example-2-invite-multiple-participants",
    callId: secondGroupCallId,
    calls: [{ id: secondGroupCallId, kind: "group" }],
    // The page's roster arrives on the operations path, one of Graph's known deviations.
    scenario: { deviations: ["roster-on-operations-path"] },
  },
  // The response names the invitee as the directory does ("Participant"), not as the request did ("string").
  3: {
    file: "example-3-replace-peer-to-peer-call",
    callId: groupCallId,
    calls: [
      { id: groupCallId, kind: "group" },
      { id: peerToPeerCallId, kind: "p2p" },
    ],
    directory: [{ id: "7e1b4346-85a6-4bdd-abe3-d11c5d420efe", displayName: "Participant" }],
  },
  4: {
    file: "example-4-invite-phone-participant",
    callId: groupCallId,
    calls: [{ id: groupCallId, kind: "group" }],
  },
  // The participant is moved out of another meeting of the same app, where it has the id the request names.
  5: {
    file: "example-5-move-participant",
    callId: groupCallId,
    calls: [
      { id: groupCallId, kind: "meeting" },
      {
        id: peerToPeerCallId,
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
  },
};

type Body = "response" | "operation-completed" | "roster-updated";

interface Difference {
  readonly pointer: string;
  readonly page: unknown;
  readonly simulator: unknown;
}

type KnownDifference = Difference & { readonly why: string };

const user = (id: string, displayName?: string) => ({
  "@odata.type": "#microsoft.graph.identity",
  id,
  ...(displayName !== undefined && { displayName }),
});

/** Graph's metadata types a participant's info as participantInfo, as the page's examples 4 and 5 do. */
const infoType = (index: number): KnownDifference => ({
  pointer: `/value/0/resourceData/${index}/info/@odata.type`,
  page: "#microsoft.graph.invitationParticipantInfo",
  simulator: "#microsoft.graph.participantInfo",
  why: "Graph's metadata types a participant's info as participantInfo, as examples 4 and 5 do.",
});

/** The page's roster lists an invited user as an application; the simulator lists whom it was asked to invite. */
const inviteeAsApplication = (index: number, id: string): KnownDifference[] => [
  {
    pointer: `/value/0/resourceData/${index}/info/identity/application`,
    page: { "@odata.type": "#microsoft.graph.identity", id },
    simulator: undefined,
    why: "The request invites a user; the page's roster shows an application with the user's id.",
  },
  {
    pointer: `/value/0/resourceData/${index}/info/identity/user`,
    page: undefined,
    simulator: user(id, "string"),
    why: "The same difference, seen from the simulator's side: the invitee is the request's user.",
  },
];

/**
 * Where the page's examples disagree with each other or with Graph's metadata, and the simulator follows the
 * metadata and the other examples. Each entry is one difference the comparison must find, and no other may appear.
 */
const knownDifferences: Record<number, Partial<Record<Body, KnownDifference[]>>> = {
  1: {
    "roster-updated": [infoType(0), ...inviteeAsApplication(0, "278405a3-f568-4b3e-b684-009193463064")],
  },
  2: {
    "operation-completed": [
      {
        pointer: "/value/0/resource",
        page: "/communications/calls/7531d31f-d10d-44de-802f-c569dbca451c/operations/participants",
        simulator: "/app/calls/7531d31f-d10d-44de-802f-c569dbca451c/operations/{id}",
        why: "Seven of the page's ten notifications give `resource` the legacy /app/calls path; this one repeats `resourceUrl`.",
      },
    ],
    "roster-updated": [infoType(0), ...inviteeAsApplication(0, "7e1b4346-85a6-4bdd-abe3-d11c5d420efe"), infoType(1)],
  },
  3: {
    "roster-updated": [
      {
        pointer: "/value/0/resource",
        page: "/communications/calls/a7ebfb2d-871e-419c-87af-27290b22e8db/participants",
        simulator: "/app/calls/ab6233a5-20b7-4c5e-bea2-ce56c9776429/participants",
        why: "The invitee joins the group call the request was sent to; the page shows the roster of the replaced peer-to-peer call, which ends.",
      },
      {
        pointer: "/value/0/resourceUrl",
        page: "/communications/calls/a7ebfb2d-871e-419c-87af-27290b22e8db/participants",
        simulator: "/communications/calls/ab6233a5-20b7-4c5e-bea2-ce56c9776429/participants",
        why: "The same: the roster is the group call's.",
      },
      infoType(0),
    ],
  },
  5: {
    response: [
      {
        pointer: "/participants/0/identity/user/@odata.type",
        page: undefined,
        simulator: "#microsoft.graph.identity",
        why: "The response echoes the identity as the request wrote it, as examples 1 to 4 do; this one drops its type.",
      },
    ],
    "roster-updated": [
      {
        pointer: "/value/0/resource",
        page: "/communications/calls/ab6233a5-20b7-4c5e-bea2-ce56c9776429/participants",
        simulator: "/app/calls/ab6233a5-20b7-4c5e-bea2-ce56c9776429/participants",
        why: "Seven of the page's ten notifications give `resource` the legacy /app/calls path.",
      },
    ],
  },
};

/** Where the ids Graph generates sit: the operation's, the participants' and the media sources'. Nothing else. */
const generatedIds = [
  /^\/id$/,
  /^\/participants\/\d+\/id$/,
  /^\/value\/0\/resourceData\/id$/,
  /^\/value\/0\/resourceData\/\d+\/id$/,
  /^\/value\/0\/resourceData\/\d+\/mediaStreams\/\d+\/sourceId$/,
];

/** The operation id in a notification's path is generated too. */
function normalisePath(value: unknown): unknown {
  return typeof value === "string" ? value.replace(/\/operations\/[^/]+$/, "/operations/{id}") : value;
}

/** Every place where `page` and `simulator` differ, apart from generated ids. */
function differences(page: unknown, simulator: unknown, pointer = ""): Difference[] {
  if (generatedIds.some((place) => place.test(pointer))) return [];
  const key = pointer.slice(pointer.lastIndexOf("/") + 1);
  if (key === "resource" || key === "resourceUrl") {
    const [left, right] = [normalisePath(page), normalisePath(simulator)];
    return left === right ? [] : [{ pointer, page, simulator: right }];
  }
  const isContainer = (value: unknown) => typeof value === "object" && value !== null;
  if (!isContainer(page) || !isContainer(simulator) || Array.isArray(page) !== Array.isArray(simulator)) {
    return Object.is(page, simulator) ? [] : [{ pointer, page, simulator }];
  }
  const left = page as Record<string, unknown>;
  const right = simulator as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(left), ...Object.keys(right)])];
  return keys.flatMap((child) =>
    differences(left[child], right[child], `${pointer}/${child.replaceAll("~", "~0").replaceAll("/", "~1")}`),
  );
}

let sim: Simulator | undefined;
let bot: Callback | undefined;
afterEach(async () => {
  await sim?.close();
  await bot?.stop();
});

describe.each(Object.entries(runs))("example %s", (number, run) => {
  test("the response and the notifications are the page's, apart from ids", async () => {
    bot = await startCallback();
    const callbackUri = bot.url;
    sim = await start({
      calls: run.calls.map((call) => ({ ...call, callbackUri })),
      ...(run.directory !== undefined && { directory: run.directory }),
      ...(run.scenario !== undefined && { scenario: run.scenario }),
    });
    const response = await postInvite(sim, run.callId, example(`${run.file}.request.json`));
    await sim.settled();
    expect(response.status).toBe(200);
    expect(response.headers.get("location")).toMatch(
      new RegExp(`/v1\\.0/communications/calls/${run.callId}/operations/[0-9a-f-]{36}$`),
    );

    const sent = sim.deliveries().filter((delivery) => delivery.callId === run.callId);
    const bodies: Record<Body, unknown> = {
      response: response.body,
      "operation-completed": sent.find((delivery) => delivery.kind === "operation")?.body,
      "roster-updated": sent.find((delivery) => delivery.kind === "roster")?.body,
    };
    const found = Object.fromEntries(
      Object.entries(bodies).map(([body, actual]) => [body, differences(example(`${run.file}.${body}.json`), actual)]),
    );
    const known = knownDifferences[Number(number)] ?? {};
    const expected = Object.fromEntries(
      Object.keys(bodies).map((body) => [
        body,
        (known[body as Body] ?? []).map(({ why: _, ...difference }) => difference),
      ]),
    );
    expect(found).toEqual(expected);
  });
});
