// The simulated Graph: the calls, the invite action and what follows it. HTTP lives in server.ts; this module
// decides what happens and what is sent.
import { randomUUID } from "node:crypto";
import type { CommsNotificationsBody, InvitationParticipantInfo, ResultInfo } from "@graph-invite/types";
import { type Issue, validateInviteRequest } from "@graph-invite/validator";
import { Calls, type SimulatedCall } from "./calls.js";
import { ConfigError } from "./control.js";
import type { Courier } from "./delivery.js";
import { withDeviations } from "./deviations.js";
import { graphError, HttpError } from "./http.js";
import { botId, type Directory, identityIds } from "./identities.js";
import { type Caller, invitePermission } from "./identity-platform.js";
import type {
  Answer,
  AppRegistration,
  CallSeed,
  FailureInfo,
  NotificationKind,
  RejectedInvite,
  Scenario,
} from "./options.js";
import { sleep, type Tracker } from "./tracker.js";
import {
  callEndNotifications,
  inviteResponse,
  operationNotification,
  resultInfo,
  rosterNotification,
  type SimulatedOperation,
} from "./wire.js";

/** How an invitee answers when the scenario does not say: at once, nearly. */
const defaultAnswer: Answer = { kind: "accept", afterMs: 10 };

/** The resultInfo of a failed answer when the scenario gives none (SIP's codes for the same outcomes). */
const defaultFailures: Record<"decline" | "no-answer", FailureInfo & { afterMs: number }> = {
  decline: { code: 603, subcode: 0, message: "The invitee declined the call.", afterMs: 10 },
  // A Teams invite rings for about a minute before it gives up.
  "no-answer": { code: 408, subcode: 0, message: "The invitee did not answer.", afterMs: 60_000 },
};

/** One notification, before the scenario's deviations and delivery controls apply. */
interface OutgoingNotification {
  readonly kind: NotificationKind;
  /** The call it is about, whose callback receives it and whose app it is addressed to. */
  readonly call: SimulatedCall;
  readonly body: CommsNotificationsBody;
}

/** What an invite acts on besides its own call. */
type Related =
  | { readonly kind: "replace"; readonly call: SimulatedCall }
  | { readonly kind: "move"; readonly call: SimulatedCall; readonly participantId: string }
  | undefined;

export interface InviteAccepted {
  readonly operation: SimulatedOperation;
  readonly body: unknown;
  /** Resolves when everything that follows the invite has happened. */
  readonly done: Promise<void>;
}

export interface GraphDependencies {
  readonly apps: readonly AppRegistration[];
  readonly directory: Directory;
  readonly courier: Courier;
  readonly tracker: Tracker;
  readonly signal: AbortSignal;
  readonly scenario: Scenario;
}

export class SimulatedGraph {
  readonly calls: Calls;
  readonly operations = new Map<string, SimulatedOperation>();
  private currentScenario: Scenario;
  /** The scenario's rejections not yet used, in order. */
  private pendingRejections: RejectedInvite[];

  constructor(private readonly deps: GraphDependencies) {
    this.calls = new Calls(deps.directory);
    this.currentScenario = deps.scenario;
    this.pendingRejections = [...(deps.scenario.rejectInvites ?? [])];
  }

  get scenario(): Scenario {
    return this.currentScenario;
  }

  set scenario(scenario: Scenario) {
    this.currentScenario = scenario;
    this.pendingRejections = [...(scenario.rejectInvites ?? [])];
  }

  createCall(seed: CallSeed): SimulatedCall {
    const owner = seed.appId === undefined ? this.deps.apps[0] : this.deps.apps.find((app) => app.appId === seed.appId);
    if (owner === undefined)
      throw new ConfigError("/appId", "must be the appId of an app registered with the simulator");
    if (seed.id !== undefined && this.calls.get(seed.id) !== undefined) {
      throw new ConfigError("/id", "is the id of a call that already exists");
    }
    return this.calls.add(seed, owner);
  }

  /** Carries out `POST /communications/calls/{callId}/participants/invite`, or throws Graph's error. */
  invite(caller: Caller, callId: string, text: string, clientRequestId: string | undefined): InviteAccepted {
    const fail = (status: number, code: string, message: string, details?: readonly Issue[]) =>
      new HttpError(
        status,
        graphError(code, message, {
          clientRequestId,
          ...(details !== undefined && {
            details: details.map((issue) => ({ code: issue.code, message: issue.message, target: issue.pointer })),
          }),
        }),
      );

    const rejection = this.pendingRejections.shift();
    if (rejection !== undefined) {
      const [code, message] =
        rejection.status === 429
          ? ["TooManyRequests", "Please retry again later."]
          : ["ServiceUnavailable", "The service is temporarily unavailable. Please retry again later."];
      throw new HttpError(
        rejection.status,
        graphError(code, message, { clientRequestId }),
        rejection.retryAfter === undefined ? {} : { "Retry-After": rejection.retryAfter },
      );
    }
    if (!caller.roles.includes(invitePermission)) {
      throw fail(403, "Forbidden", `The application needs the ${invitePermission} permission to invite participants.`);
    }
    const call = this.calls.get(callId);
    if (call === undefined || call.state === "terminated") {
      throw fail(404, "ItemNotFound", `The call '${callId}' was not found.`);
    }
    if (call.appId !== caller.appId || call.tenantId !== caller.tenantId) {
      throw fail(403, "Forbidden", `The call '${callId}' belongs to another application.`);
    }

    const botInCall = call.participants.some((participant) => {
      const bot = botId(participant.info.identity);
      return bot !== undefined && bot !== call.appId;
    });
    // Graph accepts a replace or a move with several participants and acts on the first only, as the page says.
    const checked = validateInviteRequest(text, { callKind: call.kind, botInCall, ignoredParticipants: "warning" });
    if (!checked.ok) {
      const [first] = checked.errors as [Issue, ...Issue[]];
      const where = first.pointer === "" ? "the request body" : first.pointer;
      throw fail(400, "BadRequest", `Invalid request at ${where}: ${first.message}`, checked.errors);
    }
    const request = checked.value;
    const related = this.related(request.participants[0] as InvitationParticipantInfo, call, fail);

    const operation: SimulatedOperation = {
      id: randomUUID(),
      callId,
      clientContext: request.clientContext ?? null,
      status: "running",
      resultInfo: null,
      participants: related === undefined ? request.participants : request.participants.slice(0, 1),
      replacesCallId: related?.call.id ?? null,
      createdAt: new Date().toISOString(),
      completedAt: null,
    };
    this.operations.set(operation.id, operation);
    const body = inviteResponse(operation, this.deps.directory);
    const done = this.carryOut(operation, call, related);
    this.deps.tracker.track(done, this.deps.signal);
    return { operation, body, done };
  }

  /** The call a replace drops or a move takes the participant from, checked; undefined for a plain invite. */
  private related(
    first: InvitationParticipantInfo,
    call: SimulatedCall,
    fail: (status: number, code: string, message: string) => HttpError,
  ): Related {
    const otherId = first.replacesCallId;
    if (otherId == null) return undefined;
    const other = this.calls.get(otherId);
    const pointer = "/participants/0/replacesCallId";
    if (first.participantId != null) {
      if (other === undefined || other.state === "terminated") {
        throw fail(404, "ItemNotFound", `The meeting '${otherId}' at ${pointer} was not found.`);
      }
      if (other.kind !== "meeting" || call.kind !== "meeting" || other.appId !== call.appId) {
        throw fail(
          400,
          "BadRequest",
          `A participant can be moved only between two meetings created by the same app (${pointer}).`,
        );
      }
      if (!other.participants.some((participant) => participant.id === first.participantId)) {
        throw fail(
          404,
          "ItemNotFound",
          `The participant '${first.participantId}' at /participants/0/participantId is not in the meeting '${otherId}'.`,
        );
      }
      return { kind: "move", call: other, participantId: first.participantId };
    }
    // A call the simulator does not know is not acted on, and the response shows no replace (the page's example 2).
    if (other === undefined || other.state === "terminated") return undefined;
    if (other.kind !== "p2p") {
      throw fail(
        400,
        "BadRequest",
        `The call '${otherId}' at ${pointer} is not a peer-to-peer call, so it cannot be replaced.`,
      );
    }
    return { kind: "replace", call: other };
  }

  /** Waits for the invitees' answers, changes the rosters and sends the notifications, in Graph's order. */
  private async carryOut(operation: SimulatedOperation, call: SimulatedCall, related: Related): Promise<void> {
    const answers = operation.participants.map((participant) => this.answerFor(participant));
    // The operation ends when the last invitee has answered.
    await sleep(Math.max(...answers.map(answerDelay)), this.deps.signal);

    const failure = answers.find((answer) => answer.kind !== "accept");
    const accepted = operation.participants.filter((_, index) => answers[index]?.kind === "accept");
    operation.status = failure === undefined ? "completed" : "failed";
    operation.resultInfo = failure === undefined ? null : failureInfo(failure);
    operation.completedAt = new Date().toISOString();

    const roster = {
      mode: this.scenario.roster ?? "full",
      sequenceNumbers: this.scenario.rosterSequenceNumbers ?? false,
    };
    const outgoing = [this.outgoing("operation", call, operationNotification(operation, this.deps.directory))];
    const joined = this.calls.join(
      call,
      accepted.map(({ identity }) => ({ identity })),
    );
    if (joined.length > 0) outgoing.push(this.outgoing("roster", call, rosterNotification(call, joined, roster)));
    if (related?.kind === "move" && accepted.length > 0) {
      const left = this.calls.leave(related.call, related.participantId, "movedToAnotherMeeting");
      if (left !== undefined) {
        outgoing.push(this.outgoing("roster", related.call, rosterNotification(related.call, [left], roster)));
      }
    }
    if (related?.kind === "replace" && failure === undefined) {
      const reason = resultInfo(200, 0, `The call was replaced by the call '${call.id}'.`);
      for (const body of callEndNotifications(related.call, reason)) {
        outgoing.push(this.outgoing("call", related.call, body));
      }
      this.calls.terminate(related.call);
    }
    await this.dispatch(outgoing);
  }

  private answerFor(participant: InvitationParticipantInfo): Answer {
    const answers = this.scenario.answers ?? {};
    for (const id of identityIds(participant.identity)) {
      if (Object.hasOwn(answers, id)) return answers[id] as Answer;
    }
    return this.scenario.defaultAnswer ?? defaultAnswer;
  }

  private outgoing(kind: NotificationKind, call: SimulatedCall, body: CommsNotificationsBody): OutgoingNotification {
    return { kind, call, body };
  }

  /** Sends notifications one after another, as the scenario's delivery controls and deviations say. */
  private async dispatch(outgoing: readonly OutgoingNotification[]): Promise<void> {
    const controls = this.scenario.delivery ?? {};
    const policy = { maxAttempts: controls.maxAttempts ?? 4, retryDelayMs: controls.retryDelayMs ?? 100 };
    const ordered = controls.reorder === true ? [...outgoing].reverse() : outgoing;
    for (const notification of ordered) {
      if ((controls.delayMs ?? 0) > 0) await sleep(controls.delayMs ?? 0, this.deps.signal);
      const { kind, call, body } = notification;
      const sent = {
        kind,
        callId: call.id,
        url: call.callbackUri,
        body: withDeviations(body, this.scenario.deviations ?? []),
      };
      if (controls.drop?.includes(kind) === true) {
        this.deps.courier.drop(sent);
        continue;
      }
      const first = await this.deps.courier.send(sent, call, policy);
      if (controls.duplicate === true) await this.deps.courier.send(sent, call, policy, first);
    }
  }
}

function answerDelay(answer: Answer): number {
  return answer.afterMs ?? (answer.kind === "accept" ? 10 : defaultFailures[answer.kind].afterMs);
}

function failureInfo(answer: Answer): ResultInfo {
  if (answer.kind === "accept") throw new Error("an accepted invite has no failure");
  const defaults = defaultFailures[answer.kind];
  return resultInfo(
    answer.code ?? defaults.code,
    answer.subcode ?? defaults.subcode,
    answer.message ?? defaults.message,
  );
}
