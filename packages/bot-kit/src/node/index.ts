/**
 * The bot on Node: its notification endpoint as a node:http request listener or Express/Connect middleware, and a
 * bot that serves itself.
 *
 * @packageDocumentation
 */
export { type NodeHandler, type NodeHandlerOptions, nodeHandler } from "./handler.js";
export { type ListenOptions, type StartedBot, startBot } from "./server.js";
