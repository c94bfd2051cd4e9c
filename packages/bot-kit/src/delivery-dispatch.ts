// What happens to a delivery once the receiver has acknowledged it: each notification goes to the invite tracker
// (operations) or to its call's roster and state, in order per call, and what could not be attached is kept as
// unmatched. A 202 is a promise, so work that fails on the store is tried again while the delivery is retained.
import {
  type CallNotification,
  type ClassifiedNotification,
  parseNotifications,
  type RejectedNotification,
  type RosterNotification,
} from "@graph-invite/validator";
import type { BotStore, StoreChange } from "./bot-store.js";
import type { BotEvents } from "./bot-types.js";
import type { CallStateEvent, RosterEvent } from "./call-state.js";
import { compareAndSet, lostRace } from "./compare-and-set.js";
import type { Emitter } from "./events.js";
import type { OperationTracker } from "./invite-tracker.js";
import { firstIssue } from "./parser-issues.js";
import { persist } from "./persist.js";
import type { KeyedQueue } from "./queue.js";
import { emptyRoster, RosterDraft } from "./roster.js";
import type { Telemetry } from "./telemetry.js";
import { nextTurn, type TimeSlices } from "./time-slices.js";

/** Work on a call, in the order it arrived: a batch of roster changes, or a change of the call's own state. */
type CallWork = RosterNotification | CallNotification;

/** Keeps a notification that matches nothing the bot tracks, and tells the `unmatched` listeners. */
export type KeepUnmatched = (callId: string | undefined, reason: string, notification: unknown) => Promise<void>;

/** What the dispatch works with: the same store, queue and tracker as the rest of the bot. */
export interface DispatchDeps {
  /** The store, its failures marked (see persist.ts) so that work that failed on it is tried again. */
  readonly store: BotStore;
  readonly tracker: OperationTracker;
  readonly queue: KeyedQueue;
  /** Gives the event loop a turn between notifications. */
  readonly slices: TimeSlices;
  readonly events: Emitter<BotEvents>;
  readonly telemetry: Telemetry;
  readonly keepUnmatched: KeepUnmatched;
  /** How long a delivery is retained, from its claim: how long its work is tried again. */
  readonly deliveryRetentionMs: number;
  /** Every roster and call event is emitted on every instance sharing the store, not only the one that processed it. */
  readonly broadcast: boolean;
  /** Whether the bot has stopped: work that failed is not tried again then. */
  readonly stopped: () => boolean;
}

/** The queue key of taking over other instances' unfinished deliveries, and the prefix of finishing one. */
export const finishing = "\u0000deliveries";

/** Routes acknowledged deliveries to the tracker and the rosters, and store changes of other instances back. */
export class DeliveryDispatch {
  constructor(private readonly deps: DispatchDeps) {}

  /**
   * Queues a delivery's notifications, and once every one is processed tells the store the delivery is finished
   * (a shared store then forgets the body it kept in case this instance stopped first).
   */
  dispatch(
    notifications: readonly ClassifiedNotification[],
    key: string | undefined,
    rejected: readonly RejectedNotification[] = [],
  ): void {
    const { queue, tracker, telemetry } = this.deps;
    const span = telemetry.startProcessing(notifications.length + rejected.length);
    // Processing starts on a later turn, after the answer has been written.
    const answered = nextTurn();
    const attempt = this.persistent();
    const calls = new Map<string, CallWork[]>();
    const work: Array<Promise<void>> = [];
    const keep = (callId: string | undefined, reason: string, notification: unknown) =>
      work.push(
        queue.run("", async () => {
          await answered;
          await attempt(() => this.deps.keepUnmatched(callId, reason, notification));
        }),
      );
    // A notification of the delivery that could not be read is kept with why: Graph will not send it again.
    for (const { pointer, errors, notification } of rejected) {
      keep(callIdOf(notification), `a notification the parser refused: ${firstIssue(errors, pointer)}`, notification);
    }
    for (const notification of notifications) {
      // Operations have a queue of their own, shared with Graph's answers to the invites, so that each record
      // changes in the order things arrived. Rosters and call states are processed in order within each call.
      if (notification.kind === "operation") {
        work.push(tracker.onOperation(notification, answered, attempt, span));
      } else if (
        (notification.kind === "roster" || notification.kind === "call") &&
        notification.callId !== undefined
      ) {
        const items = calls.get(notification.callId) ?? [];
        items.push(notification);
        calls.set(notification.callId, items);
      } else {
        keep(notification.callId, unattachable(notification.kind), notification.notification);
      }
    }
    for (const [callId, items] of calls) {
      work.push(
        queue.run(callId, async () => {
          await answered;
          await attempt(() => this.processCall(callId, items));
        }),
      );
    }
    this.finish(key, work);
    if (span !== undefined) void Promise.allSettled(work).then(() => span.end());
  }

  /** A delivery the parser refused as a whole: its body is kept as unmatched, with why. */
  keepInvalid(body: string, reason: string, key: string | undefined): void {
    // Kept on the queue of deliveries without a call, so that idle() covers it.
    const attempt = this.persistent();
    const kept = this.deps.queue.run("", () => attempt(() => this.deps.keepUnmatched(undefined, reason, body)));
    this.finish(key, [kept]);
  }

  /** Takes over the deliveries of instances that stopped after answering Graph and before processing. */
  async recoverDeliveries(): Promise<void> {
    const { store, slices, telemetry } = this.deps;
    for (const { key, body } of (await store.takeUnfinishedDeliveries?.()) ?? []) {
      // Each body may be a megabyte to parse: the event loop gets a turn between them.
      await slices.pace();
      const parsed = parseNotifications(body, { mode: "tolerant" });
      telemetry.takenOver();
      if (parsed.ok) {
        this.dispatch(parsed.notifications, key, parsed.rejected);
      } else {
        // The stopped instance had answered 400 and not yet kept the body: it is kept here, as it would have been.
        const reason = `a delivery taken over from a stopped instance, which the parser refused: ${firstIssue(parsed.errors)}`;
        this.keepInvalid(body, reason, key);
      }
    }
  }

  /**
   * What other instances sharing the store changed: news of the invites waited on here, and when every event is
   * broadcast, the roster and call events they processed.
   */
  onStoreChange(change: StoreChange): void {
    const { events } = this.deps;
    if (change.kind !== "roster") {
      void this.deps.tracker.onStoreChange(change);
      return;
    }
    if (!this.deps.broadcast) return;
    if (change.tooLarge === true) {
      const message = `the events of a roster change of call ${change.callId} were too large to broadcast (the store's inbox budget): read bot.roster()`;
      events.emit("error", new Error(message));
    }
    for (const event of change.calls ?? []) events.emit("call", event);
    for (const event of change.events) events.emit("roster", event);
  }

  /** Runs a delivery's work until the store takes it, while the delivery is retained: a 202 is a promise. */
  private persistent(): (work: () => Promise<void>) => Promise<void> {
    const { events, stopped } = this.deps;
    const until = Date.now() + this.deps.deliveryRetentionMs;
    return (work) => persist(work, { until, failed: (error) => events.emit("error", error), stopped });
  }

  /**
   * Applies a delivery's work on one call: the roster is read and written once, however many notifications, and
   * what changed is announced once it is stored. When another instance wrote the roster in between, the work is
   * done again on the roster it wrote.
   */
  private async processCall(callId: string, work: readonly CallWork[]): Promise<void> {
    const { store, slices, events } = this.deps;
    // Broadcast call events travel with a roster write, so a call's state change writes its roster too.
    const needsRoster = work.some((item) => item.kind === "roster" || endsCall(item) || this.deps.broadcast);
    const announcements = await compareAndSet(`the roster of call ${callId}`, async () => {
      const stored = needsRoster ? await store.roster(callId) : undefined;
      const draft = needsRoster ? new RosterDraft(stored ?? emptyRoster(callId)) : undefined;
      const { announcements, rosterEvents, callEvents } = await this.apply(callId, work, draft);
      const written = draft === undefined || (await store.putRoster(draft.state(), rosterEvents, callEvents));
      if (!written) return lostRace;
      if (draft !== undefined && draft.refused > 0) {
        const full = new Error(`the roster of call ${callId} is full: ${draft.refused} participants were not added`);
        announcements.push(() => events.emit("error", full));
      }
      return announcements;
    });
    for (const announce of announcements) {
      await slices.pace();
      announce();
    }
  }

  /** A call's work applied to the roster's draft: the events to store with it, and to announce once it is stored. */
  private async apply(callId: string, work: readonly CallWork[], draft: RosterDraft | undefined) {
    const { slices, events } = this.deps;
    const announcements: Array<() => void> = [];
    const rosterEvents: RosterEvent[] = [];
    const callEvents: CallStateEvent[] = [];
    for (const item of work) {
      await slices.pace();
      if (item.kind === "call") {
        const event: CallStateEvent = {
          callId,
          changeType: item.changeType,
          state: item.state,
          resultInfo: item.resultInfo,
        };
        callEvents.push(event);
        announcements.push(() => events.emit("call", event));
      }
      const changes = item.kind === "roster" ? draft?.apply(item) : endsCall(item) ? draft?.end() : undefined;
      for (const event of changes ?? []) {
        rosterEvents.push(event);
        announcements.push(() => events.emit("roster", event));
      }
    }
    return { announcements, rosterEvents, callEvents };
  }

  /** Once `work` is done, the delivery's body can go from a store that keeps it; idle() covers the write. */
  private finish(key: string | undefined, work: ReadonlyArray<Promise<void>>): void {
    const { store, queue } = this.deps;
    if (key === undefined || store.finishDelivery === undefined) return;
    void queue.run(`${finishing}${key}`, async () => {
      await Promise.all(work);
      await store.finishDelivery?.(key);
    });
  }
}

/** Why a notification that is no operation, or names no call, is kept as unmatched. */
function unattachable(kind: ClassifiedNotification["kind"]): string {
  return kind === "roster"
    ? "a roster whose resourceUrl names no call"
    : kind === "call"
      ? "a call notification that names no call"
      : "neither an operation, a roster nor a call";
}

/** The call a notification names in its path, when it names one: an unreadable notification is still filed by call. */
function callIdOf(notification: unknown): string | undefined {
  if (notification === null || typeof notification !== "object") return undefined;
  const { resourceUrl, resource } = notification as { resourceUrl?: unknown; resource?: unknown };
  const path = typeof resourceUrl === "string" ? resourceUrl : typeof resource === "string" ? resource : "";
  return /\/calls\/([^/?#]+)/i.exec(path)?.[1];
}

/** A call that was terminated or deleted has ended: everyone in it left. */
function endsCall(notification: CallWork): boolean {
  return notification.kind === "call" && (notification.state === "terminated" || notification.changeType === "deleted");
}
