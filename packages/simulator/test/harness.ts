import { afterAll, afterEach, beforeAll } from "vitest";
import { type Simulator, type SimulatorOptions, start } from "../src/index.js";
import { type Callback, startCallback } from "./callback.js";

export { example } from "@graph-invite/test-support/examples";

export interface RawResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

/** POSTs an invite body as it is (any JSON, or a string sent verbatim), with a token of the simulator's first app. */
export async function postInvite(
  sim: Simulator,
  callId: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const { token } = await sim.credential()();
  const response = await fetch(`${sim.graphUrl}/communications/calls/${callId}/participants/invite`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}`, ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === "" ? undefined : JSON.parse(text) };
}

/**
 * Simulators and callbacks that close themselves: after the current test, or after the group for a shared one.
 * Starting a simulator generates two RSA keys, so groups of tests share one unless a test needs its own.
 */
export function lifecycle() {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(closers.splice(0).map((close) => close()));
  });
  return {
    /** A simulator closed after the current test. */
    async simulator(options: SimulatorOptions = {}): Promise<Simulator> {
      const sim = await start(options);
      closers.push(() => sim.close());
      return sim;
    },
    /** A bot's callback endpoint closed after the current test. */
    async callback(): Promise<Callback> {
      const callback = await startCallback();
      closers.push(() => callback.stop());
      return callback;
    },
    /** A simulator started before the group's tests and closed after them. */
    sharedSimulator(options: SimulatorOptions = {}): () => Simulator {
      let sim: Simulator | undefined;
      beforeAll(async () => {
        sim = await start(options);
      });
      afterAll(() => sim?.close());
      return () => {
        if (sim === undefined) throw new Error("the shared simulator has not started");
        return sim;
      };
    },
  };
}
