/**
 * A small typed client for the Microsoft Graph `participant: invite` action: credentials, national clouds, retries
 * that respect `Retry-After` and never repeat an invite Graph may have acted on, typed Graph errors, and builders for
 * request bodies. Built on openapi-fetch and `@graph-invite/types`; it needs only the web platform's `fetch`.
 *
 * @packageDocumentation
 */
export {
  applicationInstanceParticipant,
  applicationParticipant,
  guestParticipant,
  type IdentityDetails,
  inviteBody,
  movingParticipant,
  phoneParticipant,
  replacingCall,
  userParticipant,
} from "./builders.js";
export {
  createInviteClient,
  type InviteClient,
  type InviteClientOptions,
  type InviteFailure,
  type InviteOptions,
  type InviteResult,
  type InviteSuccess,
} from "./client.js";
export {
  type ClientSecretCredential,
  type ClientSecretCredentialOptions,
  clientSecretCredential,
  TokenEndpointError,
  type TokenEndpointFailure,
} from "./client-secret.js";
export { type CloudEndpoints, clouds, type GraphCloud } from "./clouds.js";
export type {
  AccessToken,
  Credential,
  GetTokenOptions,
  TokenCredential,
  TokenFunction,
  TokenRequest,
} from "./credentials.js";
export {
  type AbortError,
  type CredentialError,
  type FailureBase,
  type GraphError,
  type InviteError,
  type NetworkError,
  RequestFailure,
  type TimeoutError,
  type TransportFailureKind,
  type ValidationError,
  type ValidationIssue,
} from "./errors.js";
export type { RetryOptions } from "./retry.js";
