// Where the bot keeps what it knows: operations, rosters, notifications it could not match, and the deliveries it
// has already taken. Behind an interface so that a bot running as several instances can share one database: every
// write of a record is a compare-and-set on its revision, so that two instances changing one record at once cannot
// lose either change; the loser reads again and redoes its change.
import type { InviteError } from "@graph-invite/client";
import type { InviteParticipantsRequest, ResultInfo } from "@graph-invite/types";
import type { CallStateEvent, RosterEvent, RosterState } from "./call-state.js";
import type { StoreRetention } from "./retention.js";

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
  /**
   * What happened: `sent` (the request went to Graph), `accepted` (Graph answered with the operation), `refused`
   * (Graph, or the checks before sending, refused the invite), `send-failed` (sending failed without a clear answer,
   * so the invite may still have been carried out), `notification` (an operation notification),
   * `duplicate-notification` (a terminal notification for an invite that had already ended), `timed-out` (the deadline
   * passed without a terminal notification), `late-notification` (the terminal notification after the deadline).
   */
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
  /**
   * A line for people, such as the request sent, the error's message or Graph's result code and message. Absent when
   * the step has nothing to add (a notification without resultInfo).
   */
  readonly detail?: string | undefined;
}

/** An invite as the store keeps it: its request, its status, Graph's operation id once known, and its history. */
export interface OperationRecord {
  /** The correlation key: Graph echoes it in every notification about the operation. */
  readonly clientContext: string;
  /** The call the participants are invited into, as the invite's URL named it. */
  readonly callId: string;
  /** Graph's id for the operation, once the response or a notification named it. */
  operationId: string | null;
  /** Where the invite stands; see {@link InviteStatus}. */
  status: InviteStatus;
  /** The invite's body as the bot sent it (or, for a refused invite, would have sent it). */
  readonly request: InviteParticipantsRequest;
  /**
   * A digest of the call id and `request`, by which the same invite sent again with this clientContext (a retry) is
   * told from a different one. Absent from records written before it was kept: the request itself is there.
   */
  readonly fingerprint?: string;
  /** The W3C `traceparent` of the invite's client span, when tracing was on: deliveries' spans link to it. */
  traceparent?: string;
  /** The terminal notification's result: code, subcode and message. */
  resultInfo: ResultInfo | null;
  /** Why the invite was not accepted (or why its sending failed without a clear answer). */
  error: InviteError | null;
  /** The terminal notification arrived after the bot had stopped waiting. */
  late: boolean;
  /** When the invite was first recorded, as it was being sent (ISO 8601). */
  readonly createdAt: string;
  /** When the latest step was recorded (ISO 8601). */
  updatedAt: string;
  /**
   * When the bot stops waiting for the terminal notification (ISO 8601), kept so that any instance, or this one
   * after a restart, can end the invite on time. Null for an invite refused before it was sent.
   */
  readonly deadline: string | null;
  /** How many times the record has been written: the compare-and-set key. 0 for a record never stored. */
  revision: number;
  /** The most recent steps, at most `maxHistory` (50): the first (`sent` or `refused`) and the latest ones. */
  readonly history: OperationEvent[];
  /** How many steps were dropped from the middle of `history` to keep it bounded. */
  droppedSteps?: number;
}

/**
 * The most steps an operation keeps. Graph may deliver one notification many times; a record that grew with each
 * would make every later step cost more than the one before.
 */
export const maxHistory = 50;

/** A notification the bot received but could not attach to anything it tracks, or a delivery the parser refused. */
export interface UnmatchedNotification {
  /** When the bot kept it (ISO 8601). */
  readonly at: string;
  /**
   * The call its `resourceUrl` names, by which it can be found again; undefined when it names none (or for a
   * delivery the parser refused whole).
   */
  readonly callId: string | undefined;
  /** Why it matched nothing, for people: such as an operation no invite of the store has, or the parser's complaint. */
  readonly reason: string;
  /** The notification as parsed; for a delivery the parser refused, the body as received, as text. */
  readonly notification: unknown;
}

/**
 * What another instance changed, as a store that several instances share reports it. It is a hint: whoever waits on
 * an operation reads the record again rather than trust the change.
 */
export type StoreChange =
  | {
      readonly kind: "operation";
      readonly clientContext: string;
      readonly operationId: string | null;
      /** The record as written, when the store sends it along: the newest a waiter can know of, read or not. */
      readonly record?: OperationRecord;
    }
  /**
   * A roster was written: the events its writer announced, and the call's state changes that came with them, for
   * the instances that asked for every event (`watch(…, { broadcast: true })`).
   */
  | {
      readonly kind: "roster";
      readonly callId: string;
      readonly events: readonly RosterEvent[];
      readonly calls?: readonly CallStateEvent[];
      /** The events were too many bytes for the store to hand on: `events` is empty, and the roster is in the store. */
      readonly tooLarge?: true;
    }
  /** Changes may have been missed (the connection to the store was lost): read again whatever you wait on. */
  | { readonly kind: "resync" };

/**
 * The bot's state. Every method may be asynchronous. Operation records given and returned are copies: the tracker
 * changes them. A {@link RosterState} is immutable (the roster functions return a new one), so a store may keep and
 * return the very object it was given.
 *
 * Writes are compare-and-set: `putOperation` and `putRoster` write only when the stored revision is the one the
 * caller read (or, for revision 0, when nothing is stored under the key), and store the value at revision + 1.
 */
export interface BotStore {
  /**
   * How long the store keeps each kind of state. Optional for a store of your own; given, the bot tries the work of
   * an acknowledged delivery again (after a store failure) for as long as the delivery is retained, else for
   * `defaultRetention`'s.
   */
  readonly retention?: StoreRetention;
  /**
   * Records a delivery's key, atomically, for the deliveries' retention; resolves false when it was recorded before,
   * meaning the delivery is a duplicate. A store that several processes share keeps `body` too, until
   * {@link BotStore.finishDelivery}, so that if this process stops after answering Graph and before processing the
   * delivery, another can take it over.
   */
  claimDelivery(key: string, body?: Uint8Array): Promise<boolean>;
  /** The claimed delivery has been processed: its body can go. Only for a store that keeps bodies. */
  finishDelivery?(key: string): Promise<void>;
  /**
   * Deliveries claimed by a process that stopped before finishing them, now this one's: their keys and bodies as
   * received (authenticated when they were claimed), to be processed again. Only for a store that keeps bodies.
   */
  takeUnfinishedDeliveries?(): Promise<ReadonlyArray<{ readonly key: string; readonly body: string }>>;
  /**
   * Writes the record if the stored one is at `record.revision` (0: none with its clientContext). Resolves false,
   * writing nothing, when another writer changed it first. `record.revision` itself is left as it was.
   */
  putOperation(record: OperationRecord): Promise<boolean>;
  /**
   * A copy of the invite recorded with this clientContext (the key the bot correlates by); undefined when there is
   * none, or it is past its retention.
   */
  operationByContext(clientContext: string): Promise<OperationRecord | undefined>;
  /**
   * A copy of the invite whose Graph operation id this is, once a written record named it: how an operation
   * notification that carries no clientContext finds its invite. Undefined when none does.
   */
  operationById(operationId: string): Promise<OperationRecord | undefined>;
  /** Operations in the order they were created, of one call or of all. */
  operations(callId?: string): Promise<OperationRecord[]>;
  /**
   * Invites still waiting for their outcome (`sending` or `running`), all of them or those whose deadline is at or
   * before `dueBy` (epoch milliseconds): what an instance picks up when it starts, and ends when it is overdue.
   */
  pendingOperations(dueBy?: number): Promise<OperationRecord[]>;
  /**
   * Writes the roster if the stored one is at `roster.revision` (0: none for its call), and hands `events` and
   * `calls` (the call's state changes that came with them) to the other instances that watch with `broadcast`.
   * Resolves false, writing nothing, on a conflict.
   */
  putRoster(roster: RosterState, events: readonly RosterEvent[], calls?: readonly CallStateEvent[]): Promise<boolean>;
  /** The call's roster as last written; undefined when none was, or it is past its retention. */
  roster(callId: string): Promise<RosterState | undefined>;
  /** Keeps a notification the bot could not attach to anything, within the unmatched retention (count and bytes). */
  recordUnmatched(entry: UnmatchedNotification): Promise<void>;
  /** The unmatched notifications still retained, oldest first. */
  unmatched(): Promise<UnmatchedNotification[]>;
  /**
   * For a store that several processes share: calls `listener` with the changes that other processes (other
   * handles of the store) write and that concern this one, until the returned function is called: changes of the
   * invites it {@link BotStore.follow}s, and with `broadcast`, every roster change with its events. A store used by
   * one process leaves it out.
   */
  watch?(listener: (change: StoreChange) => void, options?: { readonly broadcast?: boolean }): () => void;
  /**
   * For a store that several processes share: asks that this process's {@link BotStore.watch} hear when another
   * changes the invite with this clientContext, or first names this Graph operation id. With `withFirstWrite`, the
   * wish may go with this process's first write of the invite (revision 0) instead of a write of its own. The wish
   * lapses when the invite ends.
   */
  follow?(
    interest: { readonly clientContext: string } | { readonly operationId: string },
    options?: { readonly withFirstWrite?: boolean },
  ): Promise<void>;
}
