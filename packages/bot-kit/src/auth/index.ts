/**
 * Authentication of Graph's callback requests, usable without the rest of the kit: verify the bearer JWT Graph sends
 * with each notification (RS256, Graph's issuers, the bot's app id as audience, a tenant, a valid lifetime).
 *
 * @packageDocumentation
 */
export {
  type AuthFailureReason,
  type AuthResult,
  type CallbackAuthenticator,
  type CallbackAuthOptions,
  createCallbackAuthenticator,
} from "./authenticator.js";
export {
  type CallbackCloud,
  callbackOpenIdConfigurationUrls,
  graphCallbackAlgorithms,
  graphCallbackIssuers,
} from "./constants.js";
