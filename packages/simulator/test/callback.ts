// A bot's callback endpoint on loopback: records every notification the simulator POSTs, and answers as told.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedNotification {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** `performance.now()` when the body had arrived. */
  readonly at: number;
}

/** The status (and any headers) to answer the n-th request (0-based) with. */
export type Answerer = (index: number) => number | { status: number; headers: Record<string, string> };

export interface Callback {
  readonly url: string;
  readonly port: number;
  readonly received: ReceivedNotification[];
  /** Parsed bodies, in arrival order. */
  bodies(): Array<{ value: Array<Record<string, unknown>> }>;
  /** Stops listening; `listen()` starts again on the same port. */
  stop(): Promise<void>;
  listen(): Promise<void>;
}

export async function startCallback(answer: Answerer = () => 202, port = 0): Promise<Callback> {
  const received: ReceivedNotification[] = [];
  let server: Server | undefined;
  let boundPort = port;
  const listen = async () => {
    const current = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const index = received.push({
          headers: request.headers,
          body: Buffer.concat(chunks).toString("utf8"),
          at: performance.now(),
        });
        const reply = answer(index - 1);
        if (typeof reply === "number") response.writeHead(reply).end();
        else response.writeHead(reply.status, reply.headers).end();
      });
    });
    await new Promise<void>((resolve) => current.listen(boundPort, "127.0.0.1", resolve));
    boundPort = (current.address() as AddressInfo).port;
    server = current;
  };
  const stop = async () => {
    const current = server;
    server = undefined;
    if (current === undefined) return;
    current.closeAllConnections();
    await new Promise<void>((resolve) => current.close(() => resolve()));
  };
  await listen();
  return {
    url: `http://127.0.0.1:${boundPort}/api/calls`,
    port: boundPort,
    received,
    bodies: () => received.map((notification) => JSON.parse(notification.body)),
    stop,
    listen,
  };
}
