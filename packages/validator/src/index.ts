/**
 * Validators for the Microsoft Graph `participant: invite` action and the `commsNotifications` a calling bot
 * receives, compiled ahead of time from graph-invite's OpenAPI spec (no code is generated or evaluated at run time),
 * with the reference page's rules and a tolerant parser for what Graph really sends.
 *
 * @packageDocumentation
 */
import type { OperationStatus as WireOperationStatus } from "@graph-invite/types";

export type {
  CallNotification,
  ClassifiedNotification,
  ClassifiedNotificationBase,
  OperationNotification,
  OtherNotification,
  RosterNotification,
} from "./classify.js";
export type { CompiledValidator, SchemaError } from "./compiled-validator.js";
export { rules } from "./generated/rules.js";
export { type IdentitySetMember, identitySetMembers } from "./identity-set.js";
export type { CallKind, InviteContext, RuleCode } from "./invite-rules.js";
export { validateInviteRequest } from "./invite-rules.js";
export type { Invalid, Issue, Result, Valid } from "./issues.js";
export type { JsonParse, JsonPosition, JsonSyntaxIssue } from "./json.js";
export { parseJson } from "./json.js";
export { type CanonicalOperationStatus, canonicalStatus, operationStatuses } from "./normalise.js";
export type { NotificationsResult, ParseOptions, RejectedNotification } from "./notifications.js";
export { parseGraphError, parseInviteResponse, parseNotifications } from "./notifications.js";
export type { PayloadInput } from "./payload.js";
export type { RuleDefinition } from "./rule-definition.js";
export type { Mode, SchemaName, Schemas } from "./validators.js";
export {
  isCommsNotifications,
  isGraphError,
  isInviteRequest,
  isInviteResponse,
  isSchema,
  validateSchema,
  validatorFor,
} from "./validators.js";

/**
 * Every spelling of an operation's status that Graph sends, as `@graph-invite/types` names it.
 *
 * @deprecated Import `OperationStatus` from `@graph-invite/types`. This package used the name for the four canonical
 * spellings, which are now {@link CanonicalOperationStatus}: one name has one meaning across the packages.
 */
export type OperationStatus = WireOperationStatus;
