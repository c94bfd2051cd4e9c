// What a drive proved: each invite's outcome against its answer, the roster events every instance's listeners got,
// and how long after Graph's terminal notification the instance that started the invite knew its outcome.
import type { RosterEventEntry } from "@graph-invite/bot/control";
import { type AnswerKind, type DriveResult, delay } from "./driver.js";
import type { ScaleOut } from "./harness.js";

/** The outcome each answer must lead to: Graph's SIP-style codes for a decline and for no answer. */
const expected: Record<AnswerKind, { status: string; code?: number }> = {
  accept: { status: "completed" },
  decline: { status: "failed", code: 603 },
  "no-answer": { status: "failed", code: 408 },
};

export interface Verdict {
  readonly invites: number;
  /** The disruption, when and how long, if there was one. */
  readonly disrupted: string | undefined;
  readonly reattached: number;
  /** Interrupted before the instance stored them, so never sent: neither lost nor judged. */
  readonly unregistered: number;
  /** No outcome could be had. */
  readonly lost: readonly string[];
  /** An outcome that is not final although Graph finished the invite (timed out, still running). */
  readonly stuck: readonly string[];
  /** A final outcome other than the answer's. */
  readonly wrong: readonly string[];
  /** A roster event one instance's listeners got more than once. */
  readonly duplicateRosterEvents: readonly string[];
  /** An accepted invitee whose `joined` event no instance's listeners got. */
  readonly missingJoins: readonly string[];
  /**
   * A `joined` event missing from the logs on a call whose roster notification the killed instance took: each event
   * is emitted once in the fleet, by the instance that processed it, so one emitted there went with its log, and one
   * whose roster it stored but had not yet emitted when it died is not emitted by the instance that takes over (the
   * roster has it already). Reported, not counted missing.
   */
  readonly joinsWithKilled: readonly string[];
  /** Milliseconds from Graph's terminal notification to the outcome at the driver, for invites not re-attached. */
  readonly latencies: readonly number[];
  /** Those over the limit. */
  readonly late: readonly string[];
  /**
   * Over the limit because the instance that answered the terminal notification was killed before it processed it:
   * another instance took the delivery over once the killed one's heartbeat lapsed. Late by design, within
   * {@link JudgeOptions.takeOverLimitMs}; beyond it they count as late.
   */
  readonly takenOver: readonly string[];
  /**
   * Over the limit because Redis was down when Graph sent the terminal notification: within the limit of Redis
   * being back (with {@link JudgeOptions.outage}); beyond it they count as late.
   */
  readonly delayedByOutage: readonly string[];
}

export interface JudgeOptions {
  /**
   * How long after Graph's terminal notification the waiting instance may learn the outcome. Default 3 s: below the
   * kit's 5 s re-read, so an invite whose wake-up was lost is still told from one that was merely slow, with room for a
   * loaded CI machine, where 1 s was missed by invites that were woken as they should be. The latency itself is
   * measured by bench/scale-out, not judged here.
   */
  readonly latencyLimitMs?: number;
  /** How long to wait for roster events still being processed. Default 5 s. */
  readonly rosterWaitMs?: number;
  /** The instance killed mid-run, whose acknowledged deliveries another instance takes over. */
  readonly killed?: number;
  /** The disruption was an outage of the store: nothing can be stored until it is over. */
  readonly outage?: boolean;
  /** How late a taken-over outcome may be: the kit's heartbeat (3 s), its next look (1 s) and slack. Default 9 s. */
  readonly takeOverLimitMs?: number;
}

export async function judge(world: ScaleOut, drive: DriveResult, options: JudgeOptions = {}): Promise<Verdict> {
  const limit = options.latencyLimitMs ?? 3000;
  const simulated = new Map(world.simulator.operations().map((operation) => [operation.clientContext, operation]));
  const terminalSentAt = firstTerminalAttempts(world);
  const lost: string[] = [];
  const stuck: string[] = [];
  const wrong: string[] = [];
  const latencies: number[] = [];
  const late: string[] = [];
  const takenOver: string[] = [];
  const delayedByOutage: string[] = [];
  let unregistered = 0;
  for (const invite of drive.invites) {
    const name = `${invite.wave}/${invite.answer} ${invite.clientContext} (started on ${world.bots[invite.instance]?.label})`;
    const { outcome } = invite;
    const graph = simulated.get(invite.clientContext);
    // The instance died before it stored the invite, so it never sent it either: its caller saw the request fail,
    // as with any request to a process that crashed. Had Graph received it, it would be lost.
    if (outcome === undefined && invite.unknown && graph === undefined) {
      unregistered++;
      continue;
    }
    if (outcome === undefined) {
      lost.push(`${name}: ${invite.error ?? "no outcome"}`);
      continue;
    }
    // An instance killed after it registered an invite but before it sent it: Graph never heard of it, and the
    // stored deadline is all there is to wait for.
    if (graph === undefined && invite.reattached && outcome.status === "timed-out") continue;
    const want = expected[invite.answer];
    if (outcome.status !== "completed" && outcome.status !== "failed") {
      const graphSide = graph === undefined ? "" : `, Graph's operation ${graph.status}`;
      stuck.push(`${name}: ${outcome.status}${graphSide}; ${deliveriesOf(world, invite.callId)}`);
      continue;
    }
    const code = outcome.resultInfo?.code;
    if (outcome.status !== want.status || (want.code !== undefined && Number(code) !== want.code)) {
      wrong.push(`${name}: ${outcome.status} ${code ?? ""}, expected ${want.status} ${want.code ?? ""}`);
      continue;
    }
    const sentAt = terminalSentAt.get(invite.callId);
    if (invite.reattached || sentAt === undefined || invite.outcomeAt === undefined) continue;
    const latency = invite.outcomeAt - sentAt;
    latencies.push(latency);
    if (latency <= limit) continue;
    const described = `${name}: ${latency} ms after the terminal notification`;
    const outage = options.outage === true ? drive.disruption : undefined;
    if (outage !== undefined && sentAt <= outage.to && invite.outcomeAt - outage.to <= limit) {
      delayedByOutage.push(`${described}, ${invite.outcomeAt - outage.to} ms after Redis was back`);
      continue;
    }
    const takeOver = latency <= (options.takeOverLimitMs ?? 9000) && answeredBy(world, invite.callId, options.killed);
    (takeOver ? takenOver : late).push(takeOver ? described : `${described}; ${deliveriesOf(world, invite.callId)}`);
  }
  const roster = await rosterVerdict(world, drive, options.rosterWaitMs ?? 5000, options.killed);
  return {
    invites: drive.invites.length,
    disrupted: drive.disrupted,
    reattached: drive.invites.filter((invite) => invite.reattached).length,
    unregistered,
    lost,
    stuck,
    wrong,
    ...roster,
    latencies: latencies.sort((a, b) => a - b),
    late,
    takenOver,
    delayedByOutage,
  };
}

/** Whether the instance `target` took one of the call's operation notifications, as the proxy logged it. */
function answeredBy(
  world: ScaleOut,
  callId: string,
  target: number | undefined,
  kind: "operation" | "roster" = "operation",
): boolean {
  if (target === undefined) return false;
  const messageIds = new Set(
    world.simulator
      .deliveries()
      .filter((delivery) => delivery.callId === callId && delivery.kind === kind)
      .map((delivery) => delivery.messageId),
  );
  // A 202 from the killed instance, or the proxy's 502 for a request it was reading when it died: it claims a
  // delivery before it answers, so it may have claimed that one too, and Graph's next attempt is then a duplicate that
  // waits for the take-over.
  return world.proxy.routed.some(
    (route) =>
      route.target === target &&
      (route.status === 202 || route.status === 502) &&
      messageIds.has(route.messageId ?? ""),
  );
}

/** What Graph sent about one call, and how each attempt was answered: the evidence for an outcome that never came. */
function deliveriesOf(world: ScaleOut, callId: string): string {
  const sent = world.simulator.deliveries().filter((delivery) => delivery.callId === callId);
  return sent
    .map((delivery) => {
      // The proxy's log says which instance took each attempt; a duplicate shares its message id, so it takes the
      // routes after those of the first copy.
      const routes = world.proxy.routed.filter((route) => route.messageId === delivery.messageId);
      const offset = delivery.duplicate
        ? (sent.find((first) => first.messageId === delivery.messageId)?.attempts.length ?? 0)
        : 0;
      const attempts = delivery.attempts.map((attempt, index) => {
        const target = routes[offset + index]?.target;
        const by = target === undefined ? "" : ` by ${world.bots[target]?.label}`;
        return `${attempt.sentAt.slice(11, 23)} ${attempt.status ?? attempt.error}${by}`;
      });
      return `${delivery.kind}${delivery.duplicate ? " (duplicate)" : ""} ${delivery.outcome} [${attempts.join(", ")}]`;
    })
    .join("; ");
}

/** Per call, when Graph first tried to deliver its operation's terminal notification. */
function firstTerminalAttempts(world: ScaleOut): Map<string, number> {
  const sentAt = new Map<string, number>();
  for (const delivery of world.simulator.deliveries()) {
    const first = delivery.attempts[0];
    if (delivery.kind !== "operation" || first === undefined) continue;
    const at = Date.parse(first.sentAt);
    sentAt.set(delivery.callId, Math.min(at, sentAt.get(delivery.callId) ?? at));
  }
  return sentAt;
}

/**
 * Reads every instance's roster events, waiting (bounded) until every accepted invitee's `joined` is among them,
 * since the bots process after they acknowledge.
 */
async function rosterVerdict(
  world: ScaleOut,
  drive: DriveResult,
  waitMs: number,
  killed: number | undefined,
): Promise<Pick<Verdict, "duplicateRosterEvents" | "missingJoins" | "joinsWithKilled">> {
  // An invitee joins only when Graph carried the invite out: one interrupted before it was sent has no join.
  const completed = new Set(
    world.simulator.operations().flatMap((operation) => (operation.status === "completed" ? [operation.callId] : [])),
  );
  const accepted = new Set(
    drive.invites.filter((invite) => invite.answer === "accept" && completed.has(invite.callId)).map((i) => i.callId),
  );
  const deadline = Date.now() + waitMs;
  let logs: Array<{ since: string; events: RosterEventEntry[] }> = [];
  let missing: string[] = [];
  do {
    logs = await Promise.all(world.bots.map((bot) => bot.control.rosterEvents()));
    const joined = new Set(
      logs.flatMap((log) => log.events.flatMap((event) => (event.type === "joined" ? [event.callId] : []))),
    );
    missing = [...accepted].filter((callId) => !joined.has(callId));
    if (missing.length === 0) break;
    await delay(100);
  } while (Date.now() < deadline);
  const withKilled = missing.filter((callId) => answeredBy(world, callId, killed, "roster"));
  return {
    duplicateRosterEvents: duplicatedEvents(world, logs),
    missingJoins: missing
      .filter((callId) => !withKilled.includes(callId))
      .map((callId) => `call ${callId}: no joined event`),
    joinsWithKilled: withKilled.map(
      (callId) => `call ${callId}: its roster notification was taken by the killed instance`,
    ),
  };
}

/**
 * A roster change processed once is announced once on one instance, or once on every instance (when the kit passes
 * events on to the other instances' listeners). Twice on one instance, or on some but not all of those that were
 * listening at the time, means it was processed more than once (or an announcement was lost).
 */
function duplicatedEvents(
  world: ScaleOut,
  logs: ReadonlyArray<{ since: string; events: RosterEventEntry[] }>,
): string[] {
  const found: string[] = [];
  const seen = new Map<string, { first: string; holders: number[] }>();
  for (const [index, log] of logs.entries()) {
    const counts = new Map<string, number>();
    for (const event of log.events) {
      const key = `${event.callId} ${event.type} ${event.key}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      const entry = seen.get(key) ?? { first: event.at, holders: [] };
      if (event.at < entry.first) entry.first = event.at;
      if (!entry.holders.includes(index)) entry.holders.push(index);
      seen.set(key, entry);
    }
    for (const [key, count] of counts) if (count > 1) found.push(`${world.bots[index]?.label}: ${key} ${count} times`);
  }
  for (const [key, { first, holders }] of seen) {
    const listening = logs.filter((log) => log.since <= first).length;
    if (holders.length > 1 && holders.length < listening) {
      const names = holders.map((index) => world.bots[index]?.label).join(", ");
      found.push(`${key}: announced on ${names}, ${holders.length} of the ${listening} instances listening`);
    }
  }
  return found;
}

/** The value below which `fraction` of the sorted `values` lie (nearest rank). */
export function percentile(values: readonly number[], fraction: number): number {
  if (values.length === 0) return Number.NaN;
  return values[Math.min(values.length - 1, Math.ceil(fraction * values.length) - 1)] as number;
}

/** The verdict in a few lines, with the first of each kind of failure. */
export function describeVerdict(title: string, verdict: Verdict): string[] {
  const lines = [
    `${title}: ${verdict.invites} invites (${verdict.reattached} re-attached after an interruption, ` +
      `${verdict.unregistered} never registered); ` +
      `lost ${verdict.lost.length}, stuck ${verdict.stuck.length}, wrong ${verdict.wrong.length}, ` +
      `duplicate roster events ${verdict.duplicateRosterEvents.length}, missing joins ${verdict.missingJoins.length} ` +
      `(and ${verdict.joinsWithKilled.length} with the killed instance), ` +
      `late ${verdict.late.length}, taken over from the killed instance ${verdict.takenOver.length}, ` +
      `delayed by the Redis outage ${verdict.delayedByOutage.length}`,
    ...(verdict.disrupted === undefined ? [] : [`  ${verdict.disrupted}`]),
    `  wake-up latency (terminal notification sent -> outcome at the driver), ${verdict.latencies.length} invites: ` +
      `p50 ${percentile(verdict.latencies, 0.5)} ms, p99 ${percentile(verdict.latencies, 0.99)} ms, ` +
      `max ${verdict.latencies.at(-1)} ms`,
  ];
  for (const [kind, list] of Object.entries({
    lost: verdict.lost,
    stuck: verdict.stuck,
    wrong: verdict.wrong,
    "duplicate roster event": verdict.duplicateRosterEvents,
    "missing join": verdict.missingJoins,
    "join with the killed instance": verdict.joinsWithKilled,
    late: verdict.late,
    "taken over": verdict.takenOver,
    "delayed by the outage": verdict.delayedByOutage,
  })) {
    for (const item of list.slice(0, 5)) lines.push(`  ${kind}: ${item}`);
    if (list.length > 5) lines.push(`  … and ${list.length - 5} more ${kind}`);
  }
  return lines;
}
