// The paths in a notification's `resourceUrl`: which call, and which of its resources.

const legacyPrefix = "/app/calls/";
const callsPrefix = "/communications/calls/";

/** A path as Graph sends it today: the legacy `/app/calls/…` form becomes `/communications/calls/…`. */
export function currentPath(path: string): string {
  return path.startsWith(legacyPrefix) ? `${callsPrefix}${path.slice(legacyPrefix.length)}` : path;
}

export function isLegacyPath(path: string): boolean {
  return path.startsWith(legacyPrefix);
}

export interface ResourcePath {
  readonly callId: string;
  /** What follows the call id, without a leading slash: `""`, `participants`, `operations/{id}` and so on. */
  readonly rest: string;
}

/** The call and the resource under it, for a path under `/communications/calls/` (or the legacy form). */
export function parseResourcePath(path: string): ResourcePath | undefined {
  const current = currentPath(path);
  if (!current.startsWith(callsPrefix)) return undefined;
  const [callId = "", ...rest] = current.slice(callsPrefix.length).split("/");
  if (callId === "") return undefined;
  return { callId, rest: rest.join("/") };
}

export function rosterPath(callId: string): string {
  return `${callsPrefix}${callId}/participants`;
}

/** The operation id a path names, if it names one (`operations/participants` is a roster path, not an id). */
export function operationIdOf(rest: string): string | undefined {
  const match = /^operations\/([^/]+)$/.exec(rest);
  return match && match[1] !== "participants" ? match[1] : undefined;
}
