/**
 * Authentication of Graph's callback requests, usable without the rest of the kit: verify the bearer JWT Graph sends
 * with each notification (RS256, Graph's issuers, the bot's app id as audience, a tenant, a valid lifetime).
 *
 * @packageDocumentation
 */

/** The clouds `cloud` names, as `@graph-invite/client` defines them: one union for the client and the kit. */
export type { GraphCloud } from "@graph-invite/client";
export {
  type AuthFailureReason,
  type AuthResult,
  type CallbackAuthenticator,
  type CallbackAuthOptions,
  createCallbackAuthenticator,
} from "./authenticator.js";
export {
  callbackOpenIdConfigurationUrls,
  graphCallbackAlgorithms,
  graphCallbackIssuers,
} from "./constants.js";
