// What an invite acts on besides its own call: the call a replace drops, or the meeting a move takes the participant
// from, checked against the reference page's rules.
import type { InvitationParticipantInfo } from "@graph-invite/types";
import type { Calls, SimulatedCall } from "./calls.js";
import type { HttpError } from "./http.js";

/** What an invite acts on besides its own call. */
export type Related =
  | { readonly kind: "replace"; readonly call: SimulatedCall }
  | { readonly kind: "move"; readonly call: SimulatedCall; readonly participantId: string }
  | undefined;

/** The call a replace drops or a move takes the participant from, checked; undefined for a plain invite. */
export function relatedCall(
  calls: Calls,
  first: InvitationParticipantInfo,
  call: SimulatedCall,
  fail: (status: number, code: string, message: string) => HttpError,
): Related {
  const otherId = first.replacesCallId;
  if (otherId == null) return undefined;
  const other = calls.get(otherId);
  const pointer = "/participants/0/replacesCallId";
  if (otherId === call.id) {
    throw fail(400, "BadRequest", `${pointer} names the call the participants are invited into.`);
  }
  if (first.participantId != null) {
    if (other === undefined || other.state === "terminated") {
      throw fail(404, "ItemNotFound", `The meeting '${otherId}' at ${pointer} was not found.`);
    }
    if (other.kind !== "meeting" || call.kind !== "meeting" || other.appId !== call.appId) {
      throw fail(
        400,
        "BadRequest",
        `A participant can be moved only between two meetings created by the same app (${pointer}).`,
      );
    }
    if (!other.participants.some((participant) => participant.id === first.participantId)) {
      throw fail(
        404,
        "ItemNotFound",
        `The participant '${first.participantId}' at /participants/0/participantId is not in the meeting '${otherId}'.`,
      );
    }
    return { kind: "move", call: other, participantId: first.participantId };
  }
  // A call the simulator does not know is not acted on, and the response shows no replace (the page's example 2).
  if (other === undefined || other.state === "terminated") return undefined;
  if (other.kind !== "p2p") {
    throw fail(
      400,
      "BadRequest",
      `The call '${otherId}' at ${pointer} is not a peer-to-peer call, so it cannot be replaced.`,
    );
  }
  if (other.appId !== call.appId) {
    throw fail(403, "Forbidden", `The call '${otherId}' at ${pointer} belongs to another application.`);
  }
  return { kind: "replace", call: other };
}
