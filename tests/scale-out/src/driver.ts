// Drives the scale-out world: waves of concurrent invites, each started through the control API of a random
// instance, each wave under other delivery controls of the simulated Graph, and an optional disruption (an instance
// killed, Redis restarted) in the middle of one wave.
import { randomUUID } from "node:crypto";
import { ControlFailed, ControlUnreachable } from "@graph-invite/bot/control";
import type { OperationRecord } from "@graph-invite/bot-kit";
import { inviteBody, userParticipant } from "@graph-invite/client";
import type { Answer, DeliveryControls, Deviation } from "@graph-invite/simulator";
import type { ScaleOut } from "./harness.js";

/** How the invitee answers. */
export type AnswerKind = Answer["kind"];

/** The delivery controls and deviations of one wave. */
export interface Wave {
  readonly name: string;
  readonly delivery?: DeliveryControls;
  readonly deviations?: readonly Deviation[];
}

/** Every way Graph delivers that the bots must survive, one wave each. */
export const waves: readonly Wave[] = [
  { name: "plain" },
  { name: "duplicates", delivery: { duplicate: true } },
  { name: "reordered", delivery: { reorder: true } },
  { name: "terminal before response", delivery: { terminalBeforeResponse: true } },
  { name: "id: null, duplicated", deviations: ["null-ids"], delivery: { duplicate: true } },
];

/** Something done to the world while a wave runs. */
export interface Disruption {
  readonly name: string;
  /** The index of the wave it happens in. */
  readonly wave: number;
  /** How long after the wave's start. */
  readonly afterMs: number;
  run(): Promise<void>;
}

export interface DriveOptions {
  readonly waves: readonly Wave[];
  readonly invitesPerWave: number;
  /** Which answers, in turn. Default: accept, decline, no answer. */
  readonly answers?: readonly AnswerKind[];
  /** Seeds the choice of instances and answer times, so that a failing run can be repeated. */
  readonly seed: number;
  readonly disruption?: Disruption;
  /** How long one invite may take, re-attachment included. Default 20 s. */
  readonly inviteTimeoutMs?: number;
}

export interface InviteResult {
  readonly wave: string;
  readonly clientContext: string;
  readonly callId: string;
  readonly answer: AnswerKind;
  /** The index of the instance that started it. */
  readonly instance: number;
  /** The outcome, or undefined when none could be had (lost). */
  readonly outcome: OperationRecord | undefined;
  /** Date.now() when the driver had the outcome. */
  readonly outcomeAt: number | undefined;
  /** Its POST /invite broke off (the instance died, or its store failed) and the outcome came from re-attaching. */
  readonly reattached: boolean;
  /** Re-attaching found no such invite in the store (404): the instance died before it registered the invite. */
  readonly unknown: boolean;
  readonly error: string | undefined;
}

export interface DriveResult {
  readonly invites: readonly InviteResult[];
  /** Milliseconds each wave took, from its first invite to its last outcome. */
  readonly waveMs: readonly number[];
  /** The disruption, when and how long (UTC times), if there was one. */
  readonly disrupted: string | undefined;
  /** When the disruption began and ended (epoch ms), if there was one. */
  readonly disruption: { readonly from: number; readonly to: number } | undefined;
}

/** A small seeded generator (mulberry32): the same seed, the same instances and answer times. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Planned {
  readonly clientContext: string;
  readonly userId: string;
  readonly answer: AnswerKind;
  readonly afterMs: number;
  readonly instance: number;
}

export async function drive(world: ScaleOut, options: DriveOptions): Promise<DriveResult> {
  const random = seededRandom(options.seed);
  const kinds = options.answers ?? ["accept", "decline", "no-answer"];
  const plans = options.waves.map(() =>
    Array.from({ length: options.invitesPerWave }, (_, index): Planned => {
      const answer = kinds[index % kinds.length] as AnswerKind;
      // A short ring for every answer, so that a wave takes well under a second; no answer rings longest.
      const afterMs = answer === "no-answer" ? 150 + Math.floor(random() * 100) : Math.floor(random() * 40);
      return {
        clientContext: randomUUID(),
        userId: randomUUID(),
        answer,
        afterMs,
        instance: Math.floor(random() * world.bots.length),
      };
    }),
  );
  const answers = Object.fromEntries(
    plans.flat().map((plan): [string, Answer] => [plan.userId, { kind: plan.answer, afterMs: plan.afterMs }]),
  );
  const invites: InviteResult[] = [];
  const waveMs: number[] = [];
  let disrupted: string | undefined;
  let window: DriveResult["disruption"];
  for (const [index, wave] of options.waves.entries()) {
    world.simulator.setScenario({
      answers,
      // Graph retries a failed delivery for a long while; eight tries from 50 ms up cover a restart of a few seconds.
      delivery: { maxAttempts: 8, retryDelayMs: 50, ...wave.delivery },
      deviations: [...(wave.deviations ?? [])],
    });
    const started = Date.now();
    const disruption =
      options.disruption?.wave === index
        ? delay(options.disruption.afterMs).then(async () => {
            const from = Date.now();
            await options.disruption?.run();
            const to = Date.now();
            window = { from, to };
            const time = (ms: number) => new Date(ms).toISOString().slice(11, 23);
            disrupted = `${options.disruption?.name} at ${time(from)}, over by ${time(to)}`;
          })
        : Promise.resolve();
    const results = await Promise.all(
      (plans[index] ?? []).map((plan) => inviteOne(world, wave.name, plan, options.inviteTimeoutMs ?? 20_000)),
    );
    waveMs.push(Date.now() - started);
    await disruption;
    invites.push(...results);
    // The next wave's controls must not apply to this wave's notifications still on their way (duplicates, retries).
    await bounded(world.simulator.settled(), 30_000, `the simulator's deliveries of wave "${wave.name}" to settle`);
  }
  return { invites, waveMs, disrupted, disruption: window };
}

async function inviteOne(world: ScaleOut, wave: string, plan: Planned, timeoutMs: number): Promise<InviteResult> {
  const deadline = Date.now() + timeoutMs;
  const call = world.simulator.createCall({ kind: "group", callbackUri: world.callbackUri });
  const result = (fields: Partial<InviteResult>): InviteResult => ({
    wave,
    clientContext: plan.clientContext,
    callId: call.id,
    answer: plan.answer,
    instance: plan.instance,
    outcome: undefined,
    outcomeAt: undefined,
    reattached: false,
    unknown: false,
    error: undefined,
    ...fields,
  });
  const command = {
    callId: call.id,
    body: inviteBody(userParticipant(plan.userId), plan.clientContext),
    options: { callKind: "group" as const },
    settle: false,
  };
  // An instance that refuses the connection never saw the invite: the driver goes to the next one, as a client
  // behind a balancer would. The instance that took it is the one that must report its outcome.
  let instance = plan.instance;
  for (let tried = 0; ; tried++) {
    const bot = world.bots[instance];
    if (bot === undefined) throw new Error(`no instance ${instance}`);
    try {
      const { outcome } = await bot.control.invite(command, deadline - Date.now());
      return result({ instance, outcome, outcomeAt: Date.now() });
    } catch (error) {
      if (error instanceof ControlUnreachable && error.refused && tried < world.bots.length * 20) {
        instance = (instance + 1) % world.bots.length;
        if (instance === plan.instance) await delay(100);
        continue;
      }
      if (error instanceof ControlUnreachable || (error instanceof ControlFailed && error.status >= 500)) {
        return result({ instance, ...(await reattachTo(world, instance, plan.clientContext, deadline)) });
      }
      return result({ instance, error: String(error) });
    }
  }
}

/**
 * Asks the instance that started the invite for its outcome again, until it answers or the deadline passes: it
 * may be restarting, or waiting for its store to come back.
 */
async function reattachTo(
  world: ScaleOut,
  instance: number,
  clientContext: string,
  deadline: number,
): Promise<Partial<InviteResult>> {
  const bot = world.bots[instance];
  let last = "";
  while (bot !== undefined && Date.now() < deadline) {
    try {
      const { outcome } = await bot.control.outcome(clientContext, deadline - Date.now());
      return { outcome, outcomeAt: Date.now(), reattached: true };
    } catch (error) {
      last = String(error);
      if (error instanceof ControlFailed && error.status === 404) {
        return { reattached: true, unknown: true, error: last };
      }
      if (error instanceof ControlFailed && error.status < 500) break;
      await delay(100);
    }
  }
  return { reattached: true, error: `could not re-attach to ${clientContext} on ${bot?.label}: ${last}` };
}

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `promise`, or a rejection that says what was being waited for once `ms` have passed. */
export async function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
