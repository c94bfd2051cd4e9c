// The bot's notification endpoint as a worker module (Cloudflare Workers, Deno Deploy, an edge function): the kit's
// Web-standard handler, and nothing of Node's. The runtime hands each request the worker's settings and a waitUntil
// that keeps the worker alive while the bot processes what it has acknowledged.
import { createBot } from "@graph-invite/bot-kit";
import { createInviteClient } from "@graph-invite/client";

export interface Env {
  readonly APP_ID: string;
  readonly GRAPH_URL: string;
  readonly GRAPH_TOKEN: string;
  /** Where the keys that sign Graph's callbacks are published: Graph's own unless given (the simulator gives its). */
  readonly OPENID_CONFIGURATION_URL?: string;
}

export interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}

let bot: ReturnType<typeof createBot> | undefined;

export default {
  async fetch(request: Request, env: Env, context: ExecutionContext): Promise<Response> {
    bot ??= createBot({
      client: createInviteClient({ baseUrl: env.GRAPH_URL, credential: async () => env.GRAPH_TOKEN }),
      auth: {
        appId: env.APP_ID,
        ...(env.OPENID_CONFIGURATION_URL !== undefined && { openIdConfigurationUrl: env.OPENID_CONFIGURATION_URL }),
      },
    });
    const answer = await bot.fetch(request);
    context.waitUntil(bot.idle());
    return answer;
  },
};
