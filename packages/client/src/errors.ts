import type { OdataError } from "@graph-invite/types";
import { parseRetryAfter } from "./retry.js";

/** What every {@link InviteError} has, whatever its `kind`. */
export interface FailureBase {
  /** What went wrong, for a person. */
  message: string;
  /**
   * `true` when the request may have reached Graph and Graph may have acted on it. The invite is then neither
   * confirmed nor retried: reconcile by the `clientContext` of the result (the operation's notifications carry it).
   */
  ambiguous: boolean;
}

/** Graph answered with a 4XX or 5XX status. */
export interface GraphError extends FailureBase {
  /** `graph`: Graph answered with an error status. */
  kind: "graph";
  /** The HTTP status. */
  status: number;
  /** Graph's error code, such as `TooManyRequests` or `Forbidden`; `HTTP <status>` when the body names none. */
  code: string;
  /** The `request-id` Graph logged the request under (from `innerError`, or the response header). */
  requestId: string | null;
  /** The `client-request-id` of the request, as Graph echoed it. */
  clientRequestId: string | null;
  /** When the error happened, as `innerError.date` says. */
  date: string | null;
  /** Seconds Graph asked the client to wait (`Retry-After`), possibly fractional; `null` without the header. */
  retryAfter: number | null;
  /** The error body, when it was Graph's JSON error shape. */
  body: OdataError | null;
}

/** The connection failed or dropped. */
export interface NetworkError extends FailureBase {
  /** `network`: the connection failed or dropped. */
  kind: "network";
  /** What `fetch` threw. */
  cause: unknown;
}

/** No answer arrived within the client's `timeoutMs`, or the caller's signal timed out. */
export interface TimeoutError extends FailureBase {
  /** `timeout`: no answer arrived in time. */
  kind: "timeout";
  /** The error the timeout raised, named `TimeoutError`. */
  cause: unknown;
}

/** The caller's signal aborted the request, its token fetch, or a wait between retries. */
export interface AbortError extends FailureBase {
  /** `abort`: the caller's signal aborted the request. */
  kind: "abort";
  /** The signal's reason. */
  cause: unknown;
}

/** The credential threw or returned no token. Nothing was sent. */
export interface CredentialError extends FailureBase {
  /** `credential`: no token, so nothing was sent. */
  kind: "credential";
  /** What the credential threw, or why its answer was not a token. */
  cause: unknown;
}

/** Something a `validate` hook reports about a request body (the `Issue` of `@graph-invite/validator` fits). */
export interface ValidationIssue {
  /** What is wrong, for a person. */
  message: string;
  /** Only issues whose severity is not `"warning"` stop the request. */
  severity?: "error" | "warning";
  /** Where, as a JSON Pointer into the body. */
  pointer?: string;
  /** A stable code for the rule that failed. */
  code?: string;
}

/** The `validate` hook reported errors. Nothing was sent. */
export interface ValidationError extends FailureBase {
  /** `validation`: the `validate` hook refused the body. */
  kind: "validation";
  /** Everything the hook reported, warnings included. */
  issues: readonly ValidationIssue[];
}

/** Why an invite failed; narrow it on `kind`. */
export type InviteError = GraphError | NetworkError | TimeoutError | AbortError | CredentialError | ValidationError;

/** The failures the transport raises before Graph gives an HTTP answer. */
export type TransportFailureKind = "network" | "timeout" | "abort" | "credential";

/**
 * What the client's `fetch` throws when no HTTP answer comes back, for callers of the typed `api` client; `invite`
 * turns it into an {@link InviteError} instead of throwing.
 */
export class RequestFailure extends Error {
  constructor(
    /** Which failure it was: `network`, `timeout`, `abort` or `credential`. */
    readonly kind: TransportFailureKind,
    message: string,
    /** `true` when the request may have reached Graph and Graph may have acted on it. */
    readonly ambiguous: boolean,
    cause: unknown,
  ) {
    super(message, { cause });
    this.name = "RequestFailure";
  }
}

/**
 * Classifies what a request threw. `signal` is the caller's; a timeout shows as a `TimeoutError` reason, whether it
 * came from the client's own timer or from the caller's `AbortSignal.timeout()`.
 */
export function toRequestFailure(error: unknown, signal: AbortSignal | undefined, ambiguous: boolean): RequestFailure {
  if (error instanceof RequestFailure) {
    return error;
  }
  const cause = signal?.aborted ? signal.reason : error;
  const name = (cause as { name?: unknown } | null)?.name;
  const kind = name === "TimeoutError" ? "timeout" : name === "AbortError" || signal?.aborted ? "abort" : "network";
  const detail = cause instanceof Error ? cause.message : String(cause);
  const what = { network: "failed", timeout: "timed out", abort: "was aborted" }[kind];
  return new RequestFailure(kind, `the request ${what}: ${detail}`, ambiguous, cause);
}

const text = (value: unknown): string | null => (typeof value === "string" ? value : null);

/** Reads Graph's error body (`{"error":{"code","message","innerError"}}`) and the headers that matter. */
export function toGraphError(response: Response, body: unknown): GraphError {
  const graphBody = (body as Partial<OdataError> | null)?.error ? (body as OdataError) : null;
  const error: Partial<OdataError["error"]> = graphBody?.error ?? {};
  // Graph spells these `request-id` and `client-request-id`; some services send `requestId`.
  const inner: Record<string, unknown> = error.innerError ?? {};
  const wait = parseRetryAfter(response.headers.get("Retry-After"));
  return {
    kind: "graph",
    status: response.status,
    code: text(error.code) ?? `HTTP ${response.status}`,
    message: text(error.message) ?? (text(body) || response.statusText || `HTTP ${response.status}`),
    requestId: text(inner["request-id"]) ?? text(inner["requestId"]) ?? response.headers.get("request-id"),
    clientRequestId: text(inner["client-request-id"]) ?? response.headers.get("client-request-id"),
    date: text(inner["date"]),
    retryAfter: wait === undefined ? null : wait / 1000,
    body: graphBody,
    // Any 5XX but 503 may come after Graph started to act; 429 and 503 mean it did not.
    ambiguous: response.status >= 500 && response.status !== 503,
  };
}
