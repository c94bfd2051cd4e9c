// Where the bot keeps what it knows: operations, rosters, notifications it could not match, and the deliveries it
// has already taken. Behind an interface so that a bot running as several instances can share one database.
import type { InviteError } from "@graph-invite/client";
import type { InviteParticipantsRequest, Participant, ResultInfo } from "@graph-invite/types";

/**
 * Where an invite stands. `sending` until Graph answers; `running` once it accepted; `completed` or `failed` from
 * the terminal notification (or a response that was already final); `rejected` when it was never accepted;
 * `timed-out` when no terminal notification came in time.
 */
export type InviteStatus = "sending" | "running" | "completed" | "failed" | "rejected" | "timed-out";

/** One step of an operation's life, in the order the bot saw them. */
export interface OperationEvent {
  /** ISO 8601 time the bot saw it. */
  readonly at: string;
  readonly event:
    | "sent"
    | "accepted"
    | "refused"
    | "send-failed"
    | "notification"
    | "duplicate-notification"
    | "timed-out"
    | "late-notification";
  /** The operation status the step reported, as Graph spelt it after normalisation. */
  readonly status?: string;
  readonly detail?: string | undefined;
}

export interface OperationRecord {
  /** The correlation key: Graph echoes it in every notification about the operation. */
  readonly clientContext: string;
  readonly callId: string;
  /** Graph's id for the operation, once the response or a notification named it. */
  operationId: string | null;
  status: InviteStatus;
  readonly request: InviteParticipantsRequest;
  /** The terminal notification's result: code, subcode and message. */
  resultInfo: ResultInfo | null;
  /** Why the invite was not accepted (or why its sending failed without a clear answer). */
  error: InviteError | null;
  /** The terminal notification arrived after the bot had stopped waiting. */
  late: boolean;
  readonly createdAt: string;
  updatedAt: string;
  /** The most recent steps, at most {@link maxHistory}: the first (`sent` or `refused`) and the latest ones. */
  readonly history: OperationEvent[];
  /** How many steps were dropped from the middle of `history` to keep it bounded. */
  droppedSteps?: number;
}

/**
 * The most steps an operation keeps. Graph may deliver one notification many times; a record that grew with each
 * would make every later step cost more than the one before.
 */
export const maxHistory = 50;

/** What the bot knows of one participant of a call. */
export interface RosterMember {
  readonly participant: Participant;
  /** `rosterSequenceNumber`, or a delta roster's sequence number: the roster version of this participant's state. */
  readonly version: number | null;
}

/** A call's roster, as participants notifications built it. Plain data, so that a store can serialise it. */
export interface RosterState {
  readonly callId: string;
  /** Participants in the call, by {@link participantKey}, in the order they joined. */
  readonly members: Readonly<Record<string, RosterMember>>;
  /** Participants who left, with the roster version they left at, so that a stale notification cannot bring them back. */
  readonly departed: Readonly<Record<string, number | null>>;
  /** The call has ended: everyone left and later rosters are stale. */
  readonly ended: boolean;
}

/** A notification the bot received but could not attach to anything it tracks, or a delivery the parser refused. */
export interface UnmatchedNotification {
  readonly at: string;
  readonly callId: string | undefined;
  readonly reason: string;
  /** The notification as parsed; for a delivery the parser refused, the body as received, as text. */
  readonly notification: unknown;
}

/**
 * The bot's state. Every method may be asynchronous. Operation records given and returned are copies: the tracker
 * changes them. A {@link RosterState} is immutable (the roster functions return a new one), so a store may keep and
 * return the very object it was given.
 */
export interface BotStore {
  /** Records a delivery's key; resolves false when it was recorded before, meaning the delivery is a duplicate. */
  claimDelivery(key: string): Promise<boolean>;
  putOperation(record: OperationRecord): Promise<void>;
  operationByContext(clientContext: string): Promise<OperationRecord | undefined>;
  operationById(operationId: string): Promise<OperationRecord | undefined>;
  /** Operations in the order they were created, of one call or of all. */
  operations(callId?: string): Promise<OperationRecord[]>;
  putRoster(roster: RosterState): Promise<void>;
  roster(callId: string): Promise<RosterState | undefined>;
  recordUnmatched(entry: UnmatchedNotification): Promise<void>;
  unmatched(): Promise<UnmatchedNotification[]>;
}
