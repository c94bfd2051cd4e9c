// What the console receives from the simulator's feed (GET /simulator/events), as src/console/views.ts builds it.
import type { Issue as ValidatorIssue } from "@graph-invite/validator";
import type { DeliveryAttemptView, DeliveryView, InviteView, RequestView } from "../../src/console/feed-types.js";

/** A problem the validator found, at a JSON Pointer. */
export type Issue = ValidatorIssue;

export interface Identity {
  readonly kind: string;
  readonly id: string | null;
  readonly name: string | null;
}

export interface Call {
  readonly id: string;
  readonly kind: string;
  readonly state: string;
  readonly callbackUri: string;
  readonly participants: ReadonlyArray<Identity & { participantId: string | null; inLobby: boolean; muted: boolean }>;
}

export interface Operation {
  readonly id: string;
  readonly callId: string;
  readonly clientContext: string | null;
  readonly status: string;
  readonly resultInfo: { code?: unknown; subcode?: unknown; message?: unknown } | null;
  readonly createdAt: string;
  readonly completedAt: string | null;
  readonly invitees: ReadonlyArray<Identity & { answered: boolean; answer: string | null; dueAt: string | null }>;
}

/** An invite request as a timeline, as the server's feed sends it. */
export type Invite = InviteView;

/** One attempt to deliver a notification, as the server's feed sends it. */
export type Attempt = DeliveryAttemptView;

/** A delivery, as the server's feed sends it. */
export type Delivery = DeliveryView;

/** A request Graph's routes received, as the server's feed sends it. */
export type ReceivedRequest = RequestView;

export interface Snapshot {
  readonly url: string;
  readonly calls: Call[];
  readonly operations: Operation[];
  readonly scenario: Record<string, unknown>;
  readonly invites: Invite[];
  readonly deliveries: Delivery[];
  readonly requests: ReceivedRequest[];
}

/** The console's whole state: the snapshot, kept up to date by the feed's events. */
export interface State {
  connected: boolean;
  calls: Map<string, Call>;
  operations: Map<string, Operation>;
  scenario: Record<string, unknown>;
  invites: Invite[];
  deliveries: Delivery[];
  requests: ReceivedRequest[];
}

export function emptyState(): State {
  return {
    connected: false,
    calls: new Map(),
    operations: new Map(),
    scenario: {},
    invites: [],
    deliveries: [],
    requests: [],
  };
}

/** Applies one event of the feed; returns whether anything changed. */
export function apply(state: State, event: string, data: unknown): void {
  switch (event) {
    case "reset": {
      const snapshot = data as Snapshot;
      state.calls = new Map(snapshot.calls.map((call) => [call.id, call]));
      state.operations = new Map(snapshot.operations.map((operation) => [operation.id, operation]));
      state.scenario = snapshot.scenario;
      state.invites = snapshot.invites;
      state.deliveries = snapshot.deliveries;
      state.requests = snapshot.requests;
      return;
    }
    case "call": {
      const call = data as Call;
      state.calls.set(call.id, call);
      return;
    }
    case "operation": {
      const operation = data as Operation;
      state.operations.set(operation.id, operation);
      return;
    }
    case "scenario":
      state.scenario = data as Record<string, unknown>;
      return;
    case "invite":
      state.invites.push(data as Invite);
      return;
    case "delivery": {
      const delivery = data as Delivery;
      state.deliveries[delivery.seq] = delivery;
      return;
    }
    case "request": {
      const request = data as ReceivedRequest;
      state.requests[request.seq] = request;
      return;
    }
  }
}

/** A shell word: single-quoted, with each quote closed, escaped and reopened. */
const shellQuote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

/** A curl command that sends the delivery again as it was sent first (its token expires within the hour). */
export function curlOf(delivery: Delivery): string {
  const headers = Object.entries(delivery.headers).map(([name, value]) => `-H ${shellQuote(`${name}: ${value}`)}`);
  return [
    `curl -X POST ${shellQuote(delivery.url)}`,
    ...headers,
    `--data-raw ${shellQuote(JSON.stringify(delivery.body))}`,
  ].join(" \\\n  ");
}

/** The delivery as JSON: what was sent, where, with which headers, and how each attempt went. */
export function jsonOf(delivery: Delivery): string {
  const { seq, messageId, kind, callId, url, outcome, headers, body, attempts, claims } = delivery;
  return JSON.stringify({ seq, messageId, kind, callId, url, outcome, headers, body, attempts, claims }, null, 2);
}
