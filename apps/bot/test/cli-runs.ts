// What the CLI tests share: running graph-invite-bot in process with its output captured, a bot that `serve`
// started on free ports for a group of tests, and reading what it answers.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, expect } from "vitest";
import { type CliIo, run, type Served } from "../src/cli.js";

export type Env = Record<string, string>;

export interface Ran {
  readonly code: number;
  /** Standard output. */
  readonly output: string;
  /** Standard error. */
  readonly errors: string;
}

export function io(env: Env, sink: { output: string; errors: string }): CliIo {
  return {
    env,
    readFile: (path) => readFileSync(path, "utf8"),
    write: (text) => {
      sink.output += text;
    },
    error: (text) => {
      sink.errors += text;
    },
  };
}

/** Runs a command that is not `serve`; it must exit, and print no stack trace. */
export async function cli(env: Env, ...argv: string[]): Promise<Ran> {
  const sink = { output: "", errors: "" };
  const result = await run(argv, io(env, sink));
  if (typeof result !== "number") {
    await result.close();
    throw new Error(`${argv.join(" ")} served a bot instead of exiting`);
  }
  expect(`${sink.output}${sink.errors}`).not.toMatch(/\n\s+at /);
  return { code: result, ...sink };
}

export interface ServedBot {
  /** The environment that points a command at this bot's control API. */
  readonly env: Env;
  readonly banner: string;
  readonly notificationsUrl: string;
  readonly controlUrl: string;
  readonly simulatorUrl: string;
  /** Everything `serve` printed so far: the banner, then a line per event. */
  log(): string;
}

/** Runs `serve` on free ports with `env`; returns the bot and what its banner said. */
export async function serve(env: Env): Promise<{ served: Served; bot: ServedBot }> {
  const sink = { output: "", errors: "" };
  const result = await run(["serve"], io({ GRAPH_INVITE_PORT: "0", GRAPH_INVITE_CONTROL_PORT: "0", ...env }, sink));
  if (typeof result === "number") throw new Error(`serve exited ${result}: ${sink.errors}`);
  const banner = sink.output;
  const url = (label: string) => {
    const found = new RegExp(`^ {2}${label} +(http://\\S+)`, "m").exec(banner)?.[1];
    if (found === undefined) throw new Error(`no ${label} URL in the banner:\n${banner}`);
    return found;
  };
  const controlUrl = url("control");
  return {
    served: result,
    bot: {
      env: { GRAPH_INVITE_CONTROL_PORT: new URL(controlUrl).port },
      banner,
      notificationsUrl: url("notifications"),
      controlUrl,
      simulatorUrl: url("simulator"),
      log: () => `${sink.output}${sink.errors}`,
    },
  };
}

/** A bot served before the group's tests and closed after them. */
export function servedBot(env: () => Env = () => ({})): () => ServedBot {
  let served: Served | undefined;
  let bot: ServedBot | undefined;
  beforeAll(async () => {
    ({ served, bot } = await serve(env()));
  });
  afterAll(async () => {
    await served?.close();
  });
  return () => {
    if (bot === undefined) throw new Error("the bot has not started");
    return bot;
  };
}

export async function json<T>(response: Promise<Response>): Promise<T> {
  const answer = await response;
  const body = (await answer.json()) as T;
  if (!answer.ok) throw new Error(`HTTP ${answer.status}: ${JSON.stringify(body)}`);
  return body;
}

/** Creates a call through the CLI and returns its id. */
export async function createCall(bot: ServedBot, kind: "group" | "meeting" | "p2p"): Promise<string> {
  const { code, output, errors } = await cli(bot.env, "call", "--kind", kind, "--json");
  expect({ code, errors }).toEqual({ code: 0, errors: "" });
  const call = JSON.parse(output) as { id: string; kind: string };
  expect(call.kind).toBe(kind);
  return call.id;
}

/** What a completed invite prints: its outcome, its lifecycle, then the roster. */
export function expectCompleted(ran: Ran, callId: string): void {
  expect(ran.errors).toBe("");
  expect(ran.code).toBe(0);
  const lines = ran.output.split("\n");
  expect(lines[0]).toMatch(new RegExp(`^invite \\S+ into call ${callId}: completed: operation \\S+, clientContext `));
  const steps = lines.filter((line) => /^ {2}\d\d:\d\d:\d\d\.\d{3} {2}/.test(line)).map((line) => line.slice(16));
  expect(steps).toEqual([
    expect.stringMatching(/^sent +POST \/communications\/calls\/.+\/participants\/invite$/),
    expect.stringMatching(/^accepted +running/),
    expect.stringMatching(/^notification +completed/),
  ]);
  expect(lines).toContain(
    `roster of call ${callId}: ${lines.filter((line) => line.startsWith("  • ")).length} in the call`,
  );
}
