/**
 * The bot on Node: its notification endpoint as a node:http request listener, Express/Connect middleware or a Fastify
 * hook, and a bot that serves itself.
 *
 * @packageDocumentation
 */

// The main entry's types that this entry's signatures name (the bot the adapters serve, and what makes one), so that
// its API is whole on its own: api-extractor reads each entry point apart, and a user needs no other import to write
// them down.
export type {
  AcceptedDelivery,
  AuthFailureReason,
  AuthResult,
  Bot,
  BotEvents,
  BotOptions,
  BotStore,
  CallbackAuthenticator,
  CallbackAuthOptions,
  CallStateEvent,
  CheckOptions,
  CheckProblem,
  CheckReport,
  DuplicateDelivery,
  FetchHandler,
  GraphCloud,
  InviteAndWaitOptions,
  InviteOutcome,
  InviteStatus,
  Logger,
  OpenTelemetryApi,
  OperationChange,
  OperationEvent,
  OperationRecord,
  OtelAttributes,
  OtelCounter,
  OtelHistogram,
  OtelInstrumentOptions,
  OtelMeter,
  OtelSpan,
  OtelSpanContext,
  OtelTracer,
  RefusalSummary,
  RefusedDelivery,
  Retention,
  Roster,
  RosterEvent,
  RosterMember,
  RosterRetention,
  RosterState,
  StartedInvite,
  StoreChange,
  StoreRetention,
  UnmatchedNotification,
  UnmatchedRetention,
} from "../index.js";
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
