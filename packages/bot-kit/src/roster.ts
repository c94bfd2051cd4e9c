// A call's roster, rebuilt from participants notifications. Graph sends either the whole roster or, in delta mode,
// only the participants that changed; notifications can come twice or out of order. Each participant's state
// carries a version (its `rosterSequenceNumber`, or the delta roster's sequence number) where Graph gives one, and
// an older version never overwrites a newer one.
import type { Participant } from "@graph-invite/types";
import type { RosterNotification } from "@graph-invite/validator";
import type { RosterEvent, RosterMember, RosterState } from "./call-state.js";
import { identitiesOf } from "./identities.js";
import { canonicalJson, equalData } from "./json-equality.js";

/** What applying notifications did: the roster after them, and the events of who joined, left or changed. */
export interface RosterChange {
  /** The roster after the notifications: a new object (at the input's revision), the input left as it was. */
  readonly roster: RosterState;
  /** Who joined, left or changed, in the order the notifications said so; empty when nothing changed. */
  readonly events: readonly RosterEvent[];
}

/** The roster of a call nothing is known about yet. */
export function emptyRoster(callId: string): RosterState {
  return { callId, members: {}, departed: {}, ended: false, revision: 0 };
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
  return applyRosterNotifications(roster, [notification]);
}

/**
 * Applies participants notifications in order; returns the new roster and what changed. The input is not modified,
 * and is copied once for the whole batch, so the cost is that of the participants the notifications carry (and of
 * the members a full roster can omit), not of the roster times the notifications.
 */
export function applyRosterNotifications(
  roster: RosterState,
  notifications: readonly RosterNotification[],
): RosterChange {
  const draft = new RosterDraft(roster);
  const events = notifications.flatMap((notification) => draft.apply(notification));
  return { roster: draft.state(), events };
}

/** The call ended: everyone in it left. */
export function endRoster(roster: RosterState): RosterChange {
  const draft = new RosterDraft(roster);
  const events = draft.end();
  return { roster: draft.state(), events };
}

/** The most departures a roster remembers; the oldest are forgotten first. */
export const maxDepartures = 10_000;

/**
 * The most participants a roster holds: twice the largest Teams meeting (10 000, view-only attendees included), so
 * that no real call meets it while a sender cannot grow one roster without end.
 */
export const maxMembers = 20_000;

/**
 * A roster being changed: a private copy of one {@link RosterState}, changed in place by each notification, with an
 * index from identity to member that lasts the whole batch.
 */
export class RosterDraft {
  private readonly callId: string;
  private readonly members: Record<string, RosterMember>;
  private readonly departed: Record<string, number | null>;
  private departures: number;
  private memberCount: number;
  /** Participants who joined while the roster was full, and so were not added. */
  refused = 0;
  private ended: boolean;
  /** The revision of the roster the draft started from: a store writes the draft only over that revision. */
  private readonly revision: number;
  /** Graph sends the same participant with its id in one notification and `id: null` in another: the identity finds the member either way. */
  private readonly byIdentity = new Map<string, string>();

  constructor(roster: RosterState) {
    this.callId = roster.callId;
    this.members = dictionary(roster.members);
    this.departed = dictionary(roster.departed);
    this.departures = Object.keys(this.departed).length;
    this.memberCount = Object.keys(this.members).length;
    this.ended = roster.ended;
    this.revision = roster.revision;
    for (const [key, member] of Object.entries(this.members)) {
      const identity = identityKey(member.participant);
      if (identity !== undefined) this.byIdentity.set(identity, key);
    }
  }

  state(): RosterState {
    return {
      callId: this.callId,
      members: this.members,
      departed: this.departed,
      ended: this.ended,
      revision: this.revision,
    };
  }

  apply(notification: RosterNotification): RosterEvent[] {
    // A call that ended has no roster any more: whatever arrives after the end is stale.
    if (this.ended) return [];
    const { members, callId } = this;
    const events: RosterEvent[] = [];
    const listVersion = notification.delta ? notification.sequenceNumber : null;
    // Graph reports a participant who left on its own path (`…/participants/{id}`) as that participant, deleted.
    const deleted = notification.delta && notification.changeType === "deleted";
    // A full roster lists everyone in the call: who was a member before it and is not in it has left.
    const before = notification.delta ? [] : Object.entries(members);
    const seen = new Set<string>();
    let newest: number | null = null;

    for (const sent of notification.participants) {
      const identity = identityKey(sent);
      const mapped = identity === undefined ? undefined : this.byIdentity.get(identity);
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
      const participant =
        !hasId(sent) && typeof knownId === "string" && knownId !== "" ? { ...sent, id: knownId } : sent;
      const version = versionOf(participant) ?? listVersion;
      seen.add(key);
      if (version !== null) newest = Math.max(newest ?? version, version);
      const current = own(members, key);
      if (isStale(version, current, own(this.departed, key))) continue;
      const hasRemovedState = participant.removedState !== undefined && participant.removedState !== null;
      if (hasRemovedState || deleted) {
        this.depart(key, version);
        if (current !== undefined) {
          delete members[key];
          this.memberCount--;
          const reason = participant.removedState?.reason ?? (deleted ? "deleted" : "removed");
          events.push({ type: "left", callId, key, participant, reason });
        }
        continue;
      }
      if (current === undefined && this.memberCount >= maxMembers) {
        this.refused++;
        continue;
      }
      if (current === undefined) this.memberCount++;
      members[key] = { participant, version };
      if (identity !== undefined) this.byIdentity.set(identity, key);
      this.forgetDeparture(key);
      if (current === undefined) {
        events.push({ type: "joined", callId, key, participant });
      } else if (!sameState(current.participant, participant)) {
        events.push({ type: "updated", callId, key, participant, previous: current.participant });
      }
    }

    for (const [key, member] of before) {
      if (seen.has(key) || !Object.hasOwn(members, key)) continue;
      // Unless their state is newer than the list: the list was sent before they joined, and arrived late.
      if (member.version !== null && newest !== null && member.version > newest) continue;
      delete members[key];
      this.memberCount--;
      this.depart(key, newest);
      events.push({ type: "left", callId, key, participant: member.participant, reason: "absent" });
    }
    return events;
  }

  /** The call ended: everyone in it left, and later rosters are stale. */
  end(): RosterEvent[] {
    if (this.ended) return [];
    const events: RosterEvent[] = [];
    for (const [key, member] of Object.entries(this.members)) {
      events.push({ type: "left", callId: this.callId, key, participant: member.participant, reason: "call-ended" });
      this.depart(key, member.version);
      delete this.members[key];
    }
    this.memberCount = 0;
    this.ended = true;
    return events;
  }

  private depart(key: string, version: number | null): void {
    if (!Object.hasOwn(this.departed, key)) this.departures++;
    this.departed[key] = version;
    if (this.departures <= maxDepartures) return;
    // Forget the oldest tenth at once, so that trimming costs little per departure.
    const excess = Object.keys(this.departed).slice(0, Math.ceil(maxDepartures / 10));
    for (const oldest of excess) delete this.departed[oldest];
    this.departures -= excess.length;
  }

  private forgetDeparture(key: string): void {
    if (!Object.hasOwn(this.departed, key)) return;
    delete this.departed[key];
    this.departures--;
  }
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
  try {
    return equalData(a, b, "rosterSequenceNumber");
  } catch {
    // Nested deeper than the stack allows (a hostile extra property): report it as changed rather than fail.
    return false;
  }
}
