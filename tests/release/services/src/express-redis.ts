// A calling-bot service on Express 5 for several instances behind a proxy: every instance shares one Redis, so a
// notification may reach any of them and an invite's outcome still reaches whoever waits for it.
import { createBot } from "@graph-invite/bot-kit";
import { hardenServer, nodeHandler } from "@graph-invite/bot-kit/node";
import { RedisStore } from "@graph-invite/bot-kit/redis";
import { createInviteClient, inviteBody, userParticipant } from "@graph-invite/client";
import express from "express";
import { createClient } from "redis";

const redis = await createClient({ url: process.env["REDIS_URL"] ?? "" }).connect(); // glue
const bot = createBot({
  client: createInviteClient({
    baseUrl: process.env["GRAPH_URL"] ?? "",
    credential: async () => process.env["GRAPH_TOKEN"] ?? "",
  }),
  auth: { appId: process.env["BOT_APP_ID"] ?? "", openIdConfigurationUrl: process.env["OPENID_URL"] ?? "" },
  store: new RedisStore({ client: redis, prefix: "my-bot:" }), // glue
});

const app = express();
app.use(nodeHandler(bot)); // glue
app.use(express.json());
app.post("/calls/:callId/invite/:userId", async (request, response) => {
  const body = inviteBody(userParticipant(request.params.userId));
  const outcome = await bot.inviteAndWait(request.params.callId, body, { callKind: "group" });
  response.json({ status: outcome.status });
});
const server = hardenServer(app.listen(Number(process.env["PORT"]), "127.0.0.1")); // glue
process.once("SIGTERM", () => server.close(() => void bot.close().then(() => redis.quit()))); // glue
