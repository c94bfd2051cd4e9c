// @microsoft/microsoft-graph-client running the reference page's JavaScript snippet against graph-invite-sim --tls,
// with the token from @azure/identity's ClientSecretCredential, as an app on Graph would: the five examples, Graph's
// throttling (429 and 503 with Retry-After), and a GET of the Location the invite answers with.
import type { SimulatorOptions } from "@graph-invite/simulator";
import { describe, expect, test } from "vitest";
import {
  example,
  examples,
  type RunningSimulator,
  requestsOf,
  runClient,
  startCallback,
  startSimulatorCli,
} from "./harness.js";

const groupCallId = "ab6233a5-20b7-4c5e-bea2-ce56c9776429";
const secondGroupCallId = "7531d31f-d10d-44de-802f-c569dbca451c";
const peerToPeerCallId = "a7ebfb2d-871e-419c-87af-27290b22e8db";

/** Each example's world, as the simulator's seed test sets it up: the calls its request names, and who is who. */
const runs: ReadonlyArray<{
  readonly file: string;
  readonly callId: string;
  readonly options: (callbackUri: string) => SimulatorOptions;
}> = [
  {
    file: "example-1-invite-one-participant",
    callId: groupCallId,
    options: (callbackUri) => ({
      calls: [
        { id: groupCallId, kind: "group", callbackUri },
        { id: peerToPeerCallId, kind: "p2p", callbackUri },
      ],
    }),
  },
  {
    file: "example-2-invite-multiple-participants",
    callId: secondGroupCallId,
    options: (callbackUri) => ({ calls: [{ id: secondGroupCallId, kind: "group", callbackUri }] }),
  },
  {
    file: "example-3-replace-peer-to-peer-call",
    callId: groupCallId,
    options: (callbackUri) => ({
      calls: [
        { id: groupCallId, kind: "group", callbackUri },
        { id: peerToPeerCallId, kind: "p2p", callbackUri },
      ],
    }),
  },
  {
    file: "example-4-invite-phone-participant",
    callId: groupCallId,
    options: (callbackUri) => ({ calls: [{ id: groupCallId, kind: "group", callbackUri }] }),
  },
  {
    file: "example-5-move-participant",
    callId: groupCallId,
    options: (callbackUri) => ({
      calls: [
        { id: groupCallId, kind: "meeting", callbackUri },
        {
          id: peerToPeerCallId,
          kind: "meeting",
          callbackUri,
          participants: [
            {
              id: "7d501bf1-5ee4-4605-ba92-0ae4513c611c",
              identity: { user: { id: "682b6c37-0729-4fab-ace6-d730d5d9137e", identityProvider: "AAD" } },
            },
          ],
        },
      ],
    }),
  },
];

interface SnippetResult {
  readonly response: Record<string, unknown>;
  readonly rawStatus?: number;
  readonly location?: string;
  readonly operation?: Record<string, unknown>;
}

/** The requests the simulator received, ids and MSAL's client-request-id left out. */
const requestLines = async (sim: RunningSimulator) =>
  (await requestsOf(sim)).map(
    (entry) =>
      `${entry.method} ${entry.path.replace(/\?client-request-id=[^&]*$/, "").replace(/[0-9a-f-]{36}$/, "{id}")} ${entry.status}`,
  );

/** What @azure/identity asks of the identity platform before its first token: the metadata, then the token. */
const tokenRequests = (sim: RunningSimulator) => [
  `GET /${sim.app.tenantId}/v2.0/.well-known/openid-configuration 200`,
  `POST /${sim.app.tenantId}/oauth2/v2.0/token 200`,
];

describe.each(runs)("the page's snippet for $file", ({ file, callId, options }) => {
  test("gets the page's operation over TLS, with a token from @azure/identity", async () => {
    const bot = await startCallback();
    const sim = await startSimulatorCli(options(bot.url));
    expect(sim.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const request = example(`${file}.request.json`);
    const { response } = await runClient<SnippetResult>(sim, "graph-client.mjs", [
      new URL(`${file}.request.json`, examples).pathname,
      callId,
    ]);

    // The page's response, as the simulator answers it (test/seed.test.ts in the simulator compares every field).
    const page = example(`${file}.response.json`);
    expect(response).toMatchObject({
      "@odata.type": page["@odata.type"] ?? "#microsoft.graph.inviteParticipantsOperation",
      status: "Running",
      clientContext: request["clientContext"],
    });
    expect(response["participants"]).toHaveLength((page["participants"] as unknown[]).length);
    // Every request carried the token: none was refused.
    expect(await requestLines(sim)).toEqual([
      ...tokenRequests(sim),
      `POST /v1.0/communications/calls/${callId}/participants/invite 200`,
    ]);
  });
});

test("the client GETs the operation at the Location the invite answered, an absolute https URL", async () => {
  const bot = await startCallback();
  const { file, callId, options } = runs[0] as (typeof runs)[number];
  const sim = await startSimulatorCli(options(bot.url));
  const request = example(`${file}.request.json`);
  const result = await runClient<SnippetResult>(sim, "graph-client.mjs", [
    new URL(`${file}.request.json`, examples).pathname,
    callId,
    "--location",
  ]);
  expect(result.rawStatus).toBe(200);
  const operationId = new RegExp(
    `^${sim.url.replaceAll(".", "\\.")}/v1\\.0/communications/calls/${callId}/operations/([0-9a-f-]{36})$`,
  ).exec(result.location ?? "")?.[1];
  expect(operationId).toBeDefined();
  expect(result.operation).toMatchObject({
    "@odata.type": "#microsoft.graph.inviteParticipantsOperation",
    id: operationId,
    clientContext: request["clientContext"],
  });
  // Graph's metadata casing, as the POST answered.
  expect(["Running", "Completed"]).toContain(result.operation?.["status"]);
  expect(await requestLines(sim)).toEqual([
    ...tokenRequests(sim),
    `POST /v1.0/communications/calls/${callId}/participants/invite 200`,
    `POST /v1.0/communications/calls/${callId}/participants/invite 200`,
    `GET /v1.0/communications/calls/${callId}/operations/{id} 200`,
  ]);
});

test("the client's retry handler honours the simulator's 429 and 503 with Retry-After", async () => {
  const bot = await startCallback();
  const { file, callId, options } = runs[0] as (typeof runs)[number];
  const sim = await startSimulatorCli({
    ...options(bot.url),
    scenario: {
      rejectInvites: [
        { status: 429, retryAfter: "1" },
        { status: 503, retryAfter: "2" },
      ],
    },
  });
  const result = await runClient<SnippetResult>(sim, "graph-client.mjs", [
    new URL(`${file}.request.json`, examples).pathname,
    callId,
  ]);
  expect(result.response).toMatchObject({ status: "Running" });

  const invites = (await requestsOf(sim)).filter((entry) => entry.path.endsWith("/participants/invite"));
  expect(invites.map((entry) => entry.status)).toEqual([429, 503, 200]);
  // The client marks its retries and waits as long as each Retry-After said.
  expect(invites.map((entry) => entry.headers["retry-attempt"])).toEqual([undefined, "1", "2"]);
  const at = invites.map((entry) => Date.parse(entry.receivedAt));
  expect((at[1] ?? 0) - (at[0] ?? 0)).toBeGreaterThanOrEqual(1_000);
  expect((at[2] ?? 0) - (at[1] ?? 0)).toBeGreaterThanOrEqual(2_000);
});
