// Where Graph publishes the keys that sign its callback tokens, and who issues them. Microsoft's samples configure
// the same values (see reference/calling-bots.md).
import type { GraphCloud } from "@graph-invite/client";

/** The issuers Graph's callback tokens carry: Graph's own, and Bot Framework's for older registrations. */
export const graphCallbackIssuers = ["https://graph.microsoft.com", "https://api.botframework.com"] as const;

/**
 * The OpenID metadata whose `jwks_uri` names the keys of Graph's callback tokens, per cloud.
 *
 * The US Government clouds point at the global metadata too: Graph signs their callbacks with keys that only the
 * global document lists, and Bot Framework's government metadata lacks them (microsoft-graph-comms-samples#865).
 * Give `openIdConfigurationUrl` where a tenant's tokens prove otherwise.
 */
export const callbackOpenIdConfigurationUrls: Readonly<Record<GraphCloud, string>> = {
  global: "https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration",
  usGovL4: "https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration",
  usGovL5Dod: "https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration",
};

/** The only signature algorithm Graph uses for callback tokens. */
export const graphCallbackAlgorithms = ["RS256"] as const;
