// Who a roster participant is: the identities of its identity set, as the roster, the CLI and the demo read them.
import type { Participant } from "@graph-invite/types";

/** One identity of a participant, as {@link identitiesOf} lists them: its kind (`user`, `application`, `phone`, …), id and display name. */
export interface ParticipantIdentity {
  /** The identity set's member: `user`, `phone`, `application`, `guest`, … */
  readonly kind: string;
  /** The identity's id (an Entra object id, a phone number, …); undefined when Graph sent none or an empty one. */
  readonly id: string | undefined;
  /** The name to show for it; undefined when Graph sent none or an empty one. */
  readonly displayName: string | undefined;
}

/** The identities of the participant's identity set, in order, without its `@odata.type` and without null members. */
export function identitiesOf(participant: Participant): ParticipantIdentity[] {
  const identitySet = (participant.info?.identity ?? {}) as Record<string, unknown>;
  return Object.entries(identitySet).flatMap(([kind, value]) => {
    if (kind.startsWith("@") || value === null || typeof value !== "object") return [];
    const { id, displayName } = value as { id?: unknown; displayName?: unknown };
    return [
      {
        kind,
        id: typeof id === "string" && id !== "" ? id : undefined,
        displayName: typeof displayName === "string" && displayName !== "" ? displayName : undefined,
      },
    ];
  });
}
