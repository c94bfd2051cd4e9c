// The simulated Graph: the calls, the invite action and what follows it. HTTP lives in server.ts; this module
// decides what happens and what is sent.
import { randomUUID } from "node:crypto";
import type { CommsNotificationsBody, InvitationParticipantInfo, Participant } from "@graph-invite/types";
import { type Issue, validateInviteRequest } from "@graph-invite/validator";
import { Calls, type SimulatedCall } from "./calls.js";
import { ConfigError } from "./config.js";
import type { Courier } from "./delivery.js";
import { graphError, HttpError } from "./http.js";
import { botId, type Directory, identityIds } from "./identities.js";
import { type Caller, invitePermission } from "./identity-platform.js";
import type { InFlight } from "./in-flight.js";
import {
  answerDelay,
  callEnded,
  defaultAnswer,
  defaultFailures,
  failureInfo,
  type Invitee,
  type InviteeState,
  type Ringing,
  sleepUnlessWoken,
} from "./invitees.js";
import type { Answer, AppRegistration, CallSeed, RejectedInvite, Scenario } from "./options.js";
import { dispatch, type OutgoingNotification } from "./outgoing.js";
import { type Related, relatedCall } from "./related-call.js";
import {
  callEndNotifications,
  inviteResponse,
  operationNotification,
  resultInfo,
  rosterNotification,
  type SimulatedOperation,
} from "./wire.js";

export type { InviteeState } from "./invitees.js";

export interface InviteAccepted {
  readonly operation: SimulatedOperation;
  readonly body: unknown;
  /**
   * Resolves once the operation's terminal notification has had its first delivery attempt (or was dropped), or the
   * invite could not be carried out; never rejects.
   */
  readonly terminalSent: Promise<void>;
}

export interface GraphDependencies {
  readonly apps: readonly AppRegistration[];
  readonly directory: Directory;
  readonly courier: Courier;
  readonly inFlight: InFlight;
  readonly signal: AbortSignal;
  readonly scenario: Scenario;
}

export class SimulatedGraph {
  readonly calls: Calls;
  readonly operations = new Map<string, SimulatedOperation>();
  private currentScenario: Scenario;
  /** The scenario's rejections not yet used, in order. */
  private pendingRejections: RejectedInvite[];
  private readonly ringing = new Map<string, Ringing>();
  /** Told whenever a call, a roster or an operation changes, for the console's live feed. */
  changed: () => void = () => {};

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
    this.changed();
  }

  createCall(seed: CallSeed): SimulatedCall {
    const owner = seed.appId === undefined ? this.deps.apps[0] : this.deps.apps.find((app) => app.appId === seed.appId);
    if (owner === undefined)
      throw new ConfigError("/appId", "must be the appId of an app registered with the simulator");
    if (seed.id !== undefined && this.calls.get(seed.id) !== undefined) {
      throw new ConfigError("/id", "is the id of a call that already exists");
    }
    const call = this.calls.add(seed, owner);
    this.changed();
    return call;
  }

  /** The call as `caller` may see it: 404 when there is none, 403 when another app owns it. */
  callFor(caller: Caller, callId: string, clientRequestId?: string): SimulatedCall {
    const call = this.calls.get(callId);
    if (call === undefined) {
      throw new HttpError(404, graphError("ItemNotFound", `The call '${callId}' was not found.`, { clientRequestId }));
    }
    if (call.appId !== caller.appId) {
      const message = `The call '${callId}' belongs to another application.`;
      throw new HttpError(403, graphError("Forbidden", message, { clientRequestId }));
    }
    return call;
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
    const call = this.callFor(caller, callId, clientRequestId);
    if (call.state === "terminated") throw fail(404, "ItemNotFound", `The call '${callId}' was not found.`);

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
    const related = relatedCall(this.calls, request.participants[0] as InvitationParticipantInfo, call, fail);

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
    this.changed();
    const body = inviteResponse(operation, this.deps.directory);
    let terminalSent = () => {};
    const terminal = new Promise<void>((resolve) => {
      terminalSent = resolve;
    });
    const done = this.carryOut(operation, call, related, terminalSent).finally(terminalSent);
    this.deps.inFlight.track(done, this.deps.signal);
    return { operation, body, terminalSent: terminal };
  }

  /**
   * Waits for the invitees' answers; each answer that lets someone join changes the roster at once. The last answer
   * ends the operation, and its terminal notification goes first, as on the reference page; a replace or a move
   * then changes the other call.
   */
  private async carryOut(
    operation: SimulatedOperation,
    call: SimulatedCall,
    related: Related,
    terminalSent: () => void,
  ): Promise<void> {
    const started = performance.now();
    const answers: Invitee[] = operation.participants.map((participant, index) => {
      const answer = this.answerFor(participant);
      return { index, participant, answer, due: answerDelay(answer), answered: false, decided: false };
    });
    const ringing: Ringing = { invitees: answers, started, wake: () => {} };
    this.ringing.set(operation.id, ringing);
    // With `reorder`, everything is held until the operation ends and then sent newest first.
    const reorder = this.scenario.delivery?.reorder === true;
    const held: OutgoingNotification[] = [];
    const send = (outgoing: OutgoingNotification[]) => {
      const batch = outgoing.map((sent) => ({ ...sent, operationId: operation.id }));
      return reorder
        ? held.push(...batch.map((sent) => ({ ...sent, reordered: true })))
        : this.dispatch(batch, terminalSent);
    };

    // Invitees whose answers fall due at the same moment join in one roster change. An answer given through the
    // control API falls due when it is given, and wakes the wait for the next one.
    let waited = 0;
    for (;;) {
      const open = answers.filter((entry) => !entry.answered);
      if (open.length === 0) break;
      const next = Math.min(...open.map((entry) => entry.due));
      const woken = new Promise<void>((resolve) => {
        ringing.wake = resolve;
      });
      if (await sleepUnlessWoken(next - waited, this.deps.signal, woken)) {
        // An answer given now falls due now: what is left is timed from here.
        waited = performance.now() - started;
        continue;
      }
      waited = next;
      if (call.state === "terminated") break;
      const batch = open.filter((entry) => entry.due === next);
      for (const entry of batch) entry.answered = true;
      const accepted = batch.filter((entry) => entry.answer.kind === "accept");
      const joined = this.calls.join(
        call,
        accepted.map(({ participant }) => ({ identity: participant.identity })),
      );
      const roster = joined.length > 0 ? [{ kind: "roster" as const, call, body: this.roster(call, joined) }] : [];
      const last = answers.every((entry) => entry.answered);
      if (!last) {
        this.changed();
        await send(roster);
      } else {
        const terminal = this.finish(operation, call, answers);
        const after = this.aftermath(operation, related);
        this.changed();
        await send([terminal, ...roster, ...after]);
      }
    }
    if (call.state === "terminated" && operation.status === "running") {
      const terminal = this.finish(operation, call, answers);
      this.changed();
      await send([terminal]);
    }
    if (reorder) await this.dispatch(held.reverse(), terminalSent);
  }

  /**
   * Answers for a ringing invitee now, whatever the scenario said: the console's accept, decline and "let it ring"
   * (a no-answer at the end of the usual ring time). Throws a 404 or 409 the control API answers with.
   */
  answer(operationId: string, index: number, answer: Answer | { readonly kind: "ring" }): void {
    const ringing = this.ringing.get(operationId);
    const invitee = ringing?.invitees[index];
    if (ringing === undefined || invitee === undefined) {
      throw new HttpError(
        404,
        graphError("ItemNotFound", `The operation '${operationId}' has no participant ${index} ringing.`),
      );
    }
    if (invitee.answered) {
      throw new HttpError(
        409,
        graphError("Conflict", `Participant ${index} of '${operationId}' has already answered.`),
      );
    }
    const now = performance.now() - ringing.started;
    if (answer.kind === "ring") {
      invitee.answer = { kind: "no-answer" };
      invitee.due = Math.max(now, defaultFailures["no-answer"].afterMs);
    } else {
      invitee.answer = answer;
      invitee.due = now;
      invitee.decided = true;
    }
    this.changed();
    ringing.wake();
  }

  /** Each invitee of an operation: whether it has answered, and how; undefined for an operation never carried out. */
  invitees(operationId: string): ReadonlyArray<InviteeState> | undefined {
    const ringing = this.ringing.get(operationId);
    if (ringing === undefined) return undefined;
    // Wall-clock time, so that the value stays the same for as long as the answer does.
    const origin = Date.now() - (performance.now() - ringing.started);
    return ringing.invitees.map((entry) => ({
      answered: entry.answered || entry.decided,
      answer: entry.answer.kind,
      dueAt: new Date(Math.round(origin + entry.due)).toISOString(),
    }));
  }

  /** Ends the operation; returns its terminal notification. */
  private finish(
    operation: SimulatedOperation,
    call: SimulatedCall,
    answers: ReadonlyArray<{ answer: Answer }>,
  ): OutgoingNotification {
    const failure = answers.find(({ answer }) => answer.kind !== "accept")?.answer;
    const ended = call.state === "terminated";
    operation.status = ended || failure !== undefined ? "failed" : "completed";
    operation.resultInfo = ended ? callEnded() : failure === undefined ? null : failureInfo(failure);
    operation.completedAt = new Date().toISOString();
    return { kind: "operation", call, body: operationNotification(operation, this.deps.directory) };
  }

  /** What a completed replace or move does to the other call, and the notifications that report it. */
  private aftermath(operation: SimulatedOperation, related: Related): OutgoingNotification[] {
    if (related === undefined || operation.status !== "completed") return [];
    if (related.kind === "move") {
      const left = this.calls.leave(related.call, related.participantId, "movedToAnotherMeeting");
      return left === undefined
        ? []
        : [{ kind: "roster", call: related.call, body: this.roster(related.call, [left]) }];
    }
    const reason = resultInfo(200, 0, `The call was replaced by the call '${operation.callId}'.`);
    const ending = callEndNotifications(related.call, reason);
    this.calls.terminate(related.call);
    return ending.map((body) => ({ kind: "call", call: related.call, body }));
  }

  private roster(call: SimulatedCall, changed: readonly Participant[]): CommsNotificationsBody {
    const shape = {
      mode: this.scenario.roster ?? "full",
      sequenceNumbers: this.scenario.rosterSequenceNumbers ?? false,
    };
    return rosterNotification(call, changed, shape);
  }

  private answerFor(participant: InvitationParticipantInfo): Answer {
    const answers = this.scenario.answers ?? {};
    for (const id of identityIds(participant.identity)) {
      if (Object.hasOwn(answers, id)) return answers[id] as Answer;
    }
    return this.scenario.defaultAnswer ?? defaultAnswer;
  }

  private dispatch(outgoing: readonly OutgoingNotification[], terminalSent: () => void): Promise<void> {
    return dispatch(
      outgoing,
      { scenario: this.scenario, courier: this.deps.courier, signal: this.deps.signal },
      terminalSent,
    );
  }
}
