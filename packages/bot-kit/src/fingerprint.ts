// What makes two invites the same invite, so that one sent again with its clientContext (a retried web request, a
// job run twice) reattaches to the first instead of being refused or sent twice.
import type { InviteParticipantsRequest } from "@graph-invite/types";

/**
 * A SHA-256 digest of an invite's call and body (its clientContext included), with object keys in sorted order, so
 * that the same invite built twice gets the same fingerprint however its objects were assembled. Web Crypto only: it
 * runs wherever the kit does.
 */
export async function inviteFingerprint(callId: string, request: InviteParticipantsRequest): Promise<string> {
  const canonical = JSON.stringify([callId, request], (_key, value: unknown) =>
    typeof value === "object" && value !== null && !Array.isArray(value)
      ? // Object.fromEntries defines each key as an own property, so a "__proto__" key stays data.
        Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : value,
  );
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonical)));
  return `sha256:${Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}
