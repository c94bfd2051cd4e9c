// What the roster tests share: participants as Graph sends them, roster notifications parsed by the validator, and
// a way to play notifications through the roster and read what it said.
import type { CommsNotification, Participant } from "@graph-invite/types";
import { parseNotifications, type RosterNotification } from "@graph-invite/validator";
import type { RosterEvent, RosterState } from "../src/call-state.js";
import { applyRosterNotification, emptyRoster } from "../src/roster.js";

export type Json = Record<string, unknown>;

export const callId = "2f1a0b00-52c4-4c5e-9b6f-0c1d2e3f4a5b";

export interface State {
  readonly muted?: boolean;
  readonly lobby?: boolean;
  /** `rosterSequenceNumber`; left out when undefined. */
  readonly seq?: number | string | null;
  /** `removedState.reason`: the participant left. */
  readonly removed?: string;
}

/** A roster entry shaped as the reference page's examples and the simulator shape them. */
export function person(
  id: string | null,
  kind: "user" | "phone" | "application",
  identityId: string,
  state: State = {},
): Json {
  return {
    "@odata.type": "#microsoft.graph.participant",
    id,
    info: {
      "@odata.type": "#microsoft.graph.participantInfo",
      identity: {
        "@odata.type": "#microsoft.graph.identitySet",
        [kind]: { "@odata.type": "#microsoft.graph.identity", id: identityId },
      },
      endpointType: "default",
    },
    mediaStreams: [
      {
        "@odata.type": "#microsoft.graph.mediaStream",
        mediaType: "audio",
        sourceId: "1",
        direction: "sendReceive",
        serverMuted: false,
      },
    ],
    isMuted: state.muted ?? false,
    isInLobby: state.lobby ?? false,
    ...(state.seq !== undefined && { rosterSequenceNumber: state.seq }),
    ...(state.removed !== undefined && {
      removedState: { "@odata.type": "#microsoft.graph.removedState", reason: state.removed },
    }),
  };
}

export const ann = (state: State = {}) => person("a", "user", "ann", state);

export const bob = (state: State = {}) => person("b", "user", "bob", state);

export const cy = (state: State = {}) => person("c", "user", "cy", state);

/** A commsNotifications body with one roster notification, run through the validator's tolerant parser. */
export function parsed(resourceData: unknown, call = callId): RosterNotification {
  const result = parseNotifications({
    "@odata.type": "#microsoft.graph.commsNotifications",
    value: [
      {
        "@odata.type": "#microsoft.graph.commsNotification",
        changeType: "updated",
        resource: `/app/calls/${call}/participants`,
        resourceUrl: `/communications/calls/${call}/participants`,
        resourceData,
      },
    ],
  });
  if (!result.ok) throw new Error(`the parser refused the roster: ${JSON.stringify(result.errors)}`);
  const [notification] = result.notifications;
  if (notification?.kind !== "roster") throw new Error(`not a roster: ${notification?.kind}`);
  return notification;
}

/** A full roster: everyone in the call. */
export const full = (participants: readonly Json[]) => parsed(participants);

/** A delta roster: the participants that changed, with the delta's sequence number. */
export const delta = (sequenceNumber: number | null, participants: readonly Json[]) =>
  parsed({ "@odata.type": "#microsoft.graph.deltaParticipants", sequenceNumber, participants });

/** A roster notification built by hand, for what the parser refuses or never produces. */
export function raw(
  participants: readonly unknown[],
  isDelta = false,
  sequenceNumber: number | null = null,
): RosterNotification {
  const resourceData = isDelta
    ? { "@odata.type": "#microsoft.graph.deltaParticipants", sequenceNumber, participants }
    : participants;
  return {
    kind: "roster",
    participants: participants as Participant[],
    delta: isDelta,
    sequenceNumber,
    callId,
    changeType: "updated",
    notification: {
      changeType: "updated",
      resourceUrl: `/communications/calls/${callId}/participants`,
      resourceData,
    } as unknown as CommsNotification,
  };
}

/** Applies the notifications in order; returns the last roster and every event. */
export function play(notifications: readonly RosterNotification[], start: RosterState = emptyRoster(callId)) {
  let roster = start;
  const events: RosterEvent[] = [];
  for (const notification of notifications) {
    const change = applyRosterNotification(roster, notification);
    roster = change.roster;
    events.push(...change.events);
  }
  return { roster, events };
}

/** What the events say, without the participants' states. */
export const said = (events: readonly RosterEvent[]) =>
  events.map(({ type, key, reason }) => (reason === undefined ? [type, key] : [type, key, reason]));

export const keys = (roster: RosterState) => Object.keys(roster.members);

/** The members as key → participant, for comparisons that ignore the order they joined in. */
export const contents = (roster: RosterState) =>
  Object.fromEntries(Object.entries(roster.members).map(([key, member]) => [key, member.participant]));

/** The same value with every object's keys in reverse order. */
export function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([key, item]) => [key, reversedKeys(item)]),
  );
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
