// The receiver for node:http, and for Express and Connect, which hand middleware Node's own request and response, and
// for Fastify, through an onRequest hook that runs before Fastify reads the body. The request is read as Node gives
// it, without building a Web Request: that would cost more than the rest of the work on a small notification.
import type { IncomingMessage, ServerResponse } from "node:http";
import { receiverOf } from "../bot-receiver.js";
import type { Bot } from "../bot-types.js";
import { type Receive, type ReceiverAnswer, type RefusedDelivery, refusalAnswer } from "../receiver.js";

/** Node's request listener, or Express/Connect middleware: with `next`, a request for another path is passed on. */
export type NodeHandler = (
  request: IncomingMessage,
  response: ServerResponse,
  next?: (error?: unknown) => void,
) => void;

/** Options of {@link nodeHandler} and {@link fastifyHook}. */
export interface NodeHandlerOptions {
  /** The notification path. Default: the bot's `path` option, `/api/calls` unless set. */
  readonly path?: string;
}

/**
 * The bot's notification endpoint for node:http (`createServer(nodeHandler(bot))`), or as Express or Connect
 * middleware, which passes requests for other paths on. Mount it at the app's root (`app.use(nodeHandler(bot))`) or
 * at the notification path (`app.use("/api/calls", nodeHandler(bot))`): it compares the path as sent
 * (`originalUrl`), not the part below the mount point. Mount it before any body parser: it reads the body itself,
 * after authentication; a body read before it is refused with 500 `bodyAlreadyRead` and logged as an error.
 */
export function nodeHandler(bot: Bot, options: NodeHandlerOptions = {}): NodeHandler {
  const endpoint = nodeEndpoint(bot, options);
  return (request, response, next) => {
    if (endpoint.serves(request)) return endpoint.handle(request, response);
    if (next !== undefined) return next();
    endpoint.notFound(response);
  };
}

/** The notification endpoint's parts: whether a request is for it, and how it is answered. */
export interface NodeEndpoint {
  /** Whether the request is for the notification path. */
  serves(request: IncomingMessage): boolean;
  handle(request: IncomingMessage, response: ServerResponse): void;
  /** Answers 404, naming the notification path. */
  notFound(response: ServerResponse): void;
}

export function nodeEndpoint(bot: Bot, options: NodeHandlerOptions = {}): NodeEndpoint {
  const { receive, path, refused, failed } = receiverOf(bot);
  return createNodeEndpoint(receive, { path: options.path ?? path, onRefused: refused, onError: failed });
}

interface AdapterOptions {
  readonly path: string;
  readonly onRefused: (refusal: RefusedDelivery) => void;
  readonly onError: (error: unknown) => void;
}

function createNodeEndpoint(receive: Receive, options: AdapterOptions): NodeEndpoint {
  const write = (response: ServerResponse, answer: ReceiverAnswer) => {
    if (response.headersSent) return void response.end();
    const headers: Record<string, string | number> = {
      ...answer.headers,
      "Content-Length": Buffer.byteLength(answer.body),
    };
    if (answer.close) headers["Connection"] = "close";
    response.writeHead(answer.status, headers).end(answer.body);
  };

  return {
    serves(request) {
      // The path as sent, without parsing the whole target: Node accepts targets such as `//host:99999/` that URL
      // refuses. Express gives a mounted middleware the path below its mount point in `url`, and the whole one in
      // `originalUrl`.
      const target = (request as { originalUrl?: unknown }).originalUrl;
      const [pathname] = (typeof target === "string" ? target : (request.url ?? "/")).split("?", 1);
      return pathname === options.path;
    },
    notFound(response) {
      const refusal: RefusedDelivery = {
        status: 404,
        reason: "notFound",
        message: `Notifications go to ${options.path}.`,
      };
      options.onRefused(refusal);
      write(response, refusalAnswer(refusal));
    },
    handle(request, response) {
      receive({
        method: request.method ?? "GET",
        header: (name) => {
          const value = request.headers[name];
          return Array.isArray(value) ? value[0] : value;
        },
        // A body parser in front (express.json(), say) has read the stream and left its result on `body`.
        bodyAlreadyRead: request.readableEnded || (request as { body?: unknown }).body !== undefined,
        readBody: (limit) => readBounded(request, limit),
      }).then(
        (answer) => write(response, answer),
        (error: unknown) => {
          // A sender that hangs up before the answer is not the bot's failure, and there is nobody left to answer.
          // Node then destroys the request with ECONNRESET, even one whose body has arrived but was not read to its
          // end.
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
    },
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
