// A bot served by node:http on its own, for a service that has no server of its own yet.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type Bot, type BotOptions, createBot } from "../bot.js";
import { loadOpenTelemetry } from "../telemetry.js";
import { nodeHandler } from "./handler.js";

export interface ListenOptions {
  /** Default 0: any free port. */
  readonly port?: number;
  /** Default `127.0.0.1`. Graph reaches a bot over HTTPS: put a TLS proxy or tunnel in front of a public bot. */
  readonly host?: string;
  /** How long a client may take to send its headers. Default 10 s. */
  readonly headersTimeoutMs?: number;
  /** How long a client may take to send the whole request. Default 30 s. */
  readonly requestTimeoutMs?: number;
}

export interface StartedBot extends Bot {
  /** The server's origin, such as `http://127.0.0.1:3978`. */
  readonly url: string;
  /** The URL to give Graph as a call's callback: the origin and the notification path. */
  readonly callbackUrl: string;
  /** Stops the server, waits for what was acknowledged to be processed, and stops waiting on invites. */
  close(): Promise<void>;
}

/** Creates a bot and serves its notification endpoint. */
export async function startBot(options: BotOptions & ListenOptions): Promise<StartedBot> {
  // With the API loaded first, nothing the bot does is too early to be counted.
  const bot = createBot(
    options.openTelemetry === undefined ? { ...options, openTelemetry: (await loadOpenTelemetry()) ?? false } : options,
  );
  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  const server: Server = createServer(
    {
      headersTimeout,
      requestTimeout,
      // Node enforces both timeouts only when it checks its connections, every 30 s by default: a client that
      // trickles its headers would be cut at 30 s instead of 10. Checking at a fraction of the shorter timeout keeps
      // each within about a tenth of what it says.
      connectionsCheckingInterval: Math.max(
        100,
        Math.min(1000, Math.floor(Math.min(headersTimeout, requestTimeout) / 10)),
      ),
    },
    nodeHandler(bot),
  );
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
  return {
    ...bot,
    url,
    callbackUrl: `${url}${bot.receiver.path}`,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await bot.idle();
      bot.stopWaiting();
    },
  };
}
