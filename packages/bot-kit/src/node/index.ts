/**
 * The bot on Node: its notification endpoint as a node:http request listener, Express/Connect middleware or a Fastify
 * hook, and a bot that serves itself.
 *
 * @packageDocumentation
 */
export {
  type FastifyOnRequestHook,
  type FastifyReplyLike,
  type FastifyRequestLike,
  fastifyHook,
} from "./fastify.js";
export { type NodeHandler, type NodeHandlerOptions, nodeHandler } from "./handler.js";
export { type ListenOptions, type StartedBot, startBot } from "./server.js";
export {
  hardenServer,
  type ServerTimeoutOptions,
  type ServerTimeouts,
  serverTimeouts,
} from "./timeouts.js";
