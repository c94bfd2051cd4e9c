// A calling-bot service on Hono for a fetch runtime (Cloudflare Workers, Deno Deploy, an edge function): Graph's
// callbacks at /api/calls, and a route that starts an invite. The runtime keeps the worker alive while the bot
// processes what it acknowledged.
import { createBot } from "@graph-invite/bot-kit";
import { createInviteClient, inviteBody, userParticipant } from "@graph-invite/client";
import { Hono } from "hono";

interface Env {
  readonly BOT_APP_ID: string;
  readonly GRAPH_URL: string;
  readonly GRAPH_TOKEN: string;
  readonly OPENID_URL: string;
}

let bot: ReturnType<typeof createBot> | undefined;
const botOf = (env: Env) =>
  (bot ??= createBot({
    client: createInviteClient({ baseUrl: env.GRAPH_URL, credential: async () => env.GRAPH_TOKEN }),
    auth: { appId: env.BOT_APP_ID, openIdConfigurationUrl: env.OPENID_URL },
  }));

const app = new Hono<{ Bindings: Env }>();
app.post("/api/calls", async (context) => {
  const answer = await botOf(context.env).fetch(context.req.raw); // glue
  context.executionCtx.waitUntil(botOf(context.env).idle()); // glue
  return answer; // glue
});
app.post("/calls/:callId/invite/:userId", async (context) => {
  const body = inviteBody(userParticipant(context.req.param("userId")));
  const outcome = await botOf(context.env).inviteAndWait(context.req.param("callId"), body, { callKind: "group" });
  return context.json({ status: outcome.status });
});
export default app;
