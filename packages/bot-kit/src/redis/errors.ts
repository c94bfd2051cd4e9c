// Which failures of a Redis command are worth sending it again: decided by node-redis's error classes, not by the
// text of their messages. A reconnect cures a connection that dropped, timed out or is still coming back, and a
// server that says "not now" (loading its data, running a long script, a cluster slot moving, a failover). A closed
// client, a refused command and anything unknown are final: retrying them only delays the error.
//
// The classes are recognised by name along the error's prototype chain rather than imported: this entry point loads
// without the `redis` package (an optional peer the store never imports: it is handed a client), and a subclass
// (node-redis's SimpleError is an ErrorReply) is recognised as its parent.

/** Replies whose code says the server cannot answer yet but will: the same command may succeed in a moment. */
const transientReplies = new Set(["LOADING", "BUSY", "TRYAGAIN", "MASTERDOWN", "CLUSTERDOWN"]);

/** node-redis's errors for a connection that a reconnect restores: the command was not, or may not have been, run. */
const connectionErrors = new Set([
  "SocketClosedUnexpectedlyError",
  "ClientOfflineError",
  "ConnectionTimeoutError",
  "SocketTimeoutError",
  "RootNodesUnavailableError",
]);

/** node-redis's errors for a client that was closed on purpose: no reconnect will come. */
const closedErrors = new Set(["ClientClosedError", "DisconnectsClientError"]);

/** The socket's own errors, which node-redis hands to the commands that were waiting for a reply. */
const socketCodes = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "ENOTCONN", "EHOSTUNREACH"]);

/**
 * Whether `error`, from a command the store sent, may go away when it is sent again: the connection's failures, and
 * the server's transient replies. A closed client (`ClientClosedError`) is final at once.
 */
export function retryable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const classes = classesOf(error);
  if (classes.some((name) => closedErrors.has(name))) return false;
  if (classes.includes("ErrorReply")) return transientReplies.has(replyCode(error));
  if (classes.some((name) => connectionErrors.has(name))) return true;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && socketCodes.has(code);
}

/** Whether `error` is an error reply from the server with this code (`NOSCRIPT`, `NOREPLICAS`, …). */
export function isReply(error: unknown, code: string): boolean {
  return error instanceof Error && classesOf(error).includes("ErrorReply") && replyCode(error) === code;
}

/** The code an error reply starts with (`ERR`, `NOSCRIPT`, `LOADING`), or "" for one without. */
function replyCode(error: Error): string {
  return /^([A-Z]+)\b/.exec(error.message)?.[1] ?? "";
}

/** The names of the error's classes, its own first, up to Error. */
function classesOf(error: Error): string[] {
  const names: string[] = [];
  for (let prototype = Object.getPrototypeOf(error); prototype !== null && prototype !== Error.prototype; ) {
    const name = (prototype as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof name === "string") names.push(name);
    prototype = Object.getPrototypeOf(prototype);
  }
  return names;
}
