// What the invite tracker promises its callers: the options of an invite, how it ended, and the errors it throws.
import type { InviteClient, InviteError } from "@graph-invite/client";
import type { ResultInfo } from "@graph-invite/types";
import type { CallKind } from "@graph-invite/validator";
import type { BotStore, OperationEvent, OperationRecord } from "./bot-store.js";
import type { KeyedQueue } from "./queue.js";
import type { RefusalSummary } from "./refusals.js";
import type { Telemetry } from "./telemetry.js";
import type { TimeSlices } from "./time-slices.js";

/** An invite rings for about a minute before Graph gives up, so a shorter wait would report live invites as lost. */
export const defaultInviteTimeoutMs = 180_000;

/** Options of {@link Bot.inviteAndWait}: how long to wait, and the facts the reference page's rules need. */
export interface InviteAndWaitOptions {
  /** How long to wait for the terminal notification, in milliseconds. Default `defaultInviteTimeoutMs` (180 000). */
  readonly timeoutMs?: number;
  /** Stops waiting (and sending, if it has not finished); the promise rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** The kind of call, for the reference page's rules (more than one participant only in a group call). */
  readonly callKind?: CallKind;
  /** Another bot is in the call already, so inviting one more is refused. */
  readonly botInCall?: boolean;
  /**
   * What to make of participants Graph would ignore (all but the first with `replacesCallId`, or when moving one):
   * `error` (the default) refuses the invite, `warning` sends it as it is.
   */
  readonly ignoredParticipants?: "error" | "warning";
}

/** How an invite ended, as {@link Bot.inviteAndWait} and {@link Bot.waitFor} resolve it. */
export interface InviteOutcome {
  /**
   * `completed` or `failed` from the terminal notification; `rejected` when Graph (or the checks before sending)
   * refused the invite; `timed-out` when no terminal notification came in time. A late one is still recorded.
   */
  readonly status: "completed" | "failed" | "rejected" | "timed-out";
  /** The call the participants were invited into. */
  readonly callId: string;
  /** The invite's correlation key: the body's `clientContext`, or one the bot made up. {@link Bot.waitFor} takes it. */
  readonly clientContext: string;
  /** Graph's id for the invite operation; null when Graph never named one (a rejected invite, a lost answer). */
  readonly operationId: string | null;
  /** For `failed`: Graph's code, subcode and message. */
  readonly resultInfo: ResultInfo | null;
  /** For `rejected`, and for a `timed-out` invite whose sending failed without a clear answer. */
  readonly error: InviteError | null;
  /** The bot's whole record of the invite as it ended, with its history of steps. */
  readonly record: OperationRecord;
  /**
   * For `timed-out`: the callbacks this instance refused while the invite waited, by reason, with the latest one's
   * detail. A wrong app id shows here as `wrong-audience`, with the expected and the received audience.
   */
  readonly refusedWhileWaiting?: readonly RefusalSummary[];
}

/** What {@link Bot.invite} resolves with once Graph has answered. */
export interface StartedInvite {
  /** The invite's correlation key: give it to `waitFor` to learn the outcome, from this instance or another. */
  readonly clientContext: string;
  /**
   * The bot's record of the invite as Graph's answer left it: `running` once Graph accepted it (`operationId` set),
   * `rejected` when Graph or the checks before sending refused it (`error` says why), `sending` with an ambiguous
   * `error` when the answer was lost, or already `completed`, `failed` or `timed-out`.
   */
  readonly operation: OperationRecord;
}

/** A step in an invite's life, with the record as it stands after it: the `operation` event. */
export interface OperationChange {
  /** The invite's record with the step applied (and in its history). */
  readonly record: OperationRecord;
  /** The step itself, as the history keeps it. */
  readonly step: OperationEvent;
}

/** The longest delay Node's timers honour (2^31 - 1 ms, about 24.8 days); a longer one fires at once. */
export const maxInviteTimeoutMs = 2 ** 31 - 1;

/**
 * An invite was given the `clientContext` of an earlier one with another call or body; Graph needs each to be unique.
 * (The same invite sent again with its `clientContext` is a retry, and reattaches to the first.)
 */
export class ClientContextInUse extends Error {
  constructor(
    /** The `clientContext` given to the new invite, which an earlier invite with another call or body holds. */
    readonly clientContext: string,
  ) {
    super(
      `clientContext ${clientContext} was used by an earlier invite with another call or body; Graph needs it to be unique.`,
    );
    this.name = "ClientContextInUse";
  }
}

/** {@link Bot.waitFor} was given a `clientContext` the store has no invite for. */
export class UnknownInvite extends Error {
  constructor(
    /** The `clientContext` that was asked for: never sent by a bot sharing this store, or past its retention. */
    readonly clientContext: string,
  ) {
    super(`no invite with clientContext ${clientContext} is in the store (never sent, or past its retention)`);
    this.name = "UnknownInvite";
  }
}

/** What the invite tracker works with: the client, the store, the queue it orders changes on, and its callbacks. */
export interface TrackerDeps {
  readonly client: InviteClient;
  readonly store: BotStore;
  readonly queue: KeyedQueue;
  /** Gives the event loop a turn between notifications. */
  readonly slices: TimeSlices;
  readonly defaultTimeoutMs: number;
  /** How often the invites waited on are read again, in case the store's news of a change was lost. */
  readonly recheckIntervalMs: number;
  readonly onChange: (change: OperationChange) => void;
  /** Keeps a notification that matches nothing the bot tracks. */
  readonly keepUnmatched: (callId: string | undefined, reason: string, notification: unknown) => Promise<void>;
  /** Metrics and traces; none when absent. */
  readonly telemetry?: Telemetry;
}
