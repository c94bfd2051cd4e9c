// The bodies the simulator sends, shaped as the reference page's examples shape them.
import type {
  AnyIdentitySet,
  CommsNotification,
  CommsNotificationsBody,
  InvitationParticipantInfo,
  InviteParticipantsResponse,
  Participant,
  ResultInfo,
} from "@graph-invite/types";
import type { SimulatedCall } from "./calls.js";
import type { Directory } from "./identities.js";

/** An invite as the simulator tracks it: Graph's `inviteParticipantsOperation` and what it is doing. */
export interface SimulatedOperation {
  /** The operation's id, as the invite's `Location` header and its notifications name it. */
  readonly id: string;
  /** The call the invite was sent to. */
  readonly callId: string;
  /** The `clientContext` the invite sent; null without one. */
  readonly clientContext: string | null;
  /**
   * `running` until every invitee has answered; then `completed`, or `failed` when one did not accept or the call
   * had ended.
   */
  status: "running" | "completed" | "failed";
  /** How the operation ended; null while it runs. */
  resultInfo: ResultInfo | null;
  /** The participants Graph acts on: all of them, or only the first for a replace or a move. */
  readonly participants: readonly InvitationParticipantInfo[];
  /** The call a replace drops or a move takes the participant from, when the request names one the simulator knows. */
  readonly replacesCallId: string | null;
  /** When the invite arrived (ISO 8601). */
  readonly createdAt: string;
  /** When the operation ended (ISO 8601); null while it runs. */
  completedAt: string | null;
}

/** `calls/{id}` plus the rest of the path, under both of Graph's prefixes. */
function paths(callId: string, rest = ""): Pick<CommsNotification, "resource" | "resourceUrl"> {
  const path = `calls/${callId}${rest === "" ? "" : `/${rest}`}`;
  return { resource: `/app/${path}`, resourceUrl: `/communications/${path}` };
}

function envelope(notification: CommsNotification): CommsNotificationsBody {
  return { "@odata.type": "#microsoft.graph.commsNotifications", value: [notification] };
}

function notification(
  changeType: CommsNotification["changeType"],
  callId: string,
  rest: string,
  resourceData: unknown,
): CommsNotificationsBody {
  return envelope({
    "@odata.type": "#microsoft.graph.commsNotification",
    changeType,
    ...paths(callId, rest),
    resourceData,
  } as CommsNotification);
}

export function inviteResponse(operation: SimulatedOperation, directory: Directory): InviteParticipantsResponse {
  const single = operation.participants.length === 1;
  return {
    "@odata.type": "#microsoft.graph.inviteParticipantsOperation",
    id: operation.id,
    status: "Running",
    clientContext: operation.clientContext,
    resultInfo: null,
    participants: operation.participants.map((participant) => ({
      endpointType: null,
      // The page's examples echo the call being replaced only when Graph acts on it.
      replacesCallId: single ? (operation.replacesCallId ?? null) : null,
      ...(participant.participantId != null && { participantId: participant.participantId }),
      identity: directory.forResponse(participant.identity),
    })),
  } as InviteParticipantsResponse;
}

/** The operation's terminal notification: `deleted`, with the final status and, for a failure, the resultInfo. */
export function operationNotification(operation: SimulatedOperation, directory: Directory): CommsNotificationsBody {
  return notification("deleted", operation.callId, `operations/${operation.id}`, {
    "@odata.type": "#microsoft.graph.inviteParticipantsOperation",
    participants: operation.participants.map((participant) => ({
      "@odata.type": "#microsoft.graph.invitationParticipantInfo",
      identity: directory.forNotification(participant.identity as AnyIdentitySet),
    })),
    status: operation.status,
    clientContext: operation.clientContext,
    id: operation.id,
    ...(operation.resultInfo !== null && { resultInfo: operation.resultInfo }),
  });
}

export interface RosterShape {
  readonly mode: "full" | "delta";
  readonly sequenceNumbers: boolean;
}

/** A roster change: the whole roster, or in delta mode only the participants that changed. */
export function rosterNotification(
  call: SimulatedCall,
  changed: readonly Participant[],
  shape: RosterShape,
): CommsNotificationsBody {
  const entry = ({ rosterSequenceNumber, ...participant }: Participant): Participant =>
    shape.sequenceNumbers ? { ...participant, rosterSequenceNumber: rosterSequenceNumber ?? null } : participant;
  const data =
    shape.mode === "full"
      ? call.participants.map(entry)
      : {
          "@odata.type": "#microsoft.graph.deltaParticipants",
          sequenceNumber: call.rosterSequence,
          participants: changed.map(entry),
        };
  return notification("updated", call.id, "participants", data);
}

/** The end of a call: its `terminated` state with the reason, then its deletion. */
export function callEndNotifications(call: SimulatedCall, reason: ResultInfo): CommsNotificationsBody[] {
  const resource = { "@odata.type": "#microsoft.graph.call", "@odata.id": `/communications/calls/${call.id}` };
  return [
    notification("updated", call.id, "", { ...resource, state: "terminated", resultInfo: reason }),
    notification("deleted", call.id, "", resource),
  ];
}

export function resultInfo(code: number, subcode: number, message: string): ResultInfo {
  return { "@odata.type": "#microsoft.graph.resultInfo", code, subcode, message };
}
