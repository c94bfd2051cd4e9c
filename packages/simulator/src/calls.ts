// The calls the simulator knows and who is in each: the state invites change and notifications report.
import { randomUUID } from "node:crypto";
import type { ChatInfo, Participant } from "@graph-invite/types";
import type { Directory } from "./identities.js";
import type { CallKind, CallSeed, SeedParticipant } from "./options.js";

/** A call as the simulator tracks it: who owns it, where its notifications go, and who is in it. */
export interface SimulatedCall {
  /** The call's id, as the invite's path names it. */
  readonly id: string;
  /** A peer-to-peer call, a group call, or a meeting. */
  readonly kind: CallKind;
  /** The app that owns the call: only its tokens act on it. */
  readonly appId: string;
  /** The tenant the call is in, the owning app's. */
  readonly tenantId: string;
  /** Where the call's notifications are POSTed. */
  readonly callbackUri: string;
  /** The chat of a group call or meeting; null for a peer-to-peer call. */
  readonly chatInfo: ChatInfo | null;
  /** `terminated` once an invite that replaces it has completed; otherwise `established`. */
  state: "established" | "terminated";
  /** The roster, in the order participants joined. */
  readonly participants: Participant[];
  /** Bumped at every roster change; each participant carries the number of its last change. */
  rosterSequence: number;
}

export class Calls {
  private readonly byId = new Map<string, SimulatedCall>();
  /** The media `sourceId`s handed out in each call so far. */
  private readonly sourceIds = new Map<string, number>();

  constructor(private readonly directory: Directory) {}

  add(seed: CallSeed, owner: { appId: string; tenantId: string }): SimulatedCall {
    const id = seed.id ?? randomUUID();
    const call: SimulatedCall = {
      id,
      kind: seed.kind,
      appId: owner.appId,
      tenantId: owner.tenantId,
      callbackUri: new URL(seed.callbackUri).href,
      chatInfo: seed.chatInfo ?? (seed.kind === "p2p" ? null : newChatInfo()),
      state: "established",
      participants: [],
      rosterSequence: 0,
    };
    this.byId.set(id, call);
    this.join(call, seed.participants ?? []);
    return call;
  }

  get(id: string): SimulatedCall | undefined {
    return this.byId.get(id);
  }

  all(): SimulatedCall[] {
    return [...this.byId.values()];
  }

  /** Adds the participants to the roster; returns their new roster entries. */
  join(call: SimulatedCall, participants: readonly SeedParticipant[]): Participant[] {
    if (participants.length === 0) return [];
    call.rosterSequence += 1;
    const joined = participants.map((participant) => this.entry(call, participant));
    call.participants.push(...joined);
    return joined;
  }

  /** Removes a participant; returns its last roster entry, marked as removed. */
  leave(call: SimulatedCall, participantId: string, reason: string): Participant | undefined {
    const index = call.participants.findIndex((participant) => participant.id === participantId);
    if (index === -1) return undefined;
    const [left] = call.participants.splice(index, 1) as [Participant];
    call.rosterSequence += 1;
    return {
      ...left,
      rosterSequenceNumber: call.rosterSequence,
      removedState: { "@odata.type": "#microsoft.graph.removedState", reason },
    };
  }

  terminate(call: SimulatedCall): void {
    call.state = "terminated";
    call.participants.length = 0;
  }

  private entry(call: SimulatedCall, { id, identity }: SeedParticipant): Participant {
    const sourceId = (this.sourceIds.get(call.id) ?? 0) + 1;
    this.sourceIds.set(call.id, sourceId);
    return {
      "@odata.type": "#microsoft.graph.participant",
      id: id ?? randomUUID(),
      info: {
        "@odata.type": "#microsoft.graph.participantInfo",
        identity: this.directory.forNotification(identity),
        endpointType: "default",
      },
      mediaStreams: [
        {
          "@odata.type": "#microsoft.graph.mediaStream",
          mediaType: "audio",
          sourceId: String(sourceId),
          direction: "sendReceive",
          serverMuted: false,
        },
      ],
      isMuted: false,
      isInLobby: false,
      rosterSequenceNumber: call.rosterSequence,
    };
  }
}

function newChatInfo(): ChatInfo {
  return {
    "@odata.type": "#microsoft.graph.chatInfo",
    threadId: `19:meeting_${randomUUID().replaceAll("-", "")}@thread.v2`,
    messageId: "0",
  };
}
