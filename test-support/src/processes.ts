// Starting and ending the child processes tests and benches run (redis-server, the sample bot, the simulator's CLI),
// the one way: output kept for the failure message, a line waited for with a bound, and no process outliving its
// test.
import { type ChildProcess, type ChildProcessByStdio, spawn } from "node:child_process";
import type { Readable } from "node:stream";

/** How to start a process with {@link startProcess}. */
export interface StartProcessOptions {
  /** The environment; default this process's. */
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Names the process in errors, such as `bot 2`; default the command. */
  readonly label?: string;
  /**
   * How much of its output it keeps, in characters, for each of stdout, stderr and the two interleaved; the oldest
   * goes first. Default 1 MiB: a test that reads everything a short-lived command printed gets all of it.
   */
  readonly keptChars?: number;
}

/** A process started by {@link startProcess}. */
export interface StartedProcess {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  readonly label: string;
  /** What it printed on stdout (the last `keptChars`). */
  stdout(): string;
  /** What it printed on stderr (the last `keptChars`). */
  stderr(): string;
  /** stdout and stderr interleaved as they arrived (the last `keptChars`), for a failure's message. */
  output(): string;
  /** Resolves with the exit code and signal once the process has exited and its output is read to the end. */
  readonly exited: Promise<[number | null, NodeJS.Signals | null]>;
  /**
   * Resolves with all of stdout once a whole line of it matches `pattern`; rejects, with the output, when the process
   * exits first or after `timeoutMs`. Without `timeoutMs` it waits as long as the test lets it.
   */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** {@link endProcess} with `signal` (default SIGTERM), and SIGKILL after `graceMs` (default 5 s). */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

const defaultKeptChars = 1024 * 1024;

/**
 * Spawns `command` with `args`, stdin closed and its output piped and kept. Until it exits, it is killed with SIGKILL
 * if the test process exits first ({@link atProcessExit}).
 */
export function startProcess(
  command: string,
  args: readonly string[],
  options: StartProcessOptions = {},
): StartedProcess {
  const label = options.label ?? command;
  const keptChars = options.keptChars ?? defaultKeptChars;
  const child = spawn(command, args, {
    env: options.env ?? process.env,
    ...(options.cwd !== undefined && { cwd: options.cwd }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const forget = atProcessExit(() => child.kill("SIGKILL"));
  child.once("exit", forget);
  const kept = { stdout: "", stderr: "", output: "" };
  const keep = (stream: "stdout" | "stderr") => (chunk: string) => {
    kept[stream] = (kept[stream] + chunk).slice(-keptChars);
    kept.output = (kept.output + chunk).slice(-keptChars);
  };
  child.stdout.setEncoding("utf8").on("data", keep("stdout"));
  child.stderr.setEncoding("utf8").on("data", keep("stderr"));
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    // A process that could not be started at all reports it here, then closes.
    child.once("error", (error) => keep("stderr")(`${label} could not be started: ${error.message}\n`));
    child.once("close", (code, signal) => resolve([code, signal]));
  });
  return {
    child,
    label,
    stdout: () => kept.stdout,
    stderr: () => kept.stderr,
    output: () => kept.output,
    exited,
    waitForLine: (pattern, timeoutMs) =>
      new Promise((resolve, reject) => {
        const printed = () => kept.stdout.split("\n").slice(0, -1);
        const check = () => {
          if (printed().some((line) => pattern.test(line))) finish();
        };
        const onClose = (code: number | null, signal: string | null) =>
          finish(new Error(`${label} exited (${code ?? signal}) before it printed ${pattern}:\n${kept.output}`));
        const timer =
          timeoutMs === undefined
            ? undefined
            : setTimeout(
                () => finish(new Error(`${label} did not print ${pattern} within ${timeoutMs} ms:\n${kept.output}`)),
                timeoutMs,
              );
        const finish = (error?: Error) => {
          clearTimeout(timer);
          child.stdout.off("data", check);
          child.off("close", onClose);
          if (error === undefined) resolve(kept.stdout);
          else reject(error);
        };
        // Registered after the keeper, so that a chunk is kept by the time it is checked.
        child.stdout.on("data", check);
        child.once("close", onClose);
        check();
      }),
    stop: (signal = "SIGTERM", graceMs) => endProcess(child, signal, graceMs),
  };
}

/**
 * Sends `signal` and resolves once the process has exited; a process that ignores a gentler signal gets SIGKILL
 * after `graceMs`. A process that has exited already resolves at once.
 */
export async function endProcess(
  child: ChildProcess | undefined,
  signal: NodeJS.Signals,
  graceMs = 5000,
): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill(signal);
  const forced = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(forced);
}

const atExit = new Set<() => void>();

/**
 * Runs `cleanUp` when the test process exits without having stopped what it started (a crash, a worker ended early):
 * one listener for every child and folder, rather than one each, which Node warns about past ten. Returns the function
 * that forgets it, once the child has been stopped in the ordinary way.
 */
export function atProcessExit(cleanUp: () => void): () => void {
  if (atExit.size === 0) process.once("exit", runAtExit);
  atExit.add(cleanUp);
  return () => {
    atExit.delete(cleanUp);
    if (atExit.size === 0) process.off("exit", runAtExit);
  };
}

function runAtExit(): void {
  for (const cleanUp of atExit) cleanUp();
}
