// Ending the child processes tests start (servers, bots), so that none outlives its test.
import type { ChildProcess } from "node:child_process";

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
