// Sorts parsed notifications into what a bot acts on: an operation's result, a roster update, a change to the
// call itself, or anything else.
import type {
  AnyCommsOperation,
  Call,
  ChangeType,
  CommsNotification,
  Participant,
  ResultInfo,
} from "@graph-invite/types";
import { type CanonicalOperationStatus, canonicalStatus, isObject } from "./normalise.js";
import { parseResourcePath } from "./resource-path.js";

/** What every classified notification has, whatever it is about. */
export interface ClassifiedNotificationBase {
  /** The notification itself, as parsed. */
  readonly notification: CommsNotification;
  /** What happened to the resource: `created`, `updated` or `deleted`. */
  readonly changeType: ChangeType;
  /** The call the notification is about, from its `resourceUrl`; undefined if the path names no call. */
  readonly callId: string | undefined;
}

/** A long-running operation changed, typically its terminal `deleted` notification. */
export interface OperationNotification extends ClassifiedNotificationBase {
  /** What the notification is about: an operation. */
  readonly kind: "operation";
  /** The operation's id, from its body or else its path; null when Graph sends neither (it sends `id: null`). */
  readonly operationId: string | null;
  /** The `@odata.type` of the operation, such as `#microsoft.graph.inviteParticipantsOperation`. */
  readonly operationType: string;
  /** The `clientContext` the invite sent, which correlates the operation with it; null when Graph sends none. */
  readonly clientContext: string | null;
  /**
   * The status, spelt as Graph's documentation spells it whatever casing arrived. An operation whose status the
   * contract does not list is classified `other`, its status kept as sent (tolerant mode reports `enum.unknown-value`),
   * so that this stays a type that narrows.
   */
  readonly status: CanonicalOperationStatus;
  /** How the operation ended (its code, subcode and message); null while it runs or when Graph sends none. */
  readonly resultInfo: ResultInfo | null;
  /** The operation as the notification carries it (`resourceData`). */
  readonly operation: AnyCommsOperation;
}

/** The call's roster: the full list or the participants that changed (a delta roster), in either case `participants`. */
export interface RosterNotification extends ClassifiedNotificationBase {
  /** What the notification is about: the call's roster. */
  readonly kind: "roster";
  /** The participants the notification carries: the whole roster, or only those that changed (see `delta`). */
  readonly participants: readonly Participant[];
  /**
   * True when `participants` are only those that changed, not the whole roster: a delta roster (`deltaParticipants`),
   * or in tolerant mode a participant sent on its own.
   */
  readonly delta: boolean;
  /** The delta roster's sequence number, when it has one. */
  readonly sequenceNumber: number | null;
}

/**
 * The call itself changed: its state, its end with a resultInfo, or a DTMF tone it heard (`call.toneInfo`, after
 * `subscribeToTone`).
 */
export interface CallNotification extends ClassifiedNotificationBase {
  /** What the notification is about: the call itself. */
  readonly kind: "call";
  /** The call's state as sent, such as `established` or `terminated`; null when the notification has none. */
  readonly state: string | null;
  /** Why the call ended, on its terminal notification; null otherwise. */
  readonly resultInfo: ResultInfo | null;
  /** The call as the notification carries it (`resourceData`). */
  readonly call: Call;
}

/**
 * A notification that is none of the above: a resource this package does not classify, or an operation whose status
 * the contract does not list. Its `notification` holds everything that arrived.
 */
export interface OtherNotification extends ClassifiedNotificationBase {
  /** What the notification is about: something else. */
  readonly kind: "other";
}

/** A notification as the tolerant parser read it, by what it is about: an operation, a roster, a call, or other. */
export type ClassifiedNotification = OperationNotification | RosterNotification | CallNotification | OtherNotification;

export function classify(notification: CommsNotification): ClassifiedNotification {
  const path = parseResourcePath(notification.resourceUrl);
  const { changeType } = notification;
  const callId = path?.callId;
  const data: unknown = notification.resourceData;
  // Each kind is built as one literal rather than spread from a base: this runs for every notification received.
  if (Array.isArray(data)) {
    return {
      kind: "roster",
      notification,
      changeType,
      callId,
      participants: data as Participant[],
      delta: false,
      sequenceNumber: null,
    };
  }
  if (!isObject(data)) return { kind: "other", notification, changeType, callId };
  const type = data["@odata.type"];
  if (type === "#microsoft.graph.deltaParticipants") {
    const sequenceNumber = data["sequenceNumber"];
    return {
      kind: "roster",
      notification,
      changeType,
      callId,
      participants: (data["participants"] ?? []) as Participant[],
      delta: true,
      sequenceNumber: typeof sequenceNumber === "number" ? sequenceNumber : null,
    };
  }
  if (type === "#microsoft.graph.call") {
    return {
      kind: "call",
      notification,
      changeType,
      callId,
      state: typeof data["state"] === "string" ? data["state"] : null,
      resultInfo: (data["resultInfo"] ?? null) as ResultInfo | null,
      call: data as Call,
    };
  }
  const sent = data["status"];
  const status = typeof sent === "string" ? canonicalStatus(sent) : undefined;
  if (status !== undefined) {
    const pathOperationId = path?.resource.kind === "operation" ? path.resource.operationId : undefined;
    const id = data["id"];
    const clientContext = data["clientContext"];
    return {
      kind: "operation",
      notification,
      changeType,
      callId,
      operationId: typeof id === "string" ? id : (pathOperationId ?? null),
      operationType: typeof type === "string" ? type : "#microsoft.graph.inviteParticipantsOperation",
      clientContext: typeof clientContext === "string" ? clientContext : null,
      status,
      resultInfo: (data["resultInfo"] ?? null) as ResultInfo | null,
      operation: data as AnyCommsOperation,
    };
  }
  return { kind: "other", notification, changeType, callId };
}
