// What the console shows of the simulator's records: plain JSON, computed once per change on the server, so that the
// page does no parsing or validation of its own and its bundle stays small.
import type { AnyIdentitySet, Participant } from "@graph-invite/types";
import { type Issue, parseNotifications, validateInviteRequest } from "@graph-invite/validator";
import type { SimulatedCall } from "../calls.js";
import type { Delivery } from "../delivery.js";
import type { SimulatedGraph } from "../graph.js";
import { botId } from "../identities.js";
import type { ReceivedRequest } from "../server-parts.js";
import type { SimulatedOperation } from "../wire.js";
import type { DeliveryView, InviteView, RequestView } from "./feed-types.js";

export interface IdentityView {
  /** user, guest, phone, application, … : the identity set's member that names it. */
  readonly kind: string;
  readonly id: string | null;
  readonly name: string | null;
}

export interface ParticipantView extends IdentityView {
  readonly participantId: string | null;
  readonly inLobby: boolean;
  readonly muted: boolean;
}

export interface CallView {
  readonly id: string;
  readonly kind: string;
  readonly state: string;
  readonly callbackUri: string;
  readonly participants: readonly ParticipantView[];
}

export interface OperationView {
  readonly id: string;
  readonly callId: string;
  readonly clientContext: string | null;
  readonly status: string;
  readonly resultInfo: unknown;
  readonly createdAt: string;
  readonly completedAt: string | null;
  readonly invitees: ReadonlyArray<IdentityView & { answered: boolean; answer: string | null; dueAt: string | null }>;
}

const identityKinds = ["user", "guest", "phone", "application", "applicationInstance", "encrypted", "onPremises"];

export function identityOf(identity: AnyIdentitySet | undefined): IdentityView {
  const set = (identity ?? {}) as Record<string, unknown>;
  for (const kind of [...identityKinds, ...Object.keys(set)]) {
    const member = set[kind];
    if (typeof member === "object" && member !== null) {
      const { id, displayName } = member as { id?: unknown; displayName?: unknown };
      return {
        kind,
        id: typeof id === "string" ? id : null,
        name: typeof displayName === "string" ? displayName : null,
      };
    }
  }
  return { kind: "unknown", id: null, name: null };
}

function participantOf(participant: Participant): ParticipantView {
  return {
    ...identityOf(participant.info?.identity as AnyIdentitySet | undefined),
    participantId: participant.id ?? null,
    inLobby: participant.isInLobby === true,
    muted: participant.isMuted === true,
  };
}

export function callView(call: SimulatedCall): CallView {
  return {
    id: call.id,
    kind: call.kind,
    state: call.state,
    callbackUri: call.callbackUri,
    participants: call.participants.map(participantOf),
  };
}

export function operationView(operation: SimulatedOperation, graph: SimulatedGraph): OperationView {
  const states = graph.invitees(operation.id);
  return {
    id: operation.id,
    callId: operation.callId,
    clientContext: operation.clientContext,
    status: operation.status,
    resultInfo: operation.resultInfo,
    createdAt: operation.createdAt,
    completedAt: operation.completedAt,
    invitees: operation.participants.map((participant, index) => {
      const state = states?.[index];
      return {
        ...identityOf(participant.identity as AnyIdentitySet),
        answered: state?.answered ?? operation.status !== "running",
        answer: state?.answer ?? null,
        dueAt: state?.dueAt ?? null,
      };
    }),
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const invitePath = /^\/v1\.0\/communications\/calls\/([^/?]+)\/participants\/invite(?:\?|$)/;
const operationPath = /\/operations\/([^/?]+)$/;

/** The invite timeline of a request to the invite action, or undefined for any other request. */
export function inviteView(
  seq: number,
  record: ReceivedRequest,
  reply: { status: number; body: unknown; headers?: Readonly<Record<string, string>> | undefined },
  graph: SimulatedGraph,
): InviteView | undefined {
  const match = invitePath.exec(record.path);
  if (match === null || record.method !== "POST") return undefined;
  const callId = decodeURIComponent(match[1] ?? "");
  const call = graph.calls.get(callId);
  const location = reply.headers?.["Location"] ?? null;
  // The same check the invite action made, for its warnings (ignored participants) and, on a 400, its errors.
  const botInCall =
    call?.participants.some((participant) => {
      const bot = botId(participant.info.identity);
      return bot !== undefined && bot !== call.appId;
    }) ?? false;
  const checked = validateInviteRequest(record.body, {
    ...(call !== undefined && { callKind: call.kind }),
    botInCall,
    ignoredParticipants: "warning",
  });
  return {
    seq,
    callId,
    receivedAt: record.receivedAt,
    body: parseJson(record.body),
    verdict: { ok: checked.ok, errors: checked.ok ? [] : checked.errors, warnings: checked.warnings },
    status: reply.status,
    location,
    retryAfter: reply.headers?.["Retry-After"] ?? null,
    operationId: location === null ? null : decodeURIComponent(operationPath.exec(location)?.[1] ?? "") || null,
    error: reply.status === 200 ? null : reply.body,
  };
}

function decodeJwtPart(part: string | undefined): Record<string, unknown> | null {
  if (part === undefined) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The parsed parts of a delivery that do not change once it is made: its reading and its operation. */
export interface DeliveryReading {
  readonly warnings: readonly Issue[];
  readonly errors: readonly Issue[];
  readonly operationId: string | null;
}

export function readDelivery(delivery: Delivery): DeliveryReading {
  const parsed = parseNotifications(delivery.body);
  const [first] = delivery.body.value ?? [];
  const path = typeof first?.resourceUrl === "string" ? first.resourceUrl : (first?.resource ?? "");
  const named = /\/operations\/([^/]+)$/.exec(path)?.[1];
  // A roster change or the end of a replaced call names no operation; the simulator knows which invite sent it.
  const operationId = named !== undefined && named !== "participants" ? named : (delivery.operationId ?? null);
  return {
    warnings: parsed.warnings,
    errors: parsed.ok ? [] : parsed.errors,
    operationId,
  };
}

export function deliveryView(seq: number, delivery: Delivery, reading: DeliveryReading): DeliveryView {
  const headers = delivery.attempts[0]?.headers ?? {};
  const token = /^Bearer\s+(\S+)$/.exec(delivery.attempts.at(-1)?.headers["Authorization"] ?? "")?.[1];
  const [header, payload] = token?.split(".") ?? [];
  return {
    seq,
    messageId: delivery.messageId,
    kind: delivery.kind,
    callId: delivery.callId,
    operationId: reading.operationId,
    url: delivery.url,
    outcome: delivery.outcome,
    duplicate: delivery.duplicate,
    reordered: delivery.reordered === true,
    resent: delivery.resent ?? null,
    body: delivery.body,
    warnings: reading.warnings,
    errors: reading.errors,
    headers,
    claims: decodeJwtPart(payload),
    tokenHeader: decodeJwtPart(header),
    attempts: delivery.attempts.map(({ attempt, url, sentAt, status, error, durationMs }) => ({
      attempt,
      url,
      sentAt,
      status,
      error,
      durationMs,
    })),
  };
}

export function requestView(seq: number, record: ReceivedRequest): RequestView {
  return {
    seq,
    method: record.method,
    path: record.path,
    status: record.status,
    receivedAt: record.receivedAt,
    headers: record.headers,
    body: record.body,
  };
}
