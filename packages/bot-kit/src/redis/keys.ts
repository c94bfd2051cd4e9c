// Every key the Redis store uses, in one place: what each holds, and how an id becomes part of a key.
//
// All keys of one store share a hash tag, the prefix in braces (`{graph-invite:}op:…`), so that on Redis Cluster they
// live in one slot: each script reads and writes several of them at once, and builds some from the ids it finds,
// which only works when they are all on the node that runs it.
//
// Ids come from callers and from the wire (clientContexts, call ids, Graph's operation ids, delivery keys). Redis
// stores text as UTF-8, in which every lone UTF-16 surrogate becomes U+FFFD: two ids that differ only there would
// share a key. So an id that is not well-formed UTF-16, or that starts with the escape mark, is written as the mark
// and its UTF-16 code units in hex; any other id as itself. Distinct ids give distinct keys, and readable ones stay
// readable.

/** The mark that starts an escaped id: never the first character of an id written as itself. */
const escapeMark = "~";

/** A lone surrogate: a high one not followed by a low one, or a low one not preceded by a high one. */
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** An id as it goes into a key or an index: itself, or escaped when UTF-8 could not keep it apart from others. */
export function encodeId(id: string): string {
  if (!id.startsWith(escapeMark) && !loneSurrogate.test(id)) return id;
  let hex = escapeMark;
  for (let index = 0; index < id.length; index++) hex += id.charCodeAt(index).toString(16).padStart(4, "0");
  return hex;
}

/** The id {@link encodeId} was given. */
export function decodeId(encoded: string): string {
  if (!encoded.startsWith(escapeMark)) return encoded;
  let id = "";
  for (let index = escapeMark.length; index + 4 <= encoded.length; index += 4) {
    id += String.fromCharCode(Number.parseInt(encoded.slice(index, index + 4), 16));
  }
  return id;
}

/**
 * The store's keys under one prefix. Scripts build the keys of the ids they find in indexes from {@link space} and
 * the same names, so a name changed here is changed in the `.lua` files too.
 */
export class StoreKeys {
  /** What every key starts with: the prefix as a hash tag. */
  readonly space: string;

  constructor(prefix: string) {
    if (/[{}]/.test(prefix)) {
      throw new RangeError(`/prefix: ${JSON.stringify(prefix)} has a brace; the store puts it in braces itself`);
    }
    this.space = `{${prefix}}`;
  }

  /** A delivery's claim: the claim's token, for the deliveries' retention. */
  delivery(key: string): string {
    return `${this.space}delivery:${encodeId(key)}`;
  }
  /** Claimed deliveries' claim keys, newest first (a list: a claim is never renewed), for the count. */
  get claims(): string {
    return `${this.space}claims`;
  }
  /** A claimed delivery not yet processed, until finished: a string of its owner, a line feed and its body. */
  unfinished(key: string): string {
    return `${this.space}unfinished-body:${encodeId(key)}`;
  }
  /** Unfinished deliveries by claim or take-over time (sorted set of encoded delivery keys). */
  get unfinishedIndex(): string {
    return `${this.space}unfinished`;
  }
  /** An instance's sign of life, expiring unless renewed. */
  instance(origin: string): string {
    return `${this.space}instance:${origin}`;
  }
  /**
   * An operation record: hash of rev, data (JSON), call (its call's index key), id, writes (recent tokens), waiting
   * (the instances waiting on the invite), deadline (as in {@link pending}), idUntil (when its {@link operationId} entry
   * expires) and indexedUntil (when its indexes do). Someone who waits on an invite not yet written makes it with
   * waiting alone.
   */
  operation(clientContext: string): string {
    return `${this.space}op:${encodeId(clientContext)}`;
  }
  /** Every operation by creation (sorted set of encoded clientContexts, scored by the creation counter). */
  get operations(): string {
    return `${this.space}ops`;
  }
  /** One call's operations by creation. */
  callOperations(callId: string): string {
    return `${this.space}call-ops:${encodeId(callId)}`;
  }
  /** Invites still waiting, by deadline (sorted set of encoded clientContexts). */
  get pending(): string {
    return `${this.space}pending`;
  }
  /** The creation counter that orders operations. */
  get operationOrder(): string {
    return `${this.space}op-order`;
  }
  /** Graph's operation id → encoded clientContext. */
  operationId(operationId: string): string {
    return `${this.space}op-id:${encodeId(operationId)}`;
  }
  /** A call's roster: hash of rev, data (JSON), writes (recent tokens), bytes (the size of data). */
  roster(callId: string): string {
    return `${this.space}roster:${encodeId(callId)}`;
  }
  /** Rosters by last change (sorted set of roster keys), for the count. */
  get rosters(): string {
    return `${this.space}rosters`;
  }
  /** Each stored roster's size in bytes (hash: roster key → bytes), and their sum under the field ''. */
  get rosterBytes(): string {
    return `${this.space}roster-bytes`;
  }
  /** Unmatched notifications, newest first (list of JSON). */
  get unmatched(): string {
    return `${this.space}unmatched`;
  }
  /** The bytes of {@link unmatched}. */
  get unmatchedBytes(): string {
    return `${this.space}unmatched-bytes`;
  }
  /**
   * An instance's inbox (a stream): the changes that concern it, written by the others' scripts, read by it alone. It
   * lives while its instance gives signs of life; scripts never create it (`XADD NOMKSTREAM`).
   */
  inbox(origin: string): string {
    return `${this.space}inbox:${origin}`;
  }
  /**
   * The instances holding a notification that names only this operation id (a set of origins), woken when a write
   * first names the id.
   */
  held(operationId: string): string {
    return `${this.space}held:${encodeId(operationId)}`;
  }
  /** The instances that asked for every roster and call event (sorted set of origins, by when that lapses). */
  get broadcast(): string {
    return `${this.space}broadcast`;
  }
}
