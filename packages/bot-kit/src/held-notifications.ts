// Operation notifications that name only an operation id nobody knows yet. Graph may notify before it answers the
// invite, with `clientContext: null`; the answer will bring the id. So such a notification is held while some invite
// still waits for its answer (here, or on another instance sharing the store), and applied once its id is known;
// once no answer is awaited any more, it is kept as unmatched.

import type { OperationNotification } from "@graph-invite/validator";
import type { BotStore, OperationRecord } from "./bot-store.js";
import type { InviteWaiters } from "./invite-waiters.js";

/** The most id-only notifications held for an answer that may bring their id; beyond that they are unmatched. */
const maxHeld = 1000;

/** What the held notifications need of the tracker. */
export interface HeldNotificationsDeps {
  readonly store: BotStore;
  readonly waiters: InviteWaiters;
  /** Applies a notification to the record it turned out to be about. */
  readonly apply: (record: OperationRecord, notification: OperationNotification) => Promise<unknown>;
  /** Keeps a notification that matches nothing the bot tracks. */
  readonly keepUnmatched: (callId: string | undefined, reason: string, notification: unknown) => Promise<void>;
}

/** The notifications one tracker holds, by operation id. */
export class HeldNotifications {
  private readonly held = new Map<string, OperationNotification>();
  /** Whether, a moment ago, an invite in the shared store still waited for Graph's answer. */
  private sharedAnswersAwaited: { readonly at: number; readonly awaited: boolean } | undefined;

  constructor(private readonly deps: HeldNotificationsDeps) {}

  /** Whether a notification about this operation id is held. */
  has(operationId: string): boolean {
    return this.held.has(operationId);
  }

  /** How many notifications are held. */
  get size(): number {
    return this.held.size;
  }

  /**
   * A notification that matched no record: held when it names only an operation id and an answer that may bring it
   * is awaited, else kept as unmatched.
   */
  async holdOrKeep(notification: OperationNotification): Promise<void> {
    const { store } = this.deps;
    const { clientContext, operationId } = notification;
    if (clientContext !== null || operationId === null || this.held.size >= maxHeld || !(await this.answersAwaited())) {
      await this.unmatched(notification);
      return;
    }
    this.held.set(operationId, notification);
    if (store.follow === undefined) return;
    // Woken when another instance's write first names the id; one that named it before the wish was recorded is
    // found by reading again.
    await store.follow({ operationId });
    const named = await store.operationById(operationId);
    if (named !== undefined && this.held.delete(operationId)) await this.deps.apply(named, notification);
  }

  /** Applies the held notifications whose operation is known by now, and gives up on the rest once none can come. */
  async retry(): Promise<void> {
    for (const [operationId, notification] of this.held) {
      const record = await this.deps.store.operationById(operationId);
      if (record === undefined) continue;
      this.held.delete(operationId);
      await this.deps.apply(record, notification);
    }
    if (this.held.size === 0 || (await this.answersAwaited())) return;
    const rest = [...this.held.values()];
    this.held.clear();
    for (const notification of rest) await this.unmatched(notification);
  }

  private unmatched(notification: OperationNotification): Promise<void> {
    const { clientContext, operationId, status } = notification;
    return this.deps.keepUnmatched(
      notification.callId,
      `an operation notification (${status}) that matches no invite of this bot: clientContext ${clientContext ?? "null"}, id ${operationId ?? "null"}`,
      notification.notification,
    );
  }

  /**
   * Whether an invite still waits for Graph's answer, here or, with a shared store, on another instance: an answer
   * that may bring the id of a held notification.
   */
  private async answersAwaited(): Promise<boolean> {
    if (this.deps.waiters.anyUnanswered()) return true;
    if (this.deps.store.watch === undefined) return false;
    // The store's answer reads every invite in flight: a burst of id-only notifications reads them once a second,
    // not once each.
    const now = Date.now();
    if (this.sharedAnswersAwaited === undefined || now - this.sharedAnswersAwaited.at > 1000) {
      const pending = await this.deps.store.pendingOperations();
      this.sharedAnswersAwaited = { at: now, awaited: pending.some((record) => record.status === "sending") };
    }
    return this.sharedAnswersAwaited.awaited;
  }
}
