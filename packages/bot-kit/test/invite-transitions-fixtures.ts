// What the state-transition tests share: a record at a given status, notifications from the reference page's
// example through the real parser, and the results and errors Graph's answer can carry.
import type { InviteError, InviteResult } from "@graph-invite/client";
import { type OperationNotification, parseNotifications } from "@graph-invite/validator";
import type { InviteStatus, OperationRecord } from "../src/bot-store.js";
import { example } from "./harness.js";

export const callId = "ab6233a5-20b7-4c5e-bea2-ce56c9776429";

export const clientContext = "f2fa86af-3c51-4bc2-8fc0-475452d9764f";

export const operationId = "0fe0623f-d628-42ed-b4bd-8ac290072cc5";

export const createdAt = "2026-01-01T00:00:00.000Z";

/** A record as the tracker keeps it, at `status`. */
export function recordAt(status: InviteStatus, changes: Partial<OperationRecord> = {}): OperationRecord {
  return {
    clientContext,
    callId,
    operationId: status === "sending" ? null : operationId,
    status,
    request: { participants: [], clientContext },
    resultInfo: null,
    error: null,
    late: false,
    createdAt,
    updatedAt: createdAt,
    deadline: "2026-01-01T00:03:00.000Z",
    revision: 1,
    history: [{ at: createdAt, event: "sent" }],
    ...changes,
  };
}

export const completedBody = example<{ value: Array<Record<string, unknown>> }>(
  "example-1-invite-one-participant.operation-completed.json",
);

/** The reference page's operation notification, parsed, with this status, id, clientContext and result. */
export function notification(
  status: string,
  options: { readonly id?: string | null; readonly idOnly?: boolean; readonly code?: number } = {},
): OperationNotification {
  const body = structuredClone(completedBody);
  const resourceData = (body.value[0] as { resourceData: Record<string, unknown> }).resourceData;
  resourceData["status"] = status;
  resourceData["id"] = options.id === undefined ? operationId : options.id;
  if (options.idOnly === true) delete resourceData["clientContext"];
  else resourceData["clientContext"] = clientContext;
  resourceData["resultInfo"] =
    options.code === undefined ? null : { code: options.code, subcode: 5, message: `ended with ${options.code}` };
  const parsed = parseNotifications(JSON.stringify(body), { mode: "tolerant" });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const [classified] = parsed.notifications;
  if (classified?.kind !== "operation") throw new Error(`not an operation notification: ${classified?.kind}`);
  return classified;
}

export const accepted = (status: string | null, id: string | null = operationId): InviteResult => ({
  ok: true,
  operation:
    status === null
      ? null
      : ({
          id,
          status,
          clientContext,
          resultInfo: status === "failed" ? { code: 403, subcode: 7, message: "refused at once" } : null,
        } as never),
  operationId: id,
  location: null,
  requestId: "request-1",
  clientContext,
});

export const refused = (error: InviteError): InviteResult => ({ ok: false, error, clientContext });

export const forbidden: InviteError = {
  kind: "graph",
  status: 403,
  code: "Forbidden",
  message: "Graph refused the invite",
  ambiguous: false,
  requestId: null,
  clientRequestId: null,
  date: null,
  retryAfter: null,
  body: null,
};

export const dropped: InviteError = {
  kind: "network",
  message: "socket hang up",
  ambiguous: true,
  cause: new Error("ECONNRESET"),
};
