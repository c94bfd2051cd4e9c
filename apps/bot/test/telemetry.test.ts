// GRAPH_INVITE_TELEMETRY=console: the kit's metrics and spans printed by OpenTelemetry's console exporters, for a
// bot that invites through the simulator it starts.
import { randomUUID } from "node:crypto";
import { inviteBody, userParticipant } from "@graph-invite/client";
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../src/config.js";
import { startRuntime } from "../src/runtime.js";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("GRAPH_INVITE_TELEMETRY", () => {
  it("console: the invite's span and, at exit, the kit's metrics are printed", async () => {
    const printed: unknown[] = [];
    // The SDK's console exporters print through console.dir (metrics) and console.dir or console.log (spans).
    vi.spyOn(console, "dir").mockImplementation((item) => void printed.push(item));
    vi.spyOn(console, "log").mockImplementation((item) => void printed.push(item));
    const config = loadConfig({
      GRAPH_INVITE_TELEMETRY: "console",
      GRAPH_INVITE_PORT: "0",
      GRAPH_INVITE_CONTROL_PORT: "0",
    });
    const runtime = await startRuntime(config);
    try {
      const simulator = runtime.simulator;
      if (simulator === undefined) throw new Error("simulator mode starts a simulator");
      const call = simulator.createCall({ kind: "group", callbackUri: runtime.bot.callbackUrl });
      const outcome = await runtime.bot.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())));
      expect(outcome.status).toBe("completed");
      await simulator.settled();
      await runtime.bot.idle();
    } finally {
      await runtime.close();
    }
    const text = JSON.stringify(printed);
    expect(text).toContain('"name":"POST"');
    expect(text).toContain("graph_invite.invites");
    expect(text).toContain("graph_invite.deliveries");
  });

  it("anything but console is refused, naming the variable", () => {
    expect(() => loadConfig({ GRAPH_INVITE_TELEMETRY: "otlp" })).toThrow(
      'GRAPH_INVITE_TELEMETRY: must be "console" (or left out, for none)',
    );
  });
});
