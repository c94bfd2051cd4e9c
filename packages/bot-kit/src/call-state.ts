// A call as the bot knows it: who is in it, as plain data a store can keep, and the events of its changes. The store,
// the roster functions and the bot all speak of these; they import them from here and not from each other.
import type { Participant, ResultInfo } from "@graph-invite/types";

/** What the bot knows of one participant of a call. */
export interface RosterMember {
  /** The participant as Graph's latest notification of it sent it (`info`, `mediaStreams`, `isMuted`, …). */
  readonly participant: Participant;
  /** `rosterSequenceNumber`, or a delta roster's sequence number: the roster version of this participant's state. */
  readonly version: number | null;
}

/** A call's roster, as participants notifications built it. Plain data, so that a store can serialise it. */
export interface RosterState {
  /** The call whose roster this is. */
  readonly callId: string;
  /** Participants in the call, by their key (see {@link RosterEvent.key}), in the order they joined. */
  readonly members: Readonly<Record<string, RosterMember>>;
  /** Participants who left, with the roster version they left at, so that a stale notification cannot bring them back. */
  readonly departed: Readonly<Record<string, number | null>>;
  /** The call has ended: everyone left and later rosters are stale. */
  readonly ended: boolean;
  /** How many times the roster has been written: the compare-and-set key. 0 for a roster never stored. */
  readonly revision: number;
}

/** Someone joined, left, or changed (muted, put in the lobby, …). */
export interface RosterEvent {
  /** `joined` for a participant new to the roster, `left` for one that went, `updated` for one whose state changed. */
  readonly type: "joined" | "left" | "updated";
  /** The call whose roster changed. */
  readonly callId: string;
  /** The participant's key in the roster: its id, or its identity when Graph sent `id: null`. */
  readonly key: string;
  /** The participant's state now; for `left`, its last known state. */
  readonly participant: Participant;
  /** For `updated`, the state it replaced. */
  readonly previous?: Participant;
  /**
   * Why a participant left: Graph's `removedState.reason`, `deleted` (a participant notification of change type
   * `deleted`), `call-ended`, or `absent` from a full roster.
   */
  readonly reason?: string;
}

/** A call's state changed: Graph's `call` resource with its `state`, and its resultInfo when it ended. */
export interface CallStateEvent {
  /** The call that changed. */
  readonly callId: string;
  /** The notification's change type as Graph sent it: `created`, `updated` or `deleted`. */
  readonly changeType: string;
  /** The call's `state` (`establishing`, `established`, `terminated`, …); null when the notification carried none. */
  readonly state: string | null;
  /** Why the call ended, when Graph says so (mostly with `terminated`); null otherwise. */
  readonly resultInfo: ResultInfo | null;
}
