import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createInviteClient, inviteBody, userParticipant } from "@graph-invite/client";
import { type Simulator, start } from "@graph-invite/simulator";
import { afterAll, beforeAll, expect, test } from "vitest";

// Stands in for your bot's notification endpoint. Like a real bot, it answers 202 first and processes after (here,
// it records the body); `processed` settles once it has processed everything it has answered.
const received: unknown[] = [];
let processed = Promise.resolve();
const bot = createServer((request, response) => {
  let body = "";
  request.on("data", (chunk) => {
    body += chunk;
  });
  request.on("end", () => {
    response.writeHead(202).end();
    processed = processed.then(() => {
      received.push(JSON.parse(body));
    });
  });
});

const ann = "7e1b4346-85a6-4bdd-abe3-d11c5d420efe";
let sim: Simulator;

beforeAll(async () => {
  await new Promise<void>((resolve) => bot.listen(0, "127.0.0.1", resolve));
  // Ann declines every invite, with the result code the bot must report.
  sim = await start({ scenario: { answers: { [ann]: { kind: "decline", code: 603, subcode: 5400 } } } });
});

afterAll(async () => {
  await sim.close();
  bot.close();
});

test("the bot hears that Ann declined", async () => {
  const { port } = bot.address() as AddressInfo;
  const call = sim.createCall({ kind: "group", callbackUri: `http://127.0.0.1:${port}/api/calls` });

  // Your bot's code goes here; it talks to sim.graphUrl with tokens from sim.tokenUrl().
  const client = createInviteClient({ credential: sim.credential(), baseUrl: sim.graphUrl });
  const invited = await client.invite(call.id, inviteBody(userParticipant(ann)));
  expect(invited.ok).toBe(true);

  await sim.settled(); // every notification answered by the bot (or given up): the bot may still be processing
  await processed; // so also wait for the bot's own signal that it has processed what it answered
  expect(sim.deliveries()).toMatchObject([{ kind: "operation", outcome: "delivered" }]);
  expect(received).toMatchObject([
    {
      value: [{ changeType: "deleted", resourceData: { status: "failed", resultInfo: { code: 603, subcode: 5400 } } }],
    },
  ]);
});
