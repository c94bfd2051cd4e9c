// The change feed: a Redis stream every write appends to, read by each instance on a connection of its own. A
// stream rather than pub/sub because a reader that lost its connection goes on from the last entry it saw: what was
// written meanwhile still reaches it, as long as the stream's length holds it. After any failed read the reader also
// reports a resync, so that whoever waits reads the store again in case entries were trimmed or the server lost them.
import { doublingDelayMs } from "@graph-invite/client/backoff";
import type { StoreChange } from "../bot-store.js";
import { type AnyRedisConnection, type Send, senderOf, text } from "./connection.js";

export interface FeedOptions {
  readonly connection: AnyRedisConnection;
  readonly key: string;
  /** Entries written through this handle, which its own instance has already acted on. */
  readonly origin: string;
  readonly onChange: (change: StoreChange) => void;
  /** How long one read blocks before it is sent again. */
  readonly blockMs: number;
}

/** The most entries one read returns. */
const batch = 500;

/** Reads the feed until `stop()`: a loop on a dedicated connection. */
export class FeedReader {
  private stopped = false;
  private connected = false;
  private readonly reader: AnyRedisConnection;
  private readonly send: Send;
  private readonly done: Promise<void>;

  constructor(private readonly options: FeedOptions) {
    this.reader = options.connection.duplicate() as AnyRedisConnection;
    this.send = senderOf(this.reader);
    // Failures show up as failed reads, which the loop handles; node-redis throws an unhandled error without this.
    this.reader.on("error", () => {});
    this.done = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.reader.destroy();
    await this.done;
  }

  private async loop(): Promise<void> {
    const { key, blockMs } = this.options;
    let last: string | undefined;
    let failures = 0;
    while (!this.stopped) {
      try {
        if (!this.connected) {
          await this.reader.connect();
          this.connected = true;
        }
        if (last === undefined) {
          last = lastId(await this.send(key, ["XREVRANGE", key, "+", "-", "COUNT", "1"]));
        }
        const reply = await this.send(key, [
          "XREAD",
          "BLOCK",
          String(blockMs),
          "COUNT",
          String(batch),
          "STREAMS",
          key,
          last,
        ]);
        if (failures > 0) this.options.onChange({ kind: "resync" });
        failures = 0;
        for (const [id, fields] of entriesOf(reply)) {
          last = id;
          this.deliver(fields);
        }
      } catch {
        if (this.stopped) return;
        failures++;
        // The client reconnects on its own; wait a little longer each time, up to a quarter of a second: a server that
        // is down is not hammered, and one that is back is read from again soon, since waiters depend on it.
        await new Promise((resolve) => setTimeout(resolve, doublingDelayMs(failures, 25, 250)));
      }
    }
  }

  private deliver(fields: Map<string, string>): void {
    if (fields.get("origin") === this.options.origin) return;
    const change = fields.get("change");
    if (change === undefined) return;
    let parsed: StoreChange;
    try {
      parsed = JSON.parse(change) as StoreChange;
    } catch {
      // Not written by this store: whoever waits reads the store again instead.
      parsed = { kind: "resync" };
    }
    this.options.onChange(parsed);
  }
}

/** The id of the stream's last entry, or `0-0` for an empty or missing stream. */
function lastId(reply: unknown): string {
  const [entry] = Array.isArray(reply) ? reply : [];
  return (Array.isArray(entry) ? text(entry[0]) : undefined) ?? "0-0";
}

/**
 * The entries of an XREAD reply for one stream: `[[key, entries]]` in RESP2, `{ key: entries }` in RESP3, each entry
 * `[id, [field, value, …]]`.
 */
function entriesOf(reply: unknown): Array<[string, Map<string, string>]> {
  if (reply === null || typeof reply !== "object") return [];
  const streams = Array.isArray(reply)
    ? reply.map((stream) => (Array.isArray(stream) ? stream[1] : undefined))
    : Object.values(reply);
  const entries: Array<[string, Map<string, string>]> = [];
  for (const stream of streams) {
    if (!Array.isArray(stream)) continue;
    for (const entry of stream) {
      if (!Array.isArray(entry)) continue;
      const id = text(entry[0]);
      const list: unknown[] = Array.isArray(entry[1]) ? entry[1] : [];
      const fields = new Map<string, string>();
      for (let index = 0; index + 1 < list.length; index += 2) {
        const name = text(list[index]);
        const value = text(list[index + 1]);
        if (name !== undefined && value !== undefined) fields.set(name, value);
      }
      if (id !== undefined) entries.push([id, fields]);
    }
  }
  return entries;
}
