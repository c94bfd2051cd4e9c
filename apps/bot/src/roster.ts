// A call's roster, rebuilt from participants notifications. Graph sends either the whole roster or, in delta mode,
// only the participants that changed; notifications can come twice or out of order. Each participant's state
// carries a version (its `rosterSequenceNumber`, or the delta roster's sequence number) where Graph gives one, and
// an older version never overwrites a newer one.
import type { Participant } from "@graph-invite/types";
import type { RosterNotification } from "@graph-invite/validator";
import { identitiesOf } from "./identities.js";
import type { RosterMember, RosterState } from "./store.js";

/** Someone joined, left, or changed (muted, put in the lobby, …). */
export interface RosterEvent {
  readonly type: "joined" | "left" | "updated";
  readonly callId: string;
  /** The participant's key in the roster: its id, or its identity when Graph sent `id: null`. */
  readonly key: string;
  /** The participant's state now; for `left`, its last known state. */
  readonly participant: Participant;
  /** For `updated`, the state it replaced. */
  readonly previous?: Participant;
  /** Why a participant left: Graph's `removedState.reason`, `call-ended`, or `absent` from a full roster. */
  readonly reason?: string;
}

export interface RosterChange {
  readonly roster: RosterState;
  readonly events: readonly RosterEvent[];
}

export function emptyRoster(callId: string): RosterState {
  return { callId, members: {}, departed: {}, ended: false };
}

/**
 * The key a participant is tracked by: its id, or when Graph sends `id: null` (as it does in some notifications)
 * the identity it represents.
 */
export function participantKey(participant: Participant): string {
  if (hasId(participant)) return participant.id;
  return identityKey(participant) ?? `info:${canonicalJson(participant.info ?? null)}`;
}

const hasId = (participant: Participant): participant is Participant & { id: string } =>
  typeof participant.id === "string" && participant.id !== "";

/** `kind:id` of the first identity of the participant's identity set that has an id, such as `user:7e1b…`. */
function identityKey(participant: Participant): string | undefined {
  const identity = identitiesOf(participant).find(({ id }) => id !== undefined);
  return identity === undefined ? undefined : `${identity.kind}:${identity.id}`;
}

/** Applies one participants notification; returns the new roster and what changed. The input is not modified. */
export function applyRosterNotification(roster: RosterState, notification: RosterNotification): RosterChange {
  // A call that ended has no roster any more: whatever arrives after the end is stale.
  if (roster.ended) return { roster, events: [] };
  const members = dictionary(roster.members);
  const departed = dictionary(roster.departed);
  const events: RosterEvent[] = [];
  const { callId } = roster;
  const listVersion = notification.delta ? notification.sequenceNumber : null;
  const seen = new Set<string>();
  let newest: number | null = null;
  // Graph sends the same participant with its id in one notification and `id: null` in another: the identity finds
  // the member either way.
  const byIdentity = new Map<string, string>();
  for (const [key, member] of Object.entries(members)) {
    const identity = identityKey(member.participant);
    if (identity !== undefined) byIdentity.set(identity, key);
  }

  for (const sent of notification.participants) {
    const identity = identityKey(sent);
    const mapped = identity === undefined ? undefined : byIdentity.get(identity);
    // Only a member still in the call: one this notification removed earlier on is gone.
    const known = mapped !== undefined && Object.hasOwn(members, mapped) ? mapped : undefined;
    // A member is never re-keyed, so that listeners can follow it by key: one first seen with `id: null` keeps its
    // identity key when its id turns up. Two endpoints of one user, each with its id, stay two members.
    const trackedByIdentity = known !== undefined && known === identity;
    const key = !hasId(sent)
      ? (known ?? participantKey(sent))
      : trackedByIdentity && !Object.hasOwn(members, sent.id)
        ? known
        : sent.id;
    // What `id: null` hides, the roster already knows.
    const knownId = own(members, key)?.participant.id;
    const participant = !hasId(sent) && typeof knownId === "string" && knownId !== "" ? { ...sent, id: knownId } : sent;
    const version = versionOf(participant) ?? listVersion;
    seen.add(key);
    if (version !== null) newest = Math.max(newest ?? version, version);
    const current = own(members, key);
    if (isStale(version, current, own(departed, key))) continue;
    const removed = participant.removedState !== undefined && participant.removedState !== null;
    if (removed) {
      departed[key] = version;
      if (current !== undefined) {
        delete members[key];
        events.push({ type: "left", callId, key, participant, reason: participant.removedState?.reason ?? "removed" });
      }
      continue;
    }
    members[key] = { participant, version };
    if (identity !== undefined) byIdentity.set(identity, key);
    delete departed[key];
    if (current === undefined) {
      events.push({ type: "joined", callId, key, participant });
    } else if (!sameState(current.participant, participant)) {
      events.push({ type: "updated", callId, key, participant, previous: current.participant });
    }
  }

  if (!notification.delta) {
    // A full roster lists everyone in the call, so whoever it omits has left, unless their state is newer than
    // the list (the list was sent before they joined, and arrived late).
    for (const [key, member] of Object.entries(roster.members)) {
      if (seen.has(key) || !Object.hasOwn(members, key)) continue;
      if (member.version !== null && newest !== null && member.version > newest) continue;
      delete members[key];
      departed[key] = newest;
      events.push({ type: "left", callId, key, participant: member.participant, reason: "absent" });
    }
  }
  return { roster: { ...roster, members, departed }, events };
}

/** The call ended: everyone in it left. */
export function endRoster(roster: RosterState): RosterChange {
  if (roster.ended) return { roster, events: [] };
  const events = Object.entries(roster.members).map(
    ([key, member]): RosterEvent => ({
      type: "left",
      callId: roster.callId,
      key,
      participant: member.participant,
      reason: "call-ended",
    }),
  );
  const departed = dictionary(roster.departed);
  for (const [key, member] of Object.entries(roster.members)) departed[key] = member.version;
  return { roster: { ...roster, members: dictionary({}), departed, ended: true }, events };
}

/** A participant's state is stale when the roster already holds a newer or equal version of it, or a newer departure. */
function isStale(version: number | null, current: RosterMember | undefined, departedAt: number | null | undefined) {
  if (version === null) return false;
  if (current?.version !== undefined && current.version !== null && version < current.version) return true;
  return departedAt !== undefined && departedAt !== null && version <= departedAt;
}

function versionOf(participant: Participant): number | null {
  const version: unknown = participant.rosterSequenceNumber;
  return typeof version === "number" && Number.isFinite(version) ? version : null;
}

/**
 * A copy of a map keyed by participant id, without a prototype: ids are Graph's strings, and one such as
 * `constructor` or `__proto__` must be an ordinary key.
 */
function dictionary<T>(entries: Readonly<Record<string, T>>): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, entries);
}

/** The entry of `key`, ignoring anything inherited (a roster read back from a store has an ordinary prototype). */
function own<T>(entries: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(entries, key) ? entries[key] : undefined;
}

/** Two states of a participant are the same when they differ at most in their sequence number. */
function sameState(a: Participant, b: Participant): boolean {
  const { rosterSequenceNumber: _a, ...restA } = a;
  const { rosterSequenceNumber: _b, ...restB } = b;
  return canonicalJson(restA) === canonicalJson(restB);
}

/** JSON with object keys sorted, so that two payloads that differ only in key order compare equal. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === "object" && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}
