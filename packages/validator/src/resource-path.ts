// The paths in a notification's `resourceUrl`: which call, and which of its resources. Graph's documentation promises
// only "the URI of the resource that was changed", and its payloads spell it several ways, so a path is read
// loosely: with or without a leading slash, as a full URL, in any letter case, under `/communications/calls/` or the
// legacy `/app/calls/`, with a trailing slash or a query. Ids are kept as they were written.

const callsPrefix = "/communications/calls/";

// An optional scheme, host and API version, then either namespace's `calls` segment.
const prefix = /^(?:[a-z][a-z0-9+.-]*:\/\/[^/]+)?(?:\/+(?:v1\.0|beta)(?=\/))?\/*(communications|app)\/+calls\/+/i;

/** The resource under a call that a path names. */
export type CallResource =
  | { readonly kind: "call" }
  | { readonly kind: "roster" }
  | { readonly kind: "participant"; readonly participantId: string }
  /** `operationId` is undefined for `operations` or `operations/participants`, which name no operation. */
  | { readonly kind: "operation"; readonly operationId: string | undefined }
  | { readonly kind: "other" };

export interface ResourcePath {
  readonly callId: string;
  readonly resource: CallResource;
  /** Whether the path is under the legacy `/app/calls/`. */
  readonly legacy: boolean;
  /** The path under `/communications/calls/`, for a legacy path; the path as it was otherwise. */
  readonly current: string;
}

/** The call and the resource under it, for a path under `/communications/calls/` or `/app/calls/`. */
export function parseResourcePath(path: string): ResourcePath | undefined {
  const match = prefix.exec(path);
  if (match === null) return undefined;
  const after = path.slice(match[0].length);
  const [callId, ...rest] = after
    .replace(/[?#].*$/, "")
    .split("/")
    .filter(Boolean);
  if (callId === undefined) return undefined;
  const legacy = match[1]?.toLowerCase() === "app";
  return { callId, resource: resourceOf(rest), legacy, current: legacy ? `${callsPrefix}${after}` : path };
}

function resourceOf([collection, id, ...deeper]: string[]): CallResource {
  const named = collection?.toLowerCase();
  if (named === undefined) return { kind: "call" };
  if (deeper.length > 0) return { kind: "other" };
  if (named === "participants")
    return id === undefined ? { kind: "roster" } : { kind: "participant", participantId: id };
  if (named !== "operations") return { kind: "other" };
  return { kind: "operation", operationId: id?.toLowerCase() === "participants" ? undefined : id };
}

export function rosterPath(callId: string): string {
  return `${callsPrefix}${callId}/participants`;
}
