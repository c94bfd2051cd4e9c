// Reading an identity set: the one rule for which of its members name an identity, shared by the invite rules, the
// bot kit's rosters and the simulator's echoes.
import { isObject } from "./normalise.js";

/** One identity an identity set names: the member's name and its identity object. */
export interface IdentitySetMember {
  /** The identity set's member: `user`, `application`, `applicationInstance`, `phone`, `guest`, … */
  readonly kind: string;
  /** The identity as written: `id`, `displayName`, `tenantId`, `@odata.type`, … None of it is checked here. */
  readonly identity: Readonly<Record<string, unknown>>;
}

/**
 * The identities an identity set names, in the order they are written.
 *
 * A member counts when its value is an object: `null` members (which Graph pads its echoes with), annotations such
 * as `@odata.type` (any key that starts with `@`), and members that are not objects (a communications identity set's
 * `endpointType` string, or an array) are left out. Anything that is not an object names no identity.
 *
 * Nothing is copied: each `identity` is the object from the set. Reading the set never throws, whatever it holds.
 *
 * @param identitySet - A participant's `identity` (an invitation) or `info.identity` (a roster), as parsed JSON.
 * @returns Each member that names an identity, as `{ kind, identity }`.
 *
 * @example
 * ```ts
 * identitySetMembers({ "@odata.type": "#microsoft.graph.identitySet", user: { id: "u1" }, phone: null });
 * // [{ kind: "user", identity: { id: "u1" } }]
 * ```
 */
export function identitySetMembers(identitySet: unknown): IdentitySetMember[] {
  if (!isObject(identitySet)) return [];
  const members: IdentitySetMember[] = [];
  for (const [kind, identity] of Object.entries(identitySet)) {
    if (!kind.startsWith("@") && isObject(identity)) members.push({ kind, identity });
  }
  return members;
}
