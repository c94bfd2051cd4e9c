/** A national cloud in which Graph offers `participant: invite`. */
export type GraphCloud = "global" | "usGovL4" | "usGovL5Dod";

/** Where a cloud's Graph lives, where its tokens come from, and the scope to ask them for. */
export interface CloudEndpoints {
  /** Graph's v1.0 root, without a trailing slash. */
  readonly baseUrl: string;
  /** The Microsoft identity platform host that issues tokens for this cloud (`authorityHost` in `@azure/identity`). */
  readonly authority: string;
  /** The `.default` scope a client-credentials token is requested for. */
  readonly scope: string;
}

/**
 * The clouds of the reference page's national cloud table that offer the action, with the values of the spec's
 * `x-graph-invite-clouds`. China (21Vianet) is absent on purpose: the action is not available there.
 */
export const clouds: Readonly<Record<GraphCloud, CloudEndpoints>> = {
  global: {
    baseUrl: "https://graph.microsoft.com/v1.0",
    authority: "https://login.microsoftonline.com",
    scope: "https://graph.microsoft.com/.default",
  },
  usGovL4: {
    baseUrl: "https://graph.microsoft.us/v1.0",
    authority: "https://login.microsoftonline.us",
    scope: "https://graph.microsoft.us/.default",
  },
  usGovL5Dod: {
    baseUrl: "https://dod-graph.microsoft.us/v1.0",
    authority: "https://login.microsoftonline.us",
    scope: "https://dod-graph.microsoft.us/.default",
  },
};

// The reference page's national cloud table marks the action as not available there.
const chinaNotAvailable = "participant: invite is not available in the China cloud operated by 21Vianet";

/**
 * Picks the base URL and token scope. A custom `baseUrl` (a proxy or a local Graph stand-in) keeps the scope of the
 * named cloud unless `scope` says otherwise.
 *
 * @throws Error when the cloud is China (21Vianet) or unknown: a client that cannot work should not be built.
 */
export function resolveCloud(
  cloud: string = "global",
  baseUrl?: string,
  scope?: string,
): { baseUrl: string; scope: string } {
  if (/china|21vianet/i.test(cloud) || /chinacloudapi\.cn$/i.test(baseUrl ? new URL(baseUrl).hostname : "")) {
    throw new Error(chinaNotAvailable);
  }
  const endpoints = (clouds as Record<string, CloudEndpoints | undefined>)[cloud];
  if (!endpoints) {
    throw new Error(`unknown cloud "${cloud}": use ${Object.keys(clouds).join(", ")} or a baseUrl`);
  }
  return { baseUrl: (baseUrl ?? endpoints.baseUrl).replace(/\/+$/, ""), scope: scope ?? endpoints.scope };
}
