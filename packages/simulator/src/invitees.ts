// An invite's invitees: how and when each answers, what a failed answer reports, and the wait for the next answer.
import type { InvitationParticipantInfo, ResultInfo } from "@graph-invite/types";
import { sleep } from "./in-flight.js";
import type { Answer, FailureInfo } from "./options.js";
import { resultInfo } from "./wire.js";

/** The resultInfo of an invite whose call ended before the invitees answered. */
export const callEnded = () => resultInfo(410, 0, "The call ended before the invitation was answered.");

/** How an invitee answers when the scenario does not say: at once, nearly. */
export const defaultAnswer: Answer = { kind: "accept", afterMs: 10 };

/** The resultInfo of a failed answer when the scenario gives none (SIP's codes for the same outcomes). */
export const defaultFailures: Record<"decline" | "no-answer", FailureInfo & { afterMs: number }> = {
  decline: { code: 603, subcode: 0, message: "The invitee declined the call.", afterMs: 10 },
  // A Teams invite rings for about a minute before it gives up.
  "no-answer": { code: 408, subcode: 0, message: "The invitee did not answer.", afterMs: 60_000 },
};

/** An invitee as the console shows it: answered or still ringing, the answer it gives, and when. */
export interface InviteeState {
  readonly answered: boolean;
  readonly answer: Answer["kind"];
  readonly dueAt: string;
}

/** An invitee of a running invite, and when (in ms from the invite's start) its answer falls due. */
export interface Invitee {
  readonly index: number;
  readonly participant: InvitationParticipantInfo;
  answer: Answer;
  due: number;
  answered: boolean;
  /** Answered through the control API, and about to be carried out. */
  decided: boolean;
}

/** An invite's invitees, and how to wake the wait for their answers when one is given through the control API. */
export interface Ringing {
  readonly invitees: readonly Invitee[];
  readonly started: number;
  wake: () => void;
}

/**
 * Waits `ms`, or less if `woken` settles first; returns whether it was woken. Rejects, as sleep() does, when the
 * simulator closes; a wait cut short leaves no timer behind.
 */
export async function sleepUnlessWoken(ms: number, signal: AbortSignal, woken: Promise<void>): Promise<boolean> {
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

export function answerDelay(answer: Answer): number {
  return answer.afterMs ?? (answer.kind === "accept" ? 10 : defaultFailures[answer.kind].afterMs);
}

export function failureInfo(answer: Answer): ResultInfo {
  if (answer.kind === "accept") throw new Error("an accepted invite has no failure");
  const defaults = defaultFailures[answer.kind];
  return resultInfo(
    answer.code ?? defaults.code,
    answer.subcode ?? defaults.subcode,
    answer.message ?? defaults.message,
  );
}
