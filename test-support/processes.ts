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
