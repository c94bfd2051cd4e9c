// A calling-bot service: Hono serves the bot's notification endpoint, the simulator stands in for Microsoft Graph, and
// the bot invites Adele into a group call and follows the invite to its end. It prints what happened as JSON.
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { createBot } from "@graph-invite/bot-kit";
import { createInviteClient, inviteBody, userParticipant } from "@graph-invite/client";
import { start } from "@graph-invite/simulator";
import { serve } from "@hono/node-server";
import { Hono } from "hono";

async function main() {
  const graph = await start();
  const bot = createBot({
    client: createInviteClient({ baseUrl: graph.graphUrl, credential: graph.credential() }),
    auth: { appId: graph.app.appId, openIdConfigurationUrl: graph.openIdConfigurationUrl },
  });
  const tenants = new Set<string>();
  bot.on("delivery", (delivery) => tenants.add(delivery.tenantId));
  const app = new Hono().post("/api/calls", (c) => bot.fetch(c.req.raw));
  const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 });
  await once(server, "listening");
  const callbackUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/calls`;
  const unsigned = await fetch(callbackUri, { method: "POST", headers: { "Content-Type": "application/json" } });

  const call = graph.createCall({ kind: "group", callbackUri });
  const adele = userParticipant("278405a3-f568-4b3e-b684-009193463064", { displayName: "Adele Vance" });
  const outcome = await bot.inviteAndWait(call.id, inviteBody(adele), { callKind: "group" });
  await graph.settled();
  await bot.idle();
  const roster = (await bot.roster(call.id)).participants.map(({ participant }) => participant.info.identity?.user?.id);
  const report = { status: outcome.status, roster, tenants: [...tenants], unsigned: unsigned.status };
  process.stdout.write(`${JSON.stringify({ ...report, node: process.version })}\n`);
  server.close();
  await graph.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
