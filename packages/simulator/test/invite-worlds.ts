// What the invite tests share: a simulator with a bot's callback, closed after each test by the file that starts
// it (it drains `open`), and a client of the simulator's Graph.
import { createInviteClient } from "@graph-invite/client";
import { parseGraphError } from "@graph-invite/validator";
import { expect } from "vitest";
import { type Simulator, type SimulatorOptions, start } from "../src/index.js";
import { type Callback, startCallback } from "./callback.js";

export const ann = "7e1b4346-85a6-4bdd-abe3-d11c5d420efe";

export const bob = "1e126418-44a0-4a94-a6f8-0efe1ad71acb";

export const open: Array<{ close(): Promise<void> } | { stop(): Promise<void> }> = [];

export async function world(options: SimulatorOptions = {}): Promise<{ sim: Simulator; bot: Callback }> {
  const bot = await startCallback();
  open.push(bot);
  const sim = await start(options);
  open.push(sim);
  return { sim, bot };
}

export const clientOf = (sim: Simulator) =>
  createInviteClient({ credential: sim.credential(), baseUrl: sim.graphUrl, retry: { maxAttempts: 1 } });

/** The Graph error body of a refused request, checked against the contract, and its first detail. */
export function refusal(body: unknown) {
  const parsed = parseGraphError(body, { mode: "strict" });
  expect(parsed.ok, JSON.stringify(parsed)).toBe(true);
  const error = (body as { error: { code: string; message: string; details?: Array<Record<string, string>> } }).error;
  return { ...error, detail: error.details?.[0] };
}
