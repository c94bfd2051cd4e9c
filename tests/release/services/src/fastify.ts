// A calling-bot service on Fastify 5: Graph's callbacks at /api/calls, answered before Fastify reads the body, and a
// route that invites a user into a call and answers with how the invite ended.
import { createBot } from "@graph-invite/bot-kit";
import { fastifyHook, hardenServer } from "@graph-invite/bot-kit/node";
import { createInviteClient, inviteBody, userParticipant } from "@graph-invite/client";
import fastify from "fastify";

const bot = createBot({
  client: createInviteClient({
    baseUrl: process.env["GRAPH_URL"] ?? "",
    credential: async () => process.env["GRAPH_TOKEN"] ?? "",
  }),
  auth: { appId: process.env["BOT_APP_ID"] ?? "", openIdConfigurationUrl: process.env["OPENID_URL"] ?? "" },
});

const app = fastify();
app.addHook("onRequest", fastifyHook(bot)); // glue
app.post<{ Params: { callId: string; userId: string } }>("/calls/:callId/invite/:userId", async (request) => {
  const body = inviteBody(userParticipant(request.params.userId));
  const outcome = await bot.inviteAndWait(request.params.callId, body, { callKind: "group" });
  return { status: outcome.status, refused: outcome.refusedWhileWaiting ?? [] };
});
hardenServer(app.server); // glue
await app.listen({ port: Number(process.env["PORT"]), host: "127.0.0.1" });
process.once("SIGTERM", () => void app.close().then(() => bot.close())); // glue
