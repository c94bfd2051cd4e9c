// A bot served by node:http on its own, for a service that has no server of its own yet.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createBot } from "../bot.js";
import { receiverOf } from "../bot-receiver.js";
import type { Bot, BotOptions } from "../bot-types.js";
import { logProblems } from "../check.js";
import { stderrLogger } from "../logger.js";
import { loadOpenTelemetry } from "../telemetry.js";
import { nodeHandler } from "./handler.js";
import { type ServerTimeoutOptions, serverTimeouts } from "./timeouts.js";

/** Where {@link startBot} listens, and its server's timeouts. */
export interface ListenOptions extends ServerTimeoutOptions {
  /** Default 0: any free port. */
  readonly port?: number;
  /** Default `127.0.0.1`. Graph reaches a bot over HTTPS: put a TLS proxy or tunnel in front of a public bot. */
  readonly host?: string;
}

/** A bot served by its own node:http server: where Graph reaches it, and a close that stops both. */
export interface StartedBot extends Bot {
  /** The server's origin, such as `http://127.0.0.1:3978`. */
  readonly url: string;
  /** The URL to give Graph as a call's callback: the origin and the notification path. */
  readonly callbackUrl: string;
  /** Closes the bot ({@link Bot.close}: what was acknowledged is processed), then the server. */
  close(): Promise<void>;
}

/** Creates a bot and serves its notification endpoint. */
export async function startBot(options: BotOptions & ListenOptions): Promise<StartedBot> {
  // The bot's self-check waits for the server, so that it can try the callback route too. With OpenTelemetry's API
  // loaded first, nothing the bot does is too early to be counted.
  const openTelemetry =
    options.openTelemetry === undefined ? ((await loadOpenTelemetry()) ?? false) : options.openTelemetry;
  const bot = createBot({ ...options, selfCheck: false, openTelemetry });
  const server: Server = createServer(serverTimeouts(options), nodeHandler(bot));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    // The bot follows its store from the start; a bot that never served must not keep the process alive.
    bot.stopWaiting();
    throw error;
  }
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  const callbackUrl = `${url}${receiverOf(bot).path}`;
  let closed = false;
  if (options.selfCheck !== false) {
    // Rejects only when the bot stopped first. The server listens already: a callback URL that refuses connections
    // is reported at once rather than tried again.
    bot.check({ callbackUrl: options.callbackUrl ?? callbackUrl, waitForListenerMs: 0 }).then(
      (report) => {
        if (!closed) logProblems(options.logger ?? stderrLogger, report);
      },
      () => {},
    );
  }
  return {
    ...bot,
    url,
    callbackUrl,
    async close() {
      closed = true;
      // The bot first, so that deliveries being answered finish and new ones get 503; then the server.
      await bot.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
