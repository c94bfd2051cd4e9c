// Who a roster participant is: the identities of its identity set, as the roster, the CLI and the demo read them.
// Which members count is the validator's rule (`identitySetMembers`), so the kit, the validator and the simulator
// agree on it.
import type { Participant } from "@graph-invite/types";
import { identitySetMembers } from "@graph-invite/validator";

/** One identity of a participant, as {@link identitiesOf} lists them: its kind (`user`, `application`, `phone`, …), id and display name. */
export interface ParticipantIdentity {
  /** The identity set's member: `user`, `phone`, `application`, `guest`, … */
  readonly kind: string;
  /** The identity's `id`; `undefined` when it is missing, empty or not a string. */
  readonly id: string | undefined;
  /** The identity's `displayName`; `undefined` when it is missing, empty or not a string. */
  readonly displayName: string | undefined;
}

/** The identities of the participant's identity set, in order, without its `@odata.type` and without null members. */
export function identitiesOf(participant: Participant): ParticipantIdentity[] {
  return identitySetMembers(participant.info?.identity).map(({ kind, identity }) => ({
    kind,
    id: nonEmptyString(identity["id"]),
    displayName: nonEmptyString(identity["displayName"]),
  }));
}

const nonEmptyString = (value: unknown): string | undefined =>
  typeof value === "string" && value !== "" ? value : undefined;
