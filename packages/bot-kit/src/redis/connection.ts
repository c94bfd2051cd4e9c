// What the Redis store needs of a client: raw commands, and a second connection for blocking reads, which would hold
// up every other command on a shared one. node-redis's client (`createClient`) and cluster client (`createCluster`)
// have all of it; so would a thin wrapper around another client.
import { createHash } from "node:crypto";
import { isReply } from "./errors.js";

/** What both kinds of node-redis client have: a copy of themselves to open, and a way to close. */
export interface Connectable {
  /**
   * A new client with the same options, not yet connected, of the same kind. (Typed loosely because node-redis's own
   * type, generic in its modules and protocol, does not fit a plain interface.)
   */
  duplicate(): unknown;
  /** Connects a client made by `duplicate()`: the store's own connection for the change feed's blocking reads. */
  connect(): Promise<unknown>;
  /** Closes at once, failing commands in flight. */
  destroy(): unknown;
  /**
   * Listens for the errors of a client made by `duplicate()`: node-redis throws an error that has no listener, which
   * would end the process when the connection drops; with one, a dropped connection shows as failed reads, which the
   * store's feed tries again.
   */
  on(event: "error", listener: (error: Error) => void): unknown;
}

/** The part of a node-redis client (`createClient()` from `redis`) the store uses. */
export interface RedisConnection extends Connectable {
  /** Sends one command, such as `["HGET", key, "data"]`, and resolves with its reply as node-redis decodes it. */
  sendCommand(args: string[]): Promise<unknown>;
}

/**
 * The part of a node-redis cluster client (`createCluster()` from `redis`) the store uses: each command goes to the
 * primary that serves its first key's slot.
 */
export interface RedisClusterConnection extends Connectable {
  /**
   * Sends one command to the node that serves `firstKey`'s slot, and resolves with its reply. The store always gives
   * a key, and `isReadonly` false: every command goes to the slot's primary.
   */
  sendCommand(firstKey: string | undefined, isReadonly: boolean | undefined, args: string[]): Promise<unknown>;
  /** Present on a cluster client only: how the store tells one from a single server's client. */
  readonly masters: readonly unknown[];
}

/** Either client. */
export type AnyRedisConnection = RedisConnection | RedisClusterConnection;

/** Sends one command; `key` is any key it touches (all of the store's keys are in one slot). */
export type Send = (key: string, args: string[]) => Promise<unknown>;

/**
 * How to send commands through `client`, whichever kind it is. On a cluster, nothing is sent as read-only: a client
 * made with `useReplicas` would send it to a replica, which refuses a script's writes and may answer a read with what
 * the primary held before this instance's last write.
 */
export function senderOf(client: AnyRedisConnection): Send {
  if (isCluster(client)) return (key, args) => client.sendCommand(key, false, args);
  return (_key, args) => client.sendCommand(args);
}

export function isCluster(client: AnyRedisConnection): client is RedisClusterConnection {
  return "masters" in client;
}

/**
 * Runs a Lua script by its digest, and sends its text only when the server does not have it yet (after a restart,
 * or on a cluster node that has not run it): one round trip in the usual case.
 */
export class Script {
  private readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash("sha1").update(source).digest("hex");
  }

  async run(send: Send, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    const [first = ""] = keys;
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await send(first, ["EVALSHA", this.sha, ...tail]);
    } catch (error) {
      if (!isReply(error, "NOSCRIPT")) throw error;
      return send(first, ["EVAL", this.source, ...tail]);
    }
  }
}

/** A reply as text: RESP2 and RESP3 clients may give a string or a Buffer. */
export function text(reply: unknown): string | undefined {
  if (typeof reply === "string") return reply;
  if (reply instanceof Uint8Array) return new TextDecoder().decode(reply);
  return undefined;
}

/** A reply that is a list of texts (nil entries dropped). */
export function texts(reply: unknown): string[] {
  if (!Array.isArray(reply)) return [];
  return reply.map(text).filter((item): item is string => item !== undefined);
}
