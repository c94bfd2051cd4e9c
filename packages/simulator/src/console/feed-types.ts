// What the console's feed sends about a delivery: one type for the server that builds it (views.ts) and the page that
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
