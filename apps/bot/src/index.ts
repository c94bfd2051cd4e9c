/**
 * A sample Microsoft Teams calling bot built on graph-invite: an authenticated notification endpoint, an invite
 * tracker that knows how each invite ended, and rosters kept from Graph's participants notifications.
 *
 * @packageDocumentation
 */
export {
  type AuthFailureReason,
  type AuthResult,
  createNotificationAuthenticator,
  graphNotificationIssuers,
  type NotificationAuthenticator,
  type NotificationAuthOptions,
} from "./auth.js";
export {
  type Bot,
  type BotEvents,
  type BotOptions,
  type CallStateEvent,
  createBot,
  type ListenOptions,
  type Roster,
  type StartedBot,
  startBot,
} from "./bot.js";
export {
  type AcceptedDelivery,
  createNotificationHandler,
  defaultMaxBodyBytes,
  type EndpointOptions,
  type InvalidDelivery,
  type RefusedDelivery,
  type RequestHandler,
} from "./endpoint.js";
export {
  applyRosterNotification,
  emptyRoster,
  endRoster,
  participantKey,
  type RosterChange,
  type RosterEvent,
} from "./roster.js";
export {
  type BotStore,
  type InviteStatus,
  MemoryStore,
  type MemoryStoreOptions,
  type OperationEvent,
  type OperationRecord,
  type RosterMember,
  type RosterState,
  type UnmatchedNotification,
} from "./store.js";
export { type ClientSecretOptions, clientSecretTokens } from "./token.js";
export {
  ClientContextInUse,
  defaultInviteTimeoutMs,
  describeResult,
  type InviteAndWaitOptions,
  type InviteOutcome,
  maxInviteTimeoutMs,
  type OperationChange,
} from "./tracker.js";
