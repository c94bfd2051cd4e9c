// The receiver for node:http, and for Express and Connect, which hand middleware Node's own request and response.
// The request is read as Node gives it, without building a Web Request: that would cost more than the rest of the
// work on a small notification.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Bot } from "../bot.js";
import { type Receive, type ReceiverAnswer, type RefusedDelivery, refusalAnswer } from "../receiver.js";

/** Node's request listener, or Express/Connect middleware: with `next`, a request for another path is passed on. */
export type NodeHandler = (
  request: IncomingMessage,
  response: ServerResponse,
  next?: (error?: unknown) => void,
) => void;

export interface NodeHandlerOptions {
  /** The notification path. Default: the bot's `path` option, `/api/calls` unless set. */
  readonly path?: string;
}

/**
 * The bot's notification endpoint for node:http (`createServer(nodeHandler(bot))`), or as Express or Connect
 * middleware (`app.use(nodeHandler(bot))`), which passes requests for other paths on. Mount it before any body
 * parser: it reads the body itself, after authentication.
 */
export function nodeHandler(bot: Bot, options: NodeHandlerOptions = {}): NodeHandler {
  const { receive, path, refused, failed } = bot.receiver;
  return createNodeHandler(receive, { path: options.path ?? path, onRefused: refused, onError: failed });
}

interface AdapterOptions {
  readonly path: string;
  readonly onRefused: (refusal: RefusedDelivery) => void;
  readonly onError: (error: unknown) => void;
}

function createNodeHandler(receive: Receive, options: AdapterOptions): NodeHandler {
  const write = (response: ServerResponse, answer: ReceiverAnswer) => {
    if (response.headersSent) return void response.end();
    const headers: Record<string, string | number> = {
      ...answer.headers,
      "Content-Length": Buffer.byteLength(answer.body),
    };
    if (answer.close) headers["Connection"] = "close";
    response.writeHead(answer.status, headers).end(answer.body);
  };
  const refuse = (response: ServerResponse, refusal: RefusedDelivery, headers: Record<string, string> = {}) => {
    options.onRefused(refusal);
    write(response, refusalAnswer(refusal, headers));
  };

  return (request, response, next) => {
    // The path as sent, without parsing the whole target: Node accepts targets such as `//host:99999/` that URL
    // refuses. Express gives a mounted middleware the path below its mount point.
    const [pathname] = (request.url ?? "/").split("?", 1);
    if (pathname !== options.path) {
      if (next !== undefined) return next();
      return refuse(response, { status: 404, reason: "notFound", message: `Notifications go to ${options.path}.` });
    }
    if (request.readableEnded || (request as { body?: unknown }).body !== undefined) {
      // A body parser ran first and took the body: the receiver cannot check what it never sees.
      const error = new Error(
        "the notification body was read before the bot's handler: mount it before any body parser (such as express.json())",
      );
      options.onError(error);
      return write(response, { status: 500, headers: {}, body: "", close: true });
    }
    receive({
      method: request.method ?? "GET",
      header: (name) => {
        const value = request.headers[name];
        return Array.isArray(value) ? value[0] : value;
      },
      readBody: (limit) => readBounded(request, limit),
    }).then(
      (answer) => write(response, answer),
      (error: unknown) => {
        // A sender that hangs up before the answer is not the bot's failure, and there is nobody left to answer.
        // Node then destroys the request with ECONNRESET, even one whose body has arrived but was not read to its end.
        if (request.destroyed && (error as { code?: unknown } | null)?.code === "ECONNRESET") {
          options.onRefused({
            status: 499,
            reason: "clientClosedRequest",
            message: "The sender closed the connection before the answer.",
          });
          return;
        }
        options.onError(error);
        write(response, { status: 500, headers: {}, body: "", close: true });
      },
    );
  };
}

/** The body's bytes, or undefined once they pass `limit`; the rest of an oversized body is read and dropped. */
function readBounded(request: IncomingMessage, limit: number): Promise<Uint8Array | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      // Nothing more is kept; the stream flows on into nothing, and the answer closes the connection.
      chunks.length = 0;
      request.off("data", onData).off("end", onEnd).off("error", onError);
      request.resume();
      resolve(undefined);
    };
    const onEnd = () => {
      request.off("error", onError).off("close", onClose);
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      request.off("data", onData).off("end", onEnd).off("close", onClose);
      reject(error);
    };
    // A sender that hangs up mid-body: Node closes the request, with or without an error first.
    const onClose = () => onError(Object.assign(new Error("the sender closed the connection"), { code: "ECONNRESET" }));
    request.on("data", onData).once("end", onEnd).once("error", onError).once("close", onClose);
  });
}
