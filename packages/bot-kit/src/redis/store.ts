// A store that several instances of a bot share: records as JSON in Redis hashes next to their revision, each
// write a Lua script that compares the revision, keeps the indexes and appends the change to a feed the other
// instances read. Every key has a time to live and every index a count, from the same retention as MemoryStore.
import { randomUUID } from "node:crypto";
import type { BotStore, InviteStatus, OperationRecord, StoreChange, UnmatchedNotification } from "../bot-store.js";
import type { CallStateEvent, RosterEvent, RosterState } from "../call-state.js";
import { maxInviteTimeoutMs } from "../invite-types.js";
import { retentionWith, type StoreRetention } from "../retention.js";
import { sharedTelemetry } from "../telemetry.js";
import { inboxLifetime, parsed, retried, serialise, writeToken } from "./commands.js";
import { type AnyRedisConnection, type Script, type Send, senderOf, texts } from "./connection.js";
import { FeedReader } from "./feed.js";
import { FinishedBatch } from "./finished-deliveries.js";
import { decodeId, encodeId, StoreKeys } from "./keys.js";
import { scripts as compiled } from "./scripts.js";
import type { RedisStoreInstruments, RedisStoreOptions, UnfinishedDelivery } from "./store-options.js";

export type { AnyRedisConnection, RedisClusterConnection, RedisConnection } from "./connection.js";

const waiting = new Set<InviteStatus>(["sending", "running"]);

const utf8 = new TextDecoder("utf-8");

let instrumentsOf: (store: RedisStore) => RedisStoreInstruments;

/** The store's origin and how many commands it has sent so far: for tests and benchmarks, not for a bot. */
export function redisStoreInstruments(store: RedisStore): RedisStoreInstruments {
  return instrumentsOf(store);
}

/**
 * A store in one Redis server (or a primary with replicas) or in Redis Cluster, shared by every instance of the bot:
 * each change wakes the instances that wait on it, wherever its news arrives.
 */
export class RedisStore implements BotStore {
  /**
   * How long and how much the store keeps of each kind of state: the default retention with the options' overrides,
   * as each key's time to live and each index's count.
   */
  readonly retention: StoreRetention;
  /** Marks the feed entries written through this handle, which its own bot has acted on already. */
  private readonly origin = randomUUID();
  private readonly client: AnyRedisConnection;
  private readonly sendRaw: Send;
  private readonly keys: StoreKeys;
  private readonly feedLength: string;
  private readonly inboxEntryBytes: number;
  private readonly feedBlockMs: number;
  private readonly retryForMs: number;
  private readonly heartbeatMs: number;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  /** Deliveries finished since the last write of them. */
  private readonly finished = new FinishedBatch((keys) =>
    this.run(compiled.finishDeliveries, [this.keys.unfinishedIndex], [this.keys.space, ...keys.map(encodeId)]),
  );
  private readonly listeners = new Set<(change: StoreChange) => void>();
  private feed: FeedReader | undefined;
  /** Invites whose first write through this handle also asks to be woken when they change. */
  private readonly followWithWrite = new Set<string>();
  /** The last {@link RedisStore.orderScore}. */
  private lastScore = 0;
  /** How many watchers asked for every roster change. */
  private broadcasting = 0;
  private sent = 0;

  constructor(options: RedisStoreOptions) {
    this.client = options.client;
    this.sendRaw = senderOf(options.client);
    this.keys = new StoreKeys(options.prefix ?? "graph-invite:");
    this.retention = retentionWith(options.retention);
    const inboxBytes = options.inboxBytes ?? 4 * 1024 * 1024;
    this.inboxEntryBytes = Math.floor(inboxBytes / 64);
    // An inbox's entries are each within a 64th of its bytes, so 64 of them at most keep it within its budget.
    this.feedLength = String(Math.min(options.feedLength ?? 64, 64));
    this.feedBlockMs = options.feedBlockMs ?? 5_000;
    this.retryForMs = options.retryForMs ?? 15_000;
    // Starts loading OpenTelemetry's API, if installed, so that the first retry is counted.
    sharedTelemetry();
    this.heartbeatMs = options.heartbeatMs ?? 3_000;
  }

  /**
   * Claims the delivery and keeps its body until {@link RedisStore.finishDelivery}: if this instance stops before,
   * another takes the delivery over with {@link RedisStore.takeUnfinishedDeliveries}.
   */
  async claimDelivery(key: string, body?: Uint8Array): Promise<boolean> {
    const { maxAgeMs, maxCount } = this.retention.deliveries;
    // The deliveries finished since the last claim go with this one.
    const finished = this.finished.take();
    try {
      const claimed = await this.run(
        compiled.claimDelivery,
        [
          this.keys.delivery(key),
          this.keys.claims,
          this.keys.unfinished(key),
          this.keys.unfinishedIndex,
          this.keys.instance(this.origin),
        ],
        [
          String(maxAgeMs),
          this.orderScore(),
          String(maxCount),
          randomUUID(),
          body === undefined ? "" : utf8.decode(body),
          this.origin,
          this.signOfLife(),
          encodeId(key),
          this.keys.space,
          ...(finished?.keys.map(encodeId) ?? []),
        ],
      );
      finished?.settle();
      return Number(claimed) === 1;
    } catch (error) {
      finished?.settle(error);
      throw error;
    }
  }

  /**
   * Forgets the delivery's body: with the next claim, or on its own after a fifth of a second without one. Resolves
   * once written.
   */
  finishDelivery(key: string): Promise<void> {
    return this.finished.add(key);
  }

  /**
   * Deliveries claimed at least `claimedBeforeMs` ago by instances that are no longer alive, now this instance's:
   * their keys and bodies, to be processed again. At most 100 at a time.
   */
  async takeUnfinishedDeliveries(claimedBeforeMs = this.heartbeatMs): Promise<UnfinishedDelivery[]> {
    const now = Date.now();
    const reply = await this.run(
      compiled.takeUnfinishedDeliveries,
      [this.keys.unfinishedIndex],
      [this.keys.space, String(now - claimedBeforeMs), this.origin, String(now), "100", this.signOfLife()],
    );
    const flat = texts(reply);
    const taken: UnfinishedDelivery[] = [];
    for (let index = 0; index + 1 < flat.length; index += 2) {
      taken.push({ key: decodeId(flat[index] as string), body: flat[index + 1] as string });
    }
    return taken;
  }

  /** {@inheritDoc BotStore.putOperation} */
  async putOperation(record: OperationRecord): Promise<boolean> {
    const { maxAgeMs, maxCount } = this.retention.operations;
    const pending = waiting.has(record.status) && record.deadline !== null;
    const deadline = pending ? Date.parse(record.deadline ?? "") : Number.NaN;
    // An invite still waiting is kept for its retention after its deadline, however long that is.
    const ttl = Number.isFinite(deadline) ? Math.max(maxAgeMs, deadline - Date.now() + maxAgeMs) : maxAgeMs;
    const change: StoreChange = {
      kind: "operation",
      clientContext: record.clientContext,
      operationId: record.operationId,
    };
    const written = await this.run(
      compiled.putOperation,
      [
        this.keys.operation(record.clientContext),
        this.keys.operations,
        this.keys.callOperations(record.callId),
        this.keys.pending,
        this.keys.operationOrder,
      ],
      [
        String(record.revision),
        String(record.revision + 1),
        JSON.stringify({ ...record, revision: record.revision + 1 }),
        String(Math.ceil(ttl)),
        encodeId(record.clientContext),
        record.operationId === null ? "" : encodeId(record.operationId),
        Number.isFinite(deadline) ? String(deadline) : "",
        JSON.stringify(change),
        this.origin,
        String(maxCount),
        this.feedLength,
        this.keys.space,
        writeToken(),
        record.revision === 0 && this.followWithWrite.delete(record.clientContext) ? this.origin : "",
        String(maxAgeMs + maxInviteTimeoutMs),
        String(this.inboxEntryBytes),
        String(Date.now()),
      ],
    );
    return Number(written) === 1;
  }

  /**
   * Asks to be woken (through {@link RedisStore.watch}) when another instance changes the invite with this
   * clientContext, or first names this operation id. With `withFirstWrite`, the invite's first write through this
   * handle carries the wish, at no round trip of its own. Nobody waits on an invite that has ended: the wish lapses
   * with it.
   */
  async follow(
    interest: { readonly clientContext: string } | { readonly operationId: string },
    options: { readonly withFirstWrite?: boolean } = {},
  ): Promise<void> {
    if ("clientContext" in interest && options.withFirstWrite === true) {
      this.followWithWrite.add(interest.clientContext);
      return;
    }
    const { maxAgeMs } = this.retention.operations;
    if ("clientContext" in interest) {
      await this.run(
        compiled.followInvite,
        [this.keys.operation(interest.clientContext)],
        [this.origin, String(maxAgeMs)],
      );
      return;
    }
    await this.run(compiled.follow, [this.keys.held(interest.operationId)], [this.origin, String(maxAgeMs)]);
  }

  /** {@inheritDoc BotStore.operationByContext} */
  async operationByContext(clientContext: string): Promise<OperationRecord | undefined> {
    return parsed(await this.send(["HGET", this.keys.operation(clientContext), "data"]));
  }

  /** {@inheritDoc BotStore.operationById} */
  async operationById(operationId: string): Promise<OperationRecord | undefined> {
    return parsed(await this.run(compiled.operationById, [this.keys.operationId(operationId)], [this.keys.space]));
  }

  /** {@inheritDoc BotStore.operations} */
  async operations(callId?: string): Promise<OperationRecord[]> {
    const index = callId === undefined ? this.keys.operations : this.keys.callOperations(callId);
    return this.readOperations(index, texts(await this.send(["ZRANGE", index, "0", "-1"])));
  }

  /** {@inheritDoc BotStore.pendingOperations} */
  async pendingOperations(dueBy?: number): Promise<OperationRecord[]> {
    const index = this.keys.pending;
    const upTo = dueBy === undefined ? "+inf" : String(dueBy);
    const contexts = texts(await this.send(["ZRANGEBYSCORE", index, "-inf", upTo]));
    const records = await this.readOperations(index, contexts);
    return records.filter((record) => waiting.has(record.status));
  }

  /** {@inheritDoc BotStore.putRoster} */
  async putRoster(
    roster: RosterState,
    events: readonly RosterEvent[],
    calls: readonly CallStateEvent[] = [],
  ): Promise<boolean> {
    const { maxAgeMs, maxCount, maxBytes } = this.retention.rosters;
    const change: StoreChange = { kind: "roster", callId: roster.callId, events, ...(calls.length > 0 && { calls }) };
    const tooLarge: StoreChange = { kind: "roster", callId: roster.callId, events: [], tooLarge: true };
    const written = await this.run(
      compiled.putRoster,
      [this.keys.roster(roster.callId), this.keys.rosters, this.keys.broadcast, this.keys.rosterBytes],
      [
        String(roster.revision),
        String(roster.revision + 1),
        JSON.stringify({ ...roster, revision: roster.revision + 1 }),
        String(maxAgeMs),
        this.orderScore(),
        JSON.stringify(change),
        this.origin,
        String(maxCount),
        this.feedLength,
        writeToken(),
        this.keys.space,
        String(maxBytes),
        JSON.stringify(tooLarge),
        String(this.inboxEntryBytes),
      ],
    );
    return Number(written) === 1;
  }

  /** {@inheritDoc BotStore.roster} */
  async roster(callId: string): Promise<RosterState | undefined> {
    return parsed(await this.send(["HGET", this.keys.roster(callId), "data"]));
  }

  /** {@inheritDoc BotStore.recordUnmatched} */
  async recordUnmatched(entry: UnmatchedNotification): Promise<void> {
    const { maxAgeMs, maxCount, maxBytes } = this.retention.unmatched;
    await this.run(
      compiled.recordUnmatched,
      [this.keys.unmatched, this.keys.unmatchedBytes],
      [serialise(entry), String(maxCount), String(maxBytes), String(maxAgeMs)],
    );
  }

  /** {@inheritDoc BotStore.unmatched} */
  async unmatched(): Promise<UnmatchedNotification[]> {
    const oldest = Date.now() - this.retention.unmatched.maxAgeMs;
    const entries = texts(await this.send(["LRANGE", this.keys.unmatched, "0", "-1"]));
    // Newest first in the list; oldest first for the caller, as MemoryStore gives them.
    return entries
      .reverse()
      .map((entry) => JSON.parse(entry) as UnmatchedNotification)
      .filter((entry) => !(Date.parse(entry.at) < oldest));
  }

  /**
   * Changes other handles (other instances) wrote that concern this one: the invites it follows, and with
   * `broadcast`, every roster change. They arrive in this instance's inbox, a stream read on a connection of its own.
   * While anyone watches, the store also tells the others that this instance is alive.
   */
  watch(listener: (change: StoreChange) => void, options: { readonly broadcast?: boolean } = {}): () => void {
    this.listeners.add(listener);
    if (options.broadcast === true) this.broadcasting++;
    const beat = () => {
      const until = this.broadcasting > 0 ? String(Date.now() + this.heartbeatMs) : "";
      this.run(
        compiled.heartbeat,
        [this.keys.instance(this.origin), this.keys.inbox(this.origin), this.keys.broadcast],
        [String(this.heartbeatMs), String(inboxLifetime(this.heartbeatMs)), this.origin, until, String(Date.now())],
      ).catch(() => {});
    };
    // At once, so that the inbox exists before anyone is asked to write to it.
    beat();
    this.heartbeat ??= setInterval(beat, this.heartbeatMs / 3);
    this.heartbeat.unref();
    this.feed ??= new FeedReader({
      connection: this.client,
      key: this.keys.inbox(this.origin),
      origin: this.origin,
      blockMs: this.feedBlockMs,
      onChange: (change) => {
        for (const each of this.listeners) each(change);
      },
    });
    return () => {
      if (!this.listeners.delete(listener)) return;
      if (options.broadcast === true) this.broadcasting--;
      if (this.listeners.size > 0) return;
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
      void this.feed?.stop();
      this.feed = undefined;
    };
  }

  static {
    instrumentsOf = (store) => ({ origin: store.origin, commandsSent: store.sent });
  }

  /**
   * How long the sign of life a claim or a take-over look gives lasts, or '' for none: an instance that watches gives
   * its own, on a timer.
   */
  private signOfLife(): string {
    return this.heartbeat === undefined ? String(this.heartbeatMs) : "";
  }

  /**
   * Now, in ms, as the score of an entry in a retention index: never the same twice through one handle, so that the
   * oldest goes first even among writes of one millisecond.
   */
  private orderScore(): string {
    this.lastScore = Math.max(Date.now(), this.lastScore + 0.001);
    return this.lastScore.toFixed(3);
  }

  /** One command, counted; `key` is its first key, which names the cluster node to send it to. */
  private readonly command: Send = (key, args) => {
    this.sent++;
    return this.sendRaw(key, args);
  };

  /** One command whose first key is its second argument, sent again while its failure is the connection's. */
  private send(args: string[]): Promise<unknown> {
    return retried(() => this.command(args[1] ?? "", args), this.retryForMs);
  }

  private run(script: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    return retried(() => script.run(this.command, keys, args), this.retryForMs);
  }

  private async readOperations(index: string, contexts: readonly string[]): Promise<OperationRecord[]> {
    if (contexts.length === 0) return [];
    const reply = await this.run(compiled.readOperations, [index], [this.keys.space, ...contexts]);
    return texts(reply).map((data) => JSON.parse(data) as OperationRecord);
  }
}
