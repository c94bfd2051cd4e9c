// The driver's side of a bot instance's control API (apps/bot/src/control.ts), with a bound on every wait.
import type { ControlStats, InviteCommand, RosterEventEntry } from "@graph-invite/bot";
import type { OperationRecord } from "@graph-invite/bot-kit";

/** The control API could not be reached, or the connection broke before it answered. */
export class Unreachable extends Error {
  constructor(
    message: string,
    /** Nothing reached the instance: the connection was refused. */
    readonly refused: boolean,
  ) {
    super(message);
  }
}

/** The control API answered with an error status. */
export class ControlFailed extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function control<T>(baseUrl: string, path: string, body?: unknown, timeoutMs = 30_000): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${baseUrl}${path}`, {
      method: body === undefined ? "GET" : "POST",
      headers: { "Content-Type": "application/json" },
      ...(body !== undefined && { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(Math.max(1, timeoutMs)),
    });
  } catch (error) {
    const cause = error instanceof Error ? (error.cause as NodeJS.ErrnoException | undefined) : undefined;
    if (error instanceof Error && error.name === "TimeoutError") {
      throw new Unreachable(`${baseUrl}${path} did not answer within ${timeoutMs} ms`, false);
    }
    throw new Unreachable(`${baseUrl}${path}: ${cause?.message ?? String(error)}`, cause?.code === "ECONNREFUSED");
  }
  let answer: unknown;
  try {
    answer = await response.json();
  } catch (error) {
    throw new Unreachable(`${baseUrl}${path}: the answer broke off: ${String(error)}`, false);
  }
  if (!response.ok) {
    const message = (answer as { error?: unknown } | null)?.error;
    throw new ControlFailed(response.status, `${baseUrl}${path}: ${response.status} ${String(message)}`);
  }
  return answer as T;
}

export const invite = (baseUrl: string, command: InviteCommand, timeoutMs?: number) =>
  control<{ outcome: OperationRecord }>(baseUrl, "/invite", command, timeoutMs);

export const reattach = (baseUrl: string, clientContext: string, timeoutMs?: number) =>
  control<{ outcome: OperationRecord }>(
    baseUrl,
    `/operations/${encodeURIComponent(clientContext)}/outcome`,
    undefined,
    timeoutMs,
  );

export const rosterEvents = (baseUrl: string) =>
  control<{ since: string; events: RosterEventEntry[]; dropped: number }>(baseUrl, "/events/roster");

export const stats = (baseUrl: string) => control<ControlStats>(baseUrl, "/stats");
