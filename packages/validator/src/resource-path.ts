// The paths in a notification's `resourceUrl`: which call, and which of its resources. Graph's documentation promises
// only "the URI of the resource that was changed", and its payloads spell it several ways, so a path is read
// loosely: with or without a leading slash, as a full URL, in any letter case, under `/communications/calls/` or the
// legacy `/app/calls/`, with a trailing slash or a query. Ids are kept as they were written.

const callsPrefix = "/communications/calls/";

// An optional scheme, host and API version, then either namespace's `calls` segment, the call's id, and the rest up to
// any query or fragment.
const prefix =
  /^(?:[a-z][a-z0-9+.-]*:\/\/[^/]+)?(?:\/+(?:v1\.0|beta)(?=\/))?\/*(communications|app)\/+calls\/+([^/?#]+)([^?#]*)/i;

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

// The normaliser and the classifier read each notification's path several times: the last one read is kept. Paths
// are strings and results are read-only, so a repeat is the same answer.
let lastPath: string | undefined;
let lastRead: ResourcePath | undefined;

/** The call and the resource under it, for a path under `/communications/calls/` or `/app/calls/`. */
export function parseResourcePath(path: string): ResourcePath | undefined {
  if (path !== lastPath) {
    lastRead = readResourcePath(path);
    lastPath = path;
  }
  return lastRead;
}

const noSegments: string[] = [];

function readResourcePath(path: string): ResourcePath | undefined {
  const match = prefix.exec(path);
  if (match === null) return undefined;
  const [whole, namespace, callId = "", rest = ""] = match;
  const legacy = namespace?.toLowerCase() === "app";
  const segments = rest === "" || rest === "/" ? noSegments : rest.split("/").filter(Boolean);
  const current = legacy ? `${callsPrefix}${path.slice(whole.length - callId.length - rest.length)}` : path;
  return { callId, resource: resourceOf(segments), legacy, current };
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
