// The simulated Graph: the calls, the invite action and what follows it. HTTP lives in server.ts; this module
// decides what happens and what is sent.
import { randomUUID } from "node:crypto";
import type { CommsNotificationsBody, InvitationParticipantInfo, Participant, ResultInfo } from "@graph-invite/types";
import { type Issue, validateInviteRequest } from "@graph-invite/validator";
import { Calls, type SimulatedCall } from "./calls.js";
import { ConfigError } from "./config.js";
import type { Courier } from "./delivery.js";
import { withDeviations } from "./deviations.js";
import { graphError, HttpError } from "./http.js";
import { botId, type Directory, identityIds } from "./identities.js";
import { type Caller, invitePermission } from "./identity-platform.js";
import { type InFlight, sleep } from "./in-flight.js";
import type {
  Answer,
  AppRegistration,
  CallSeed,
  FailureInfo,
  NotificationKind,
  RejectedInvite,
  Scenario,
} from "./options.js";
import {
  callEndNotifications,
  inviteResponse,
  operationNotification,
  resultInfo,
  rosterNotification,
  type SimulatedOperation,
} from "./wire.js";

/** The resultInfo of an invite whose call ended before the invitees answered. */
const callEnded = () => resultInfo(410, 0, "The call ended before the invitation was answered.");

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
  /** Held back by the scenario's `reorder` and sent out of order. */
  readonly reordered?: boolean;
  /** The invite whose carrying out sends it. */
  readonly operationId?: string;
}

/** An invitee as the console shows it: answered or still ringing, the answer it gives, and when. */
export interface InviteeState {
  readonly answered: boolean;
  readonly answer: Answer["kind"];
  readonly dueAt: string;
}

/** An invitee of a running invite, and when (in ms from the invite's start) its answer falls due. */
interface Invitee {
  readonly index: number;
  readonly participant: InvitationParticipantInfo;
  answer: Answer;
  due: number;
  answered: boolean;
  /** Answered through the control API, and about to be carried out. */
  decided: boolean;
}

/** An invite's invitees, and how to wake the wait for their answers when one is given through the control API. */
interface Ringing {
  readonly invitees: readonly Invitee[];
  readonly started: number;
  wake: () => void;
}

/** What an invite acts on besides its own call. */
type Related =
  | { readonly kind: "replace"; readonly call: SimulatedCall }
  | { readonly kind: "move"; readonly call: SimulatedCall; readonly participantId: string }
  | undefined;

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
    if (otherId === call.id) {
      throw fail(400, "BadRequest", `${pointer} names the call the participants are invited into.`);
    }
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
    if (other.appId !== call.appId) {
      throw fail(403, "Forbidden", `The call '${otherId}' at ${pointer} belongs to another application.`);
    }
    return { kind: "replace", call: other };
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

  /**
   * Sends notifications one after another, as the scenario's delivery controls and deviations say, read once for the
   * batch. `terminalSent` is called once the operation's notification has had its first attempt or was dropped.
   */
  private async dispatch(outgoing: readonly OutgoingNotification[], terminalSent: () => void): Promise<void> {
    const { delivery: controls = {}, deviations = [] } = this.scenario;
    const policy = { maxAttempts: controls.maxAttempts ?? 4, retryDelayMs: controls.retryDelayMs ?? 100 };
    for (const { kind, call, body, reordered, operationId } of outgoing) {
      if ((controls.delayMs ?? 0) > 0) await sleep(controls.delayMs ?? 0, this.deps.signal);
      const sent = {
        kind,
        callId: call.id,
        url: call.callbackUri,
        body: withDeviations(body, deviations, call),
        ...(reordered === true && { reordered }),
        ...(operationId !== undefined && { operationId }),
      };
      const attempted = kind === "operation" ? terminalSent : undefined;
      if (controls.drop?.includes(kind) === true) {
        this.deps.courier.drop(sent);
        attempted?.();
        continue;
      }
      const first = await this.deps.courier.send(sent, call, policy, { afterFirstAttempt: attempted });
      if (controls.duplicate === true) await this.deps.courier.send(sent, call, policy, { copyOf: first });
    }
  }
}

/**
 * Waits `ms`, or less if `woken` settles first; returns whether it was woken. Rejects, as sleep() does, when the
 * simulator closes; a wait cut short leaves no timer behind.
 */
async function sleepUnlessWoken(ms: number, signal: AbortSignal, woken: Promise<void>): Promise<boolean> {
  const cut = new AbortController();
  let wasWoken = false;
  const timer = sleep(ms, AbortSignal.any([signal, cut.signal])).catch((error: unknown) => {
    if (signal.aborted || !cut.signal.aborted) throw error;
  });
  await Promise.race([
    timer,
    woken.then(() => {
      wasWoken = true;
      cut.abort();
    }),
  ]);
  await timer;
  return wasWoken;
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
