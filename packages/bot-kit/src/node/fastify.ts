// Fastify reads and parses a request's body before its route handlers run, and before its preHandler hooks: too late
// for a receiver that authenticates before it reads. Its onRequest hooks run before the body is touched, so the bot
// answers there, on Node's own request and response, and tells Fastify it has taken the reply over.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Bot } from "../bot-types.js";
import { type NodeHandlerOptions, nodeEndpoint } from "./handler.js";

/** What the hook needs of Fastify's request: Node's own. */
export interface FastifyRequestLike {
  /** Node's request under Fastify's (`request.raw`): the hook reads the path, headers and body from it. */
  readonly raw: IncomingMessage;
}

/** What the hook needs of Fastify's reply: Node's own response, and `hijack()` to take the reply over. */
export interface FastifyReplyLike {
  /** Node's response under Fastify's (`reply.raw`): the hook writes the bot's answer to it. */
  readonly raw: ServerResponse;
  /** Tells Fastify the hook has taken the reply over, so that Fastify sends nothing of its own. */
  hijack(): unknown;
}

/** A Fastify `onRequest` hook, in its callback form. */
export type FastifyOnRequestHook = (
  request: FastifyRequestLike,
  reply: FastifyReplyLike,
  done: (error?: Error) => void,
) => void;

/**
 * The bot's notification endpoint for Fastify 5, as an `onRequest` hook: `app.addHook("onRequest", fastifyHook(bot))`.
 * Notifications (the bot's `path`, whatever prefix a plugin was registered under) are answered there, before Fastify
 * reads the body, so authentication still comes first; every other request goes on to your routes. No route and no
 * content-type parser are needed for the notification path.
 */
export function fastifyHook(bot: Bot, options: NodeHandlerOptions = {}): FastifyOnRequestHook {
  const endpoint = nodeEndpoint(bot, options);
  return (request, reply, done) => {
    if (!endpoint.serves(request.raw)) return done();
    reply.hijack();
    endpoint.handle(request.raw, reply.raw);
  };
}
