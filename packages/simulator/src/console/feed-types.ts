// What the console's feed sends about invites, deliveries and requests: one type for the server that builds it (views.ts) and the page that
// shows it (console/src/model.ts). Nothing here may import Node's modules: the page's bundle reads it too.
import type { Issue } from "@graph-invite/validator";

/** One attempt to deliver a notification. */
export interface DeliveryAttemptView {
  readonly attempt: number;
  readonly url: string;
  readonly sentAt: string;
  readonly status: number | null;
  readonly error: string | null;
  readonly durationMs: number;
}

export interface DeliveryView {
  readonly seq: number;
  readonly messageId: string;
  readonly kind: string;
  readonly callId: string;
  /** The invite it reports on: named in its path, or for a roster change the invite that was running in the call. */
  readonly operationId: string | null;
  readonly url: string;
  readonly outcome: string;
  readonly duplicate: boolean;
  readonly reordered: boolean;
  readonly resent: string | null;
  readonly body: unknown;
  /** What the tolerant reader normalised, and what it could not read. */
  readonly warnings: readonly Issue[];
  readonly errors: readonly Issue[];
  /** The first attempt's headers, bearer token included, for a replay. */
  readonly headers: Readonly<Record<string, string>>;
  readonly claims: Record<string, unknown> | null;
  readonly tokenHeader: Record<string, unknown> | null;
  readonly attempts: readonly DeliveryAttemptView[];
}

/** One invite request as a timeline: what was asked, what the validator said, and how the simulator answered. */
export interface InviteView {
  readonly seq: number;
  readonly callId: string;
  readonly receivedAt: string;
  readonly body: unknown;
  readonly verdict: { readonly ok: boolean; readonly errors: readonly Issue[]; readonly warnings: readonly Issue[] };
  readonly status: number;
  readonly location: string | null;
  /** The `Retry-After` of a throttled (429) or refused (503) invite. */
  readonly retryAfter: string | null;
  readonly operationId: string | null;
  /** The error body, when the answer was not 200. */
  readonly error: unknown;
}

/** A request Graph's routes received, as the request log shows it. */
export interface RequestView {
  readonly seq: number;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly receivedAt: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}
