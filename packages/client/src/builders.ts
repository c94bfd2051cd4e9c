import type { Identity, InvitationParticipantInfo, InviteParticipantsRequest } from "@graph-invite/types";

/** Optional details of an identity. */
export interface IdentityDetails {
  /** The name to show in the roster. */
  displayName?: string;
  /** The identity's tenant, for a user or application instance of another tenant. */
  tenantId?: string;
  /** The identity provider, such as `AAD` (the reference page's Example 5 sends it). */
  identityProvider?: string;
}

/** E.164: a plus sign, a country code that does not start with 0, and at most 15 digits in all. */
const e164 = /^\+[1-9]\d{1,14}$/;

function participant(
  setType: "#microsoft.graph.identitySet" | "#microsoft.graph.communicationsIdentitySet",
  member: "user" | "guest" | "phone" | "application" | "applicationInstance",
  id: string,
  details: IdentityDetails,
): InvitationParticipantInfo {
  const identity: Identity = { "@odata.type": "#microsoft.graph.identity", id };
  for (const [key, value] of Object.entries(details)) {
    if (value !== undefined) {
      (identity as Record<string, unknown>)[key] = value;
    }
  }
  return {
    "@odata.type": "#microsoft.graph.invitationParticipantInfo",
    identity: { "@odata.type": setType, [member]: identity } as InvitationParticipantInfo["identity"],
  };
}

/** A Microsoft Entra user, by object id (the reference page's Example 1). */
export function userParticipant(id: string, details: IdentityDetails = {}): InvitationParticipantInfo {
  return participant("#microsoft.graph.identitySet", "user", id, details);
}

/**
 * A guest (anonymous) user. `identitySet` does not declare `guest`, so the identity is a `communicationsIdentitySet`,
 * the type that does.
 */
export function guestParticipant(id: string, displayName: string): InvitationParticipantInfo {
  return participant("#microsoft.graph.communicationsIdentitySet", "guest", id, { displayName });
}

/**
 * A phone number (PSTN), shaped as the reference page's Example 4 sends it.
 *
 * @throws RangeError when `number` is not in E.164 format, such as `+12345678901`.
 */
export function phoneParticipant(number: string, details: IdentityDetails = {}): InvitationParticipantInfo {
  if (!e164.test(number)) {
    throw new RangeError(`"${number}" is not an E.164 phone number, such as +12345678901`);
  }
  return participant("#microsoft.graph.identitySet", "phone", number, details);
}

/** An application (a bot), by app id. Graph allows at most one bot per invite into a meeting or group call. */
export function applicationParticipant(appId: string, details: IdentityDetails = {}): InvitationParticipantInfo {
  return participant("#microsoft.graph.identitySet", "application", appId, details);
}

/**
 * An application instance (a bot's resource account). Only `communicationsIdentitySet` declares
 * `applicationInstance`, so the identity is one.
 */
export function applicationInstanceParticipant(id: string, details: IdentityDetails = {}): InvitationParticipantInfo {
  return participant("#microsoft.graph.communicationsIdentitySet", "applicationInstance", id, details);
}

/**
 * Invites `participant` in place of the peer-to-peer call `replacesCallId`, which Graph drops once the participant
 * has joined (Examples 1 to 3). Only the first participant of such a request counts.
 */
export function replacingCall(
  participant: InvitationParticipantInfo,
  replacesCallId: string,
): InvitationParticipantInfo {
  const { identity, ...rest } = participant;
  return { ...rest, replacesCallId, identity };
}

/**
 * Moves `participant`, known as `participantId` in the call `replacesCallId`, into this call (Example 5). Both
 * meetings must have been created by the same application, and only one participant moves per request.
 */
export function movingParticipant(
  participant: InvitationParticipantInfo,
  from: { participantId: string; replacesCallId: string },
): InvitationParticipantInfo {
  const { identity, ...rest } = participant;
  return { ...rest, replacesCallId: from.replacesCallId, participantId: from.participantId, identity };
}

/** The request body: one participant or several (several only into a group call, at most five). */
export function inviteBody(
  participants: InvitationParticipantInfo | InvitationParticipantInfo[],
  clientContext?: string,
): InviteParticipantsRequest {
  return {
    participants: Array.isArray(participants) ? participants : [participants],
    ...(clientContext === undefined ? {} : { clientContext }),
  };
}
