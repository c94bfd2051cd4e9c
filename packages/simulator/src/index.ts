/**
 * A local Microsoft Graph for the `participant: invite` flow: client-credentials tokens, the invite action checked
 * as Graph checks it, and signed `commsNotifications` delivered to the call's callback, with scenario controls for
 * the outcomes and failures that are hard to provoke against the real service.
 *
 * @packageDocumentation
 */
export { ConfigError, parseConfig } from "./config.js";
export type { Delivery, DeliveryAttempt, TokenFlaw } from "./delivery.js";
export { graphResource, invitePermission } from "./identity-platform.js";
export type {
  KeyRollover,
  TokenClaimChanges,
  TokenClaims,
  TokenHeaderChanges,
  TokenSigning,
  TokenTiming,
} from "./keys.js";
export {
  type Answer,
  type AppRegistration,
  type CallKind,
  type CallSeed,
  type DeliveryControls,
  type Deviation,
  type DirectoryUser,
  deviations,
  type FailureInfo,
  type NotificationKind,
  type RejectedInvite,
  type Scenario,
  type SeedParticipant,
  type SimulatorOptions,
} from "./options.js";
export {
  type ReceivedRequest,
  type SimulatedCall,
  type SimulatedOperation,
  type Simulator,
  start,
} from "./simulator.js";
