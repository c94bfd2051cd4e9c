// pnpm demo --console: the demo's scenarios on one simulator and one bot, slowly enough to watch in the simulator's
// web console, which stays up afterwards until the process is interrupted.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Scenario, SimulatorOptions } from "@graph-invite/simulator";
import { type Runtime, startRuntime } from "../runtime.js";
import { type DemoResult, finish, type Print, playScenario, printEvents, runScenario } from "./run.js";
import { type DemoScenario, demoCallIds } from "./scenarios.js";

export interface ConsoleDemoOptions {
  /** The simulator's port; default any free port. */
  readonly port?: number;
  /** Waited before the first scenario and between two: time to look. Default 4000 ms. */
  readonly pauseMs?: number;
  /** How long each invitee takes to answer, and each notification to leave. Default 1500 and 400 ms. */
  readonly answerAfterMs?: number;
  readonly deliveryDelayMs?: number;
  /** Called with the console's URL once the simulator listens, before the first scenario. */
  readonly onReady?: (consoleUrl: string) => void;
}

export interface ConsoleDemo {
  readonly runtime: Runtime;
  readonly consoleUrl: string;
  readonly results: Promise<DemoResult[]>;
}

/**
 * The scenario with fresh call ids and clientContext: on one simulator and one bot, the examples that reuse the page's
 * values would collide. The ids are replaced wherever they occur (calls, replacesCallId, the expectation).
 */
export function withFreshIds(scenario: DemoScenario): DemoScenario {
  let text = JSON.stringify(scenario);
  for (const id of demoCallIds) text = text.replaceAll(id, randomUUID());
  const fresh = JSON.parse(text) as DemoScenario;
  const { clientContext } = fresh.request;
  return clientContext == null ? fresh : { ...fresh, request: { ...fresh.request, clientContext: randomUUID() } };
}

/** The scenario's simulator settings, slowed down: answers take `answerAfterMs`, notifications wait `delayMs`. */
export function slowed(scenario: Scenario | undefined, answerAfterMs: number, delayMs: number): Scenario {
  const given = scenario ?? {};
  const answers = Object.fromEntries(
    Object.entries(given.answers ?? {}).map(([id, answer]) => [id, { afterMs: answerAfterMs, ...answer }]),
  );
  return {
    ...given,
    answers,
    defaultAnswer: { afterMs: answerAfterMs, ...(given.defaultAnswer ?? { kind: "accept" }) },
    delivery: { delayMs, ...given.delivery },
  };
}

/** Starts the simulator and the bot, then plays the scenarios in the background; `results` settles when done. */
export async function startConsoleDemo(
  scenarios: readonly DemoScenario[],
  print: Print,
  options: ConsoleDemoOptions = {},
): Promise<ConsoleDemo> {
  const { pauseMs = 4000, answerAfterMs = 1500, deliveryDelayMs = 400 } = options;
  // One directory for every scenario: Graph's is the tenant's, whatever the call.
  const directory = scenarios.flatMap((scenario) => scenario.directory ?? []);
  const simulatorOptions: SimulatorOptions = { directory, ...(options.port !== undefined && { port: options.port }) };
  const runtime = await startRuntime(
    { mode: "simulator", cloud: "global", host: "127.0.0.1", port: 0, controlPort: 0 },
    simulatorOptions,
  );
  const sim = runtime.simulator;
  if (sim === undefined) throw new Error("the console demo runs a simulator of its own");
  const consoleUrl = `${sim.url}/console`;
  options.onReady?.(consoleUrl);
  let started = performance.now();
  const at = () => `+${String(Math.round(performance.now() - started)).padStart(5)} ms`;
  printEvents(runtime, print, at);

  const play = async (): Promise<DemoResult[]> => {
    const results: DemoResult[] = [];
    for (const [index, original] of scenarios.entries()) {
      await sleep(pauseMs);
      print("");
      print(`── ${index + 1}/${scenarios.length}  ${original.title}  (${original.source})`);
      // A bot for another cloud refuses to start; it has nothing to show in the console, so it runs on its own.
      if (original.cloud !== undefined) {
        results.push(await runScenario(original, print));
        continue;
      }
      const scenario = withFreshIds(original);
      started = performance.now();
      sim.setScenario(slowed(scenario.scenario, answerAfterMs, deliveryDelayMs));
      let problems: string[];
      try {
        problems = await playScenario(runtime, scenario, print);
      } catch (error) {
        problems = [`the scenario crashed: ${error instanceof Error ? error.stack : String(error)}`];
      }
      results.push(finish(scenario, print, started, problems));
    }
    return results;
  };
  return { runtime, consoleUrl, results: play() };
}
