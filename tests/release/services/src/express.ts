// A calling-bot service on Express 5: Graph's callbacks at /api/calls, and a route that invites a user into a call
// and answers with how the invite ended.
import { createBot } from "@graph-invite/bot-kit";
import { hardenServer, nodeHandler } from "@graph-invite/bot-kit/node";
import { createInviteClient, inviteBody, userParticipant } from "@graph-invite/client";
import express from "express";

const bot = createBot({
  client: createInviteClient({
    baseUrl: process.env["GRAPH_URL"] ?? "",
    credential: async () => process.env["GRAPH_TOKEN"] ?? "",
  }),
  auth: { appId: process.env["BOT_APP_ID"] ?? "", openIdConfigurationUrl: process.env["OPENID_URL"] ?? "" },
});

const app = express();
app.use(nodeHandler(bot)); // glue
app.use(express.json());
app.post("/calls/:callId/invite/:userId", async (request, response) => {
  const body = inviteBody(userParticipant(request.params.userId));
  const outcome = await bot.inviteAndWait(request.params.callId, body, { callKind: "group" });
  response.json({ status: outcome.status, refused: outcome.refusedWhileWaiting ?? [] });
});
const server = hardenServer(app.listen(Number(process.env["PORT"]), "127.0.0.1")); // glue
process.once("SIGTERM", () => server.close(() => void bot.close())); // glue
