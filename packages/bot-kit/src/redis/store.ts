// A store that several instances of a bot share: records as JSON in Redis hashes next to their revision, each
// write a Lua script that compares the revision, keeps the indexes and appends the change to a feed the other
// instances read. Every key has a time to live and every index a count, from the same retention as MemoryStore.
import { randomBytes, randomUUID } from "node:crypto";
import { type RetentionOverrides, retentionWith, type StoreRetention } from "../retention.js";
import type { RosterEvent } from "../roster.js";
import type {
  BotStore,
  InviteStatus,
  OperationRecord,
  RosterState,
  StoreChange,
  UnmatchedNotification,
} from "../store.js";
import { sharedTelemetry } from "../telemetry.js";
import { type RedisConnection, Script, text, texts } from "./connection.js";
import { FeedReader } from "./feed.js";
import * as scripts from "./scripts.js";

export type { RedisConnection } from "./connection.js";

/** Options of {@link RedisStore}: the connected client, the key prefix, and the retention. */
export interface RedisStoreOptions {
  /**
   * A connected node-redis client (`createClient({ url })` from `redis`, then `await client.connect()`). The store
   * does not close it; it opens one more connection, with `duplicate()`, while anyone watches its changes.
   */
  readonly client: RedisConnection;
  /** Put before every key, so that several bots (or other data) can share a database. Default `graph-invite:`. */
  readonly prefix?: string;
  /** Overrides of the default retention, kind by kind and field by field: the same figures as MemoryStore's. */
  readonly retention?: RetentionOverrides;
  /**
   * How many changes the feed keeps (about: Redis trims it in whole blocks). An instance that loses its connection
   * for longer than it takes the others to write this many reads the store again instead. Default 10 000.
   */
  readonly feedLength?: number;
  /** How long one read of the feed blocks before it is sent again. Default 5 000 ms. */
  readonly feedBlockMs?: number;
  /**
   * How long a command is tried again when the connection fails under it (a Redis restart, a failover), while the
   * client reconnects. Every write is a compare-and-set and every claim carries a token, so sending one again is
   * safe. Default 15 000 ms.
   */
  readonly retryForMs?: number;
  /**
   * How long an instance counts as alive after its last sign of life; it gives one every third of this while its
   * bot follows the store. A delivery claimed by an instance that is no longer alive is taken over by another.
   * Default 3 000 ms.
   */
  readonly heartbeatMs?: number;
}

/** A delivery another instance claimed and did not finish: its key and its body as received. */
export interface UnfinishedDelivery {
  readonly key: string;
  readonly body: string;
}

const waiting = new Set<InviteStatus>(["sending", "running"]);

/**
 * How long finished deliveries wait for the next claim to carry them (at no round trip of their own) before they are
 * written on their own.
 */
const finishWaitMs = 200;

/** Finished deliveries not yet written, and whoever waits for them to be. */
class FinishedDeliveries {
  readonly keys: string[] = [];
  readonly written: Promise<void>;
  settle: (error?: unknown) => void = () => {};

  constructor(readonly timer: ReturnType<typeof setTimeout>) {
    this.written = new Promise<void>((resolve, reject) => {
      this.settle = (error) => (error === undefined ? resolve() : reject(error));
    });
  }
}

const utf8 = new TextDecoder("utf-8");

/** What the store's scripts run: claim, write and read each in one round trip. */
const compiled = {
  claimDelivery: new Script(scripts.claimDelivery),
  finishDeliveries: new Script(scripts.finishDeliveries),
  takeUnfinishedDeliveries: new Script(scripts.takeUnfinishedDeliveries),
  putOperation: new Script(scripts.putOperation),
  readOperations: new Script(scripts.readOperations),
  operationById: new Script(scripts.operationById),
  putRoster: new Script(scripts.putRoster),
  recordUnmatched: new Script(scripts.recordUnmatched),
};

/**
 * A store in Redis (or a Redis primary with replicas), shared by every instance of the bot, with a change feed that wakes
 * each waiter wherever its invite's news arrives.
 */
export class RedisStore implements BotStore {
  readonly retention: StoreRetention;
  /** Marks the feed entries written through this handle, which its own bot has acted on already. */
  readonly origin = randomUUID();
  private readonly client: RedisConnection;
  private readonly prefix: string;
  private readonly feedLength: string;
  private readonly feedBlockMs: number;
  private readonly retryForMs: number;
  private readonly heartbeatMs: number;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  /** Deliveries finished since the last write of them. */
  private finished: FinishedDeliveries | undefined;
  private readonly listeners = new Set<(change: StoreChange) => void>();
  private feed: FeedReader | undefined;
  private sent = 0;

  constructor(options: RedisStoreOptions) {
    this.client = options.client;
    this.prefix = options.prefix ?? "graph-invite:";
    this.retention = retentionWith(options.retention);
    this.feedLength = String(options.feedLength ?? 10_000);
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
    const finished = this.takeFinished();
    try {
      const claimed = await this.run(
        compiled.claimDelivery,
        [
          this.key("delivery:", key),
          this.key("deliveries"),
          this.key("inbox:", key),
          this.key("inbox"),
          this.key("instance:", this.origin),
        ],
        [
          String(maxAgeMs),
          String(Date.now()),
          String(maxCount),
          randomUUID(),
          body === undefined ? "" : utf8.decode(body),
          this.origin,
          String(this.heartbeatMs),
          key,
          this.prefix,
          ...(finished?.keys ?? []),
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
    this.finished ??= new FinishedDeliveries(setTimeout(() => void this.writeFinished(), finishWaitMs));
    this.finished.keys.push(key);
    return this.finished.written;
  }

  private takeFinished(): FinishedDeliveries | undefined {
    const finished = this.finished;
    this.finished = undefined;
    if (finished !== undefined) clearTimeout(finished.timer);
    return finished;
  }

  private async writeFinished(): Promise<void> {
    const finished = this.takeFinished();
    if (finished === undefined) return;
    try {
      await this.run(compiled.finishDeliveries, [this.key("inbox")], [this.prefix, ...finished.keys]);
      finished.settle();
    } catch (error) {
      finished.settle(error);
    }
  }

  /**
   * Deliveries claimed at least `claimedBeforeMs` ago by instances that are no longer alive, now this instance's:
   * their keys and bodies, to be processed again. At most 100 at a time.
   */
  async takeUnfinishedDeliveries(claimedBeforeMs = this.heartbeatMs): Promise<UnfinishedDelivery[]> {
    const now = Date.now();
    const reply = await this.run(
      compiled.takeUnfinishedDeliveries,
      [this.key("inbox")],
      [this.prefix, String(now - claimedBeforeMs), this.origin, String(now), "100", String(this.heartbeatMs)],
    );
    const flat = texts(reply);
    const taken: UnfinishedDelivery[] = [];
    for (let index = 0; index + 1 < flat.length; index += 2) {
      taken.push({ key: flat[index] as string, body: flat[index + 1] as string });
    }
    return taken;
  }

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
        this.key("op:", record.clientContext),
        this.key("ops"),
        this.key("call-ops:", record.callId),
        this.key("pending"),
        this.key("op-order"),
        this.key("changes"),
      ],
      [
        String(record.revision),
        String(record.revision + 1),
        JSON.stringify({ ...record, revision: record.revision + 1 }),
        String(Math.ceil(ttl)),
        record.clientContext,
        record.operationId ?? "",
        Number.isFinite(deadline) ? String(deadline) : "",
        JSON.stringify(change),
        this.origin,
        String(maxCount),
        this.feedLength,
        this.prefix,
        writeToken(),
      ],
    );
    return Number(written) === 1;
  }

  async operationByContext(clientContext: string): Promise<OperationRecord | undefined> {
    return parsed(await this.send(["HGET", this.key("op:", clientContext), "data"]));
  }

  async operationById(operationId: string): Promise<OperationRecord | undefined> {
    return parsed(await this.run(compiled.operationById, [this.key("op-id:", operationId)], [this.prefix]));
  }

  async operations(callId?: string): Promise<OperationRecord[]> {
    const index = callId === undefined ? this.key("ops") : this.key("call-ops:", callId);
    return this.readOperations(index, texts(await this.send(["ZRANGE", index, "0", "-1"])));
  }

  async pendingOperations(dueBy?: number): Promise<OperationRecord[]> {
    const index = this.key("pending");
    const upTo = dueBy === undefined ? "+inf" : String(dueBy);
    const contexts = texts(await this.send(["ZRANGEBYSCORE", index, "-inf", upTo]));
    const records = await this.readOperations(index, contexts);
    return records.filter((record) => waiting.has(record.status));
  }

  async putRoster(roster: RosterState, events: readonly RosterEvent[]): Promise<boolean> {
    const { maxAgeMs, maxCount } = this.retention.rosters;
    const change: StoreChange = { kind: "roster", callId: roster.callId, events };
    const written = await this.run(
      compiled.putRoster,
      [this.key("roster:", roster.callId), this.key("rosters"), this.key("changes")],
      [
        String(roster.revision),
        String(roster.revision + 1),
        JSON.stringify({ ...roster, revision: roster.revision + 1 }),
        String(maxAgeMs),
        String(Date.now()),
        roster.callId,
        JSON.stringify(change),
        this.origin,
        String(maxCount),
        this.feedLength,
        writeToken(),
      ],
    );
    return Number(written) === 1;
  }

  async roster(callId: string): Promise<RosterState | undefined> {
    return parsed(await this.send(["HGET", this.key("roster:", callId), "data"]));
  }

  async recordUnmatched(entry: UnmatchedNotification): Promise<void> {
    const { maxAgeMs, maxCount, maxBytes } = this.retention.unmatched;
    await this.run(
      compiled.recordUnmatched,
      [this.key("unmatched"), this.key("unmatched-bytes")],
      [serialise(entry), String(maxCount), String(maxBytes), String(maxAgeMs)],
    );
  }

  async unmatched(): Promise<UnmatchedNotification[]> {
    const oldest = Date.now() - this.retention.unmatched.maxAgeMs;
    const entries = texts(await this.send(["LRANGE", this.key("unmatched"), "0", "-1"]));
    // Newest first in the list; oldest first for the caller, as MemoryStore gives them.
    return entries
      .reverse()
      .map((entry) => JSON.parse(entry) as UnmatchedNotification)
      .filter((entry) => !(Date.parse(entry.at) < oldest));
  }

  /**
   * Changes written through other handles (other instances), from a stream read on a connection of its own. While
   * anyone watches, the store also tells the others that this instance is alive.
   */
  watch(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    this.heartbeat ??= setInterval(() => {
      this.send(["SET", this.key("instance:", this.origin), "1", "PX", String(this.heartbeatMs)]).catch(() => {});
    }, this.heartbeatMs / 3);
    this.heartbeat.unref();
    this.feed ??= new FeedReader({
      connection: this.client,
      key: this.key("changes"),
      origin: this.origin,
      blockMs: this.feedBlockMs,
      onChange: (change) => {
        for (const each of this.listeners) each(change);
      },
    });
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size > 0) return;
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
      void this.feed?.stop();
      this.feed = undefined;
    };
  }

  /**
   * Commands sent through this handle, each a round trip to Redis, retries included; the change feed's blocking reads,
   * on a connection of their own, are not counted.
   */
  get commandsSent(): number {
    return this.sent;
  }

  /** One command, counted. */
  private command(args: string[]): Promise<unknown> {
    this.sent++;
    return this.client.sendCommand(args);
  }

  private send(args: string[]): Promise<unknown> {
    return retried(() => this.command(args), this.retryForMs);
  }

  private run(script: Script, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    return retried(() => script.run((command) => this.command(command), keys, args), this.retryForMs);
  }

  private key(kind: string, id = ""): string {
    return `${this.prefix}${kind}${id}`;
  }

  private async readOperations(index: string, contexts: readonly string[]): Promise<OperationRecord[]> {
    if (contexts.length === 0) return [];
    const reply = await this.run(compiled.readOperations, [index], [this.prefix, ...contexts]);
    return texts(reply).map((data) => JSON.parse(data) as OperationRecord);
  }
}

/**
 * Redis's own error replies start with a code in capitals (`ERR`, `WRONGTYPE`, `NOSCRIPT`); all but those that say
 * "not now" are final. Anything else (a socket closed under the command, a client still reconnecting) is the
 * connection's, and the command can be sent again.
 */
function retryable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = /^([A-Z]+) /.exec(error.message)?.[1];
  return code === undefined || ["LOADING", "BUSY", "TRYAGAIN", "MASTERDOWN"].includes(code);
}

/** Sends the command again, with a growing pause, while its failure is the connection's and time remains. */
async function retried<T>(command: () => Promise<T>, forMs: number): Promise<T> {
  const giveUpAt = Date.now() + forMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await command();
    } catch (error) {
      if (!retryable(error) || Date.now() >= giveUpAt) throw error;
      sharedTelemetry().redisRetry();
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** attempt)));
    }
  }
}

function parsed<T>(reply: unknown): T | undefined {
  const data = text(reply);
  return data === undefined ? undefined : (JSON.parse(data) as T);
}

/**
 * The entry as JSON. A notification nested deeper than JSON.stringify can follow is kept as a note of what it was,
 * rather than lost with an error: refused bodies, the likely deep ones, are kept as text already.
 */
function serialise(entry: UnmatchedNotification): string {
  try {
    return JSON.stringify(entry);
  } catch {
    return JSON.stringify({ ...entry, notification: "(a notification nested too deeply to store as JSON)" });
  }
}

/** A write's token: 64 random bits are enough to tell one record's recent writes apart, and a record keeps 64 of them. */
function writeToken(): string {
  return randomBytes(8).toString("hex");
}
