// The default store: everything in this process's memory, lost when it exits, and bounded: each kind of state has a
// retention by age and by count (and by bytes for what senders control), so that a long-running bot, or a sender
// that keeps sending, cannot grow it without end. One process only: several instances share a RedisStore.

import type { BotStore, InviteStatus, OperationRecord, UnmatchedNotification } from "./bot-store.js";
import type { RosterEvent, RosterState } from "./call-state.js";
import { type Retention, type RetentionOverrides, retentionWith, type StoreRetention } from "./retention.js";

/** Options of {@link MemoryStore}: how long and how much it keeps. */
export interface MemoryStoreOptions {
  /** Overrides of {@link defaultRetention}, kind by kind and field by field. */
  readonly retention?: RetentionOverrides;
  /** The clock, in epoch milliseconds. Default `Date.now`. */
  readonly now?: () => number;
}

const waiting = new Set<InviteStatus>(["sending", "running"]);

/** The default store: everything in this process's memory, with the retention of {@link defaultRetention}. For several instances, `RedisStore`. */
export class MemoryStore implements BotStore {
  /** How long the store keeps each kind of state: {@link defaultRetention} with the options' overrides. */
  readonly retention: StoreRetention;
  private readonly deliveries: Aged<true>;
  private readonly byContext: Aged<OperationRecord>;
  private readonly contextById = new Map<string, string>();
  /** Each operation's place in creation order: the map itself is ordered by last change. */
  private readonly created = new Map<string, number>();
  private operationCount = 0;
  private readonly rosters: Aged<RosterState>;
  /** Each stored roster's size as JSON, and their sum: what the rosters' byte budget bounds. */
  private readonly rosterSizes = new Map<string, number>();
  private rosterBytes = 0;
  private rosterWritten: string | undefined;
  private readonly unmatchedLog: Aged<{ entry: UnmatchedNotification; bytes: number }>;
  private unmatchedBytes = 0;
  private unmatchedCount = 0;

  constructor(options: MemoryStoreOptions = {}) {
    this.retention = retentionWith(options.retention);
    const now = options.now ?? Date.now;
    this.deliveries = new Aged(this.retention.deliveries, now);
    this.byContext = new Aged(this.retention.operations, now, {
      evictable: (record) => !waiting.has(record.status),
      // An invite still waiting is kept for the operations' age after its deadline, however long that is.
      lifetime: (record) => {
        const deadline =
          waiting.has(record.status) && record.deadline !== null ? Date.parse(record.deadline) : Number.NaN;
        const maxAgeMs = this.retention.operations.maxAgeMs;
        return Number.isFinite(deadline) ? Math.max(maxAgeMs, deadline - now() + maxAgeMs) : maxAgeMs;
      },
      onEvict: (record) => {
        if (record.operationId !== null) this.contextById.delete(record.operationId);
        this.created.delete(record.clientContext);
      },
    });
    this.rosters = new Aged(this.retention.rosters, now, {
      // Never the roster being written: a roster over the whole budget is still kept, alone.
      evictable: (roster) => roster.callId !== this.rosterWritten,
      onEvict: (roster) => this.countRosterBytes(roster.callId, 0),
      overBudget: () => this.rosterBytes > this.retention.rosters.maxBytes,
    });
    this.unmatchedLog = new Aged(this.retention.unmatched, now, {
      onEvict: ({ bytes }) => {
        this.unmatchedBytes -= bytes;
      },
      overBudget: () => this.unmatchedBytes > this.retention.unmatched.maxBytes,
    });
  }

  /**
   * Records a delivery's key for the deliveries' retention; resolves false when it was recorded before, meaning the
   * delivery is a duplicate. Keeps no body: there is no other process to take the delivery over.
   */
  async claimDelivery(key: string): Promise<boolean> {
    if (this.deliveries.has(key)) return false;
    this.deliveries.set(key, true);
    return true;
  }

  /** {@inheritDoc BotStore.putOperation} */
  async putOperation(record: OperationRecord): Promise<boolean> {
    if ((this.byContext.get(record.clientContext)?.revision ?? 0) !== record.revision) return false;
    if (!this.created.has(record.clientContext)) this.created.set(record.clientContext, this.operationCount++);
    this.byContext.set(record.clientContext, { ...structuredClone(record), revision: record.revision + 1 });
    if (record.operationId !== null) this.contextById.set(record.operationId, record.clientContext);
    return true;
  }

  /** {@inheritDoc BotStore.operationByContext} */
  async operationByContext(clientContext: string): Promise<OperationRecord | undefined> {
    return copy(this.byContext.get(clientContext));
  }

  /** {@inheritDoc BotStore.operationById} */
  async operationById(operationId: string): Promise<OperationRecord | undefined> {
    const context = this.contextById.get(operationId);
    return context === undefined ? undefined : copy(this.byContext.get(context));
  }

  /** {@inheritDoc BotStore.operations} */
  async operations(callId?: string): Promise<OperationRecord[]> {
    return [...this.byContext.values()]
      .filter((record) => callId === undefined || record.callId === callId)
      .sort((a, b) => (this.created.get(a.clientContext) ?? 0) - (this.created.get(b.clientContext) ?? 0))
      .map((record) => structuredClone(record));
  }

  /** {@inheritDoc BotStore.pendingOperations} */
  async pendingOperations(dueBy?: number): Promise<OperationRecord[]> {
    const due = (record: OperationRecord) =>
      dueBy === undefined || (record.deadline !== null && Date.parse(record.deadline) <= dueBy);
    return [...this.byContext.values()]
      .filter((record) => waiting.has(record.status) && due(record))
      .map((record) => structuredClone(record));
  }

  // Kept as given, but for its revision: a roster is immutable, and copying it at every notification was a good part
  // of the work. The events are for other processes, and this store has none.
  /**
   * Writes the roster if the stored one is at `roster.revision` (0: none for its call); resolves false, writing
   * nothing, on a conflict. The events are not kept: there is no other process to hand them to.
   */
  async putRoster(roster: RosterState, _events: readonly RosterEvent[]): Promise<boolean> {
    if ((this.rosters.get(roster.callId)?.revision ?? 0) !== roster.revision) return false;
    this.countRosterBytes(roster.callId, JSON.stringify(roster).length);
    this.rosterWritten = roster.callId;
    this.rosters.set(roster.callId, { ...roster, revision: roster.revision + 1 });
    this.rosterWritten = undefined;
    return true;
  }

  private countRosterBytes(callId: string, bytes: number): void {
    this.rosterBytes += bytes - (this.rosterSizes.get(callId) ?? 0);
    if (bytes === 0) this.rosterSizes.delete(callId);
    else this.rosterSizes.set(callId, bytes);
  }

  /** {@inheritDoc BotStore.roster} */
  async roster(callId: string): Promise<RosterState | undefined> {
    return this.rosters.get(callId);
  }

  /** {@inheritDoc BotStore.recordUnmatched} */
  async recordUnmatched(entry: UnmatchedNotification): Promise<void> {
    const bytes = sizeOf(entry.notification);
    this.unmatchedBytes += bytes;
    this.unmatchedLog.set(String(this.unmatchedCount++), { entry: copyIfPossible(entry), bytes });
  }

  /** {@inheritDoc BotStore.unmatched} */
  async unmatched(): Promise<UnmatchedNotification[]> {
    return [...this.unmatchedLog.values()].map(({ entry }) => copyIfPossible(entry));
  }
}

interface AgedHooks<T> {
  /** How long an entry is kept from its last change; default the retention's age. */
  readonly lifetime?: (value: T) => number;
  /** Whether an entry may be dropped to keep the count; default yes. Age drops any entry. */
  readonly evictable?: (value: T) => boolean;
  readonly onEvict?: (value: T) => void;
  /** A budget beyond the count, such as bytes. */
  readonly overBudget?: () => boolean;
}

/**
 * A map that forgets: entries in the order they last changed, so the oldest is usually first and each write trims from
 * the front in constant time per entry dropped. (An entry with a longer lifetime can hold expired ones behind it;
 * those are dropped when read, or for count.)
 *
 * The order is kept in an array of `{ key, seq }` beside the map, read from `head`: a slot whose entry has changed
 * since (another `seq`) or gone is stale and skipped. Trimming from the front of the Map itself would cost time in
 * proportion to the entries deleted before it (a Map keeps their holes until it rehashes): at 10 000 entries, several
 * microseconds per write, on every delivery claimed once the store is full.
 */
class Aged<T> {
  private readonly entries = new Map<string, { value: T; expires: number; seq: number }>();
  private order: Array<{ readonly key: string; readonly seq: number }> = [];
  private head = 0;
  private seq = 0;

  constructor(
    private readonly retention: Retention,
    private readonly now: () => number,
    private readonly hooks: AgedHooks<T> = {},
  ) {}

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  get(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (this.now() > entry.expires) {
      this.delete(key, entry.value);
      return undefined;
    }
    return entry.value;
  }

  *values(): IterableIterator<T> {
    this.trim();
    const now = this.now();
    for (const { value, expires } of this.entries.values()) if (now <= expires) yield value;
  }

  set(key: string, value: T): void {
    const seq = this.seq++;
    // Deleted first, so that the map's own order is the order of last change too (values() reads it).
    this.entries.delete(key);
    this.entries.set(key, {
      value,
      expires: this.now() + (this.hooks.lifetime?.(value) ?? this.retention.maxAgeMs),
      seq,
    });
    this.order.push({ key, seq });
    this.trim();
  }

  /** The entry a slot of the order stands for, or undefined when the slot is stale. */
  private live(slot: { readonly key: string; readonly seq: number }) {
    const entry = this.entries.get(slot.key);
    return entry?.seq === slot.seq ? entry : undefined;
  }

  private trim(): void {
    const now = this.now();
    for (; this.head < this.order.length; this.head++) {
      const slot = this.order[this.head] as { key: string; seq: number };
      const entry = this.live(slot);
      if (entry === undefined) continue;
      if (entry.expires >= now) break;
      this.delete(slot.key, entry.value);
    }
    const tooMany = () => this.entries.size > this.retention.maxCount || this.hooks.overBudget?.() === true;
    if (tooMany()) {
      // Oldest first, passing over entries that must stay (invites still waiting: as many as the application has
      // in flight, never more).
      for (let index = this.head; index < this.order.length; index++) {
        const slot = this.order[index] as { key: string; seq: number };
        const entry = this.live(slot);
        if (entry === undefined || this.hooks.evictable?.(entry.value) === false) continue;
        this.delete(slot.key, entry.value);
        if (!tooMany()) break;
      }
    }
    this.compact();
  }

  /**
   * Keeps the order's array within about twice the entries: the slots read past are dropped once they are half of it,
   * and the stale ones behind a long-lived entry once they outnumber the entries. Each costs time in proportion to the
   * writes since the last, so O(1) per write.
   */
  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
    if (this.order.length - this.head <= 2 * this.entries.size + 1024) return;
    this.order = [];
    this.head = 0;
    for (const [key, { seq }] of this.entries) this.order.push({ key, seq });
  }

  private delete(key: string, value: T): void {
    this.entries.delete(key);
    this.hooks.onEvict?.(value);
  }
}

const copy = <T>(value: T | undefined): T | undefined => (value === undefined ? undefined : structuredClone(value));

/**
 * A copy, or the value itself when it is nested deeper than a structured clone can follow: what a sender sent is
 * kept either way, rather than lost to an error.
 */
function copyIfPossible<T>(value: T): T {
  try {
    return structuredClone(value);
  } catch {
    return value;
  }
}

/** About how many bytes an entry holds: its length as text or as JSON. */
function sizeOf(value: unknown): number {
  if (typeof value === "string") return value.length;
  try {
    return JSON.stringify(value)?.length ?? 0;
  } catch {
    // Too deep to serialise: count it as a whole delivery, the most a single notification can be.
    return 1024 * 1024;
  }
}
