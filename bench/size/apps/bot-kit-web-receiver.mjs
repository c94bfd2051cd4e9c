// A bot's notification endpoint on a worker or an edge runtime: the kit's bot, with the invite client it needs,
// answering Graph's callbacks through its Web-standard handler.
import { createBot } from "@graph-invite/bot-kit";
import { createInviteClient } from "@graph-invite/client";

const bot = createBot({
  client: createInviteClient({ baseUrl: globalThis.graphUrl, credential: async () => globalThis.graphToken }),
  auth: { appId: globalThis.appId },
});

export default { fetch: bot.fetch };
