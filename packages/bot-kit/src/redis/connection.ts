// What the Redis store needs of a client: raw commands, and a second connection for the change feed, whose blocking
// reads would hold up every other command on a shared one. node-redis's client has all of it; so would a thin
// wrapper around another client.
import { createHash } from "node:crypto";

/** The part of a node-redis client (`createClient()` from `redis`) the store uses. */
export interface RedisConnection {
  sendCommand(args: string[]): Promise<unknown>;
  /**
   * A new client with the same options, not yet connected: a {@link RedisConnection} too. (Typed loosely because
   * node-redis's own type, generic in its modules and protocol, does not fit a plain interface.)
   */
  duplicate(): unknown;
  connect(): Promise<unknown>;
  /** Closes at once, failing commands in flight. */
  destroy(): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
}

/**
 * Runs a Lua script by its digest, and sends its text only when the server does not have it yet (after a restart,
 * say): one round trip in the usual case.
 */
export class Script {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash("sha1").update(source).digest("hex");
  }

  async run(
    send: (args: string[]) => Promise<unknown>,
    keys: readonly string[],
    args: readonly string[],
  ): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await send(["EVALSHA", this.sha, ...tail]);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      return send(["EVAL", this.source, ...tail]);
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
