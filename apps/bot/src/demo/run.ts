// Runs the demo's scenarios one after another, each against a fresh simulator and bot, printing every operation's
// lifecycle and the rosters as they change, and checking each outcome against the scenario's expectation.
import type { InviteOutcome, Roster } from "@graph-invite/bot-kit";
import { identitiesOf } from "@graph-invite/bot-kit";
import type { BotConfig } from "../config.js";
import { formatOutcome, formatRoster, formatRosterEvent, formatStep } from "../format.js";
import { type Runtime, startRuntime } from "../runtime.js";
import type { DemoScenario, Expectation } from "./scenarios.js";

export interface DemoResult {
  readonly title: string;
  readonly ok: boolean;
  /** What did not go as expected; empty when `ok`. */
  readonly problems: readonly string[];
  readonly durationMs: number;
}

export type Print = (line: string) => void;

const invitePath = /\/participants\/invite$/;

export async function runDemo(scenarios: readonly DemoScenario[], print: Print): Promise<DemoResult[]> {
  const results: DemoResult[] = [];
  for (const [index, scenario] of scenarios.entries()) {
    print("");
    print(`── ${index + 1}/${scenarios.length}  ${scenario.title}  (${scenario.source})`);
    results.push(await runScenario(scenario, print));
  }
  return results;
}

export async function runScenario(scenario: DemoScenario, print: Print): Promise<DemoResult> {
  const started = performance.now();
  const at = () => `+${String(Math.round(performance.now() - started)).padStart(5)} ms`;
  const config: BotConfig = {
    mode: "simulator",
    cloud: (scenario.cloud ?? "global") as BotConfig["cloud"],
    host: "127.0.0.1",
    port: 0,
    controlPort: 0,
  };
  let runtime: Runtime;
  try {
    runtime = await startRuntime(config, {
      ...(scenario.directory !== undefined && { directory: scenario.directory }),
      ...(scenario.scenario !== undefined && { scenario: scenario.scenario }),
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    print(`   ${at()}  the bot refused to start: ${message}`);
    return finish(scenario, print, started, checkRefusedStart(scenario.expect, message));
  }
  try {
    printEvents(runtime, print, at);
    return finish(scenario, print, started, await playScenario(runtime, scenario, print));
  } catch (error) {
    return finish(scenario, print, started, [
      `the scenario crashed: ${error instanceof Error ? error.stack : String(error)}`,
    ]);
  } finally {
    await runtime.close();
  }
}

/** Prints what the bot hears: each operation's steps, roster changes, call changes, refusals. */
export function printEvents(runtime: Runtime, print: Print, at: () => string): void {
  const { bot } = runtime;
  bot.on("operation", ({ step }) => print(`   ${at()}  ${formatStep(step)}`));
  bot.on("roster", (event) => print(`   ${at()}  roster of ${short(event.callId)}  ${formatRosterEvent(event)}`));
  bot.on("call", (event) =>
    print(`   ${at()}  call ${short(event.callId)} ${[event.changeType, event.state].filter(Boolean).join(": ")}`),
  );
  bot.on("refused", (refusal) =>
    print(`   ${at()}  delivery ${refusal.reason} (${refusal.status}): ${refusal.message}`),
  );
  bot.on("duplicate", ({ messageId }) => print(`   ${at()}  delivery ${messageId} again: a duplicate, not processed`));
  bot.on("unmatched", (entry) => print(`   ${at()}  unmatched notification: ${entry.reason}`));
}

/**
 * Plays one scenario on a running bot and its simulator: creates its calls, sends its invite, waits for everything
 * that follows, prints the outcome and the rosters; returns what did not go as expected.
 */
export async function playScenario(runtime: Runtime, scenario: DemoScenario, print: Print): Promise<string[]> {
  const { bot } = runtime;
  const sim = runtime.simulator;
  if (sim === undefined) throw new Error("the demo runs against a simulator of its own");
  const invitesBefore = countInvites(sim.requests());
  for (const call of scenario.calls) sim.createCall({ ...call, callbackUri: bot.callbackUrl });

  const outcome = await bot.inviteAndWait(scenario.callId, scenario.request, scenario.options);
  // Everything the simulator still has to send (the roster after the terminal notification, the end of a
  // replaced call) arrives and is processed before the rosters are read.
  await sim.settled();
  await bot.idle();
  print(`   ${formatOutcome(outcome.record)}`);
  const rosters = new Map<string, Roster>();
  for (const callId of callsToShow(scenario)) {
    const roster = await bot.roster(callId);
    rosters.set(callId, roster);
    for (const line of formatRoster(roster, "   ")) print(line);
  }
  const sent = countInvites(sim.requests()) - invitesBefore;
  return checkOutcome(scenario.expect, outcome, rosters, sent);
}

const countInvites = (requests: ReadonlyArray<{ path: string }>) =>
  requests.filter((request) => invitePath.test(request.path)).length;

export function finish(scenario: DemoScenario, print: Print, started: number, problems: string[]): DemoResult {
  const durationMs = Math.round(performance.now() - started);
  if (problems.length === 0) {
    print(`   ✓ ended as expected (${describeExpectation(scenario.expect)})`);
  } else {
    for (const problem of problems) print(`   ✗ ${problem}`);
  }
  return { title: scenario.title, ok: problems.length === 0, problems, durationMs };
}

function callsToShow(scenario: DemoScenario): string[] {
  const ended = "endedCalls" in scenario.expect ? (scenario.expect.endedCalls ?? []) : [];
  return [scenario.callId, ...ended];
}

function checkRefusedStart(expect: Expectation, message: string): string[] {
  if (expect.status !== "refused-at-start") return [`the bot did not start: ${message}`];
  return expect.message.test(message) ? [] : [`the bot refused to start, but not for the expected reason: ${message}`];
}

function checkOutcome(
  expect: Expectation,
  outcome: InviteOutcome,
  rosters: Map<string, Roster>,
  sent: number,
): string[] {
  if (expect.status === "refused-at-start") return ["the bot started, though its cloud should have been refused"];
  if (outcome.status !== expect.status) return [`expected ${expect.status}, got ${formatOutcome(outcome.record)}`];
  if (expect.status === "rejected") {
    const problems: string[] = [];
    const rules = outcome.error?.kind === "validation" ? outcome.error.issues.map((issue) => issue.code) : [];
    for (const rule of expect.rules) if (!rules.includes(rule)) problems.push(`expected the rule ${rule} to refuse it`);
    if (sent !== 0) problems.push(`${sent} invite request(s) reached Graph; the invite should not have been sent`);
    return problems;
  }
  const problems: string[] = [];
  if (expect.code !== undefined && outcome.resultInfo?.code !== expect.code) {
    problems.push(`expected result code ${expect.code}, got ${String(outcome.resultInfo?.code)}`);
  }
  if (expect.roster !== undefined) {
    const roster = rosters.get(outcome.callId);
    const present = (roster?.participants ?? []).flatMap(({ participant }) =>
      identitiesOf(participant).flatMap(({ id }) => (id === undefined ? [] : [id])),
    );
    const missing = expect.roster.filter((id) => !present.includes(id));
    if (missing.length > 0) problems.push(`not in the roster: ${missing.join(", ")}`);
    if (present.length !== expect.roster.length) {
      problems.push(`expected ${expect.roster.length} in the roster, found ${present.length}`);
    }
  }
  for (const callId of expect.endedCalls ?? []) {
    if (rosters.get(callId)?.ended !== true) problems.push(`call ${callId} should have ended`);
  }
  return problems;
}

function describeExpectation(expect: Expectation): string {
  switch (expect.status) {
    case "completed":
      return "completed";
    case "failed":
      return `failed with code ${expect.code ?? "any"}`;
    case "rejected":
      return `refused before sending by ${expect.rules.join(", ")}`;
    case "refused-at-start":
      return "refused before anything was sent";
  }
}

/** The first block of an id: enough to tell the demo's calls apart. */
const short = (id: string) => `${id.slice(0, 8)}…`;
