/**
 * The calling bot's side of Microsoft Graph `participant: invite`: callback authentication, a Web-standard
 * notification receiver, an invite tracker that knows how each invite ended, and rosters kept from Graph's
 * participants notifications. Nothing here needs Node: `@graph-invite/bot-kit/node` adds node:http, Express and Fastify.
 *
 * @packageDocumentation
 */
// The types of the other packages that the kit's own signatures name, so that a caller needs no other import to write
// them down.
export type { InviteClient, InviteError } from "@graph-invite/client";
export type { InviteParticipantsRequest } from "@graph-invite/types";
export type {
  CallKind,
  ClassifiedNotification,
  Issue,
  OperationNotification,
  RejectedNotification,
  RosterNotification,
} from "@graph-invite/validator";
export {
  type AuthFailureReason,
  type AuthResult,
  type CallbackAuthenticator,
  type CallbackAuthOptions,
  callbackOpenIdConfigurationUrls,
  createCallbackAuthenticator,
  type GraphCloud,
  graphCallbackAlgorithms,
  graphCallbackIssuers,
} from "./auth/index.js";
export { createBot, defaultRecheckIntervalMs } from "./bot.js";
export {
  type BotStore,
  type InviteStatus,
  maxHistory,
  type OperationEvent,
  type OperationRecord,
  type StoreChange,
  type UnmatchedNotification,
} from "./bot-store.js";
export type { Bot, BotEvents, BotOptions, Roster } from "./bot-types.js";
export type { CallStateEvent, RosterEvent, RosterMember, RosterState } from "./call-state.js";
export type { CheckOptions, CheckProblem, CheckReport } from "./check.js";
export type { Participant, ResultInfo } from "./graph-types.js";
export { identitiesOf, type ParticipantIdentity } from "./identities.js";
export { describeResult } from "./invite-transitions.js";
export {
  ClientContextInUse,
  defaultInviteTimeoutMs,
  type InviteAndWaitOptions,
  type InviteOutcome,
  maxInviteTimeoutMs,
  type OperationChange,
  type StartedInvite,
  UnknownInvite,
} from "./invite-types.js";
export { type Logger, stderrLogger } from "./logger.js";
export { MemoryStore, type MemoryStoreOptions } from "./memory-store.js";
export type {
  OtelAttributes,
  OtelCounter,
  OtelHistogram,
  OtelInstrumentOptions,
  OtelMeter,
  OtelSpan,
  OtelSpanContext,
  OtelTracer,
} from "./otel-api.js";
export {
  type AcceptedDelivery,
  type DuplicateDelivery,
  defaultMaxBodyBytes,
  type IncomingDelivery,
  type InvalidDelivery,
  type Receive,
  type ReceiverAnswer,
  type RefusedDelivery,
} from "./receiver.js";
export type { RefusalSummary } from "./refusals.js";
export {
  defaultRetention,
  type Retention,
  type RetentionOverrides,
  type RosterRetention,
  type StoreRetention,
  type UnmatchedRetention,
} from "./retention.js";
export { maxDepartures, maxMembers, type RosterChange } from "./roster.js";
export { instrumentationScope, type OpenTelemetryApi } from "./telemetry.js";
export type { FetchHandler } from "./web.js";
