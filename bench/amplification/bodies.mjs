// The hostile bodies: one commsNotifications envelope packed with notifications up to a number of bytes. Each is
// valid and authenticated; what makes it hostile is how much work one delivery asks for.
import { randomUUID } from "node:crypto";

const envelopeHead = '{"@odata.type":"#microsoft.graph.commsNotifications","value":[';
const envelopeTail = "]}";

/** Notifications from `next(index)`, as many as fit in `maxBytes` (UTF-8; every byte here is ASCII). */
function pack(maxBytes, next) {
  const parts = [];
  let size = envelopeHead.length + envelopeTail.length;
  for (let index = 0; ; index++) {
    const text = JSON.stringify(next(index));
    const added = text.length + (parts.length === 0 ? 0 : 1);
    if (size + added > maxBytes) break;
    parts.push(text);
    size += added;
  }
  return { body: `${envelopeHead}${parts.join(",")}${envelopeTail}`, notifications: parts.length };
}

function participant(id) {
  return {
    "@odata.type": "#microsoft.graph.participant",
    info: {
      "@odata.type": "#microsoft.graph.participantInfo",
      identity: {
        "@odata.type": "#microsoft.graph.identitySet",
        user: { "@odata.type": "#microsoft.graph.identity", id: randomUUID(), displayName: "Hostile Guest" },
      },
      endpointType: "default",
    },
    mediaStreams: [
      {
        "@odata.type": "#microsoft.graph.mediaStream",
        mediaType: "audio",
        sourceId: "1",
        direction: "sendReceive",
        serverMuted: false,
      },
    ],
    isMuted: false,
    isInLobby: false,
    id,
  };
}

/**
 * (a) Delta roster notifications for ONE call, each with `perNotification` participants that are new (new ids, so
 * the roster grows with every one), and sequence numbers that increase, so that none is stale.
 */
export function rosterFlood(callId, maxBytes, perNotification = 3) {
  const packed = pack(maxBytes, (index) => ({
    "@odata.type": "#microsoft.graph.commsNotification",
    changeType: "updated",
    resource: `/app/calls/${callId}/participants`,
    resourceUrl: `/communications/calls/${callId}/participants`,
    resourceData: {
      "@odata.type": "#microsoft.graph.deltaParticipants",
      sequenceNumber: index + 1,
      participants: Array.from({ length: perNotification }, () => participant(randomUUID())),
    },
  }));
  return { ...packed, participants: packed.notifications * perNotification };
}

/**
 * (b) The terminal `completed` notification of ONE invite the bot started and saw complete, repeated: each one finds
 * the record by its clientContext and is recorded as a duplicate step of its history.
 */
export function operationFlood({ callId, operationId, clientContext, userId }, maxBytes) {
  return pack(maxBytes, () => ({
    "@odata.type": "#microsoft.graph.commsNotification",
    changeType: "deleted",
    resource: `/app/calls/${callId}/operations/${operationId}`,
    resourceUrl: `/communications/calls/${callId}/operations/${operationId}`,
    resourceData: {
      "@odata.type": "#microsoft.graph.inviteParticipantsOperation",
      participants: [
        {
          "@odata.type": "#microsoft.graph.invitationParticipantInfo",
          identity: {
            "@odata.type": "#microsoft.graph.identitySet",
            user: { "@odata.type": "#microsoft.graph.identity", id: userId },
          },
        },
      ],
      status: "completed",
      clientContext,
      id: operationId,
    },
  }));
}
