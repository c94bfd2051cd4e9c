// pnpm demo's scenarios, run as the demo runs them: the reference page's five examples, Graph's delivery quirks and
// the failure cases each end as expected, and the demo notices when one does not.
import { resolve } from "node:path";
import { startProcess } from "@graph-invite/test-support/processes";
import { describe, expect, test } from "vitest";
import { slowed, startConsoleDemo, withFreshIds } from "../src/demo/console.js";
import { runDemo, runScenario } from "../src/demo/run.js";
import { demoCallIds, demoScenarios } from "../src/demo/scenarios.js";

const demoBin = resolve(import.meta.dirname, "../bin/demo.js");

describe("pnpm demo", () => {
  test("every scenario ends as expected, and the output shows each lifecycle and roster", async () => {
    const lines: string[] = [];
    const results = await runDemo(demoScenarios, (line) => lines.push(line));
    expect(results.filter((result) => !result.ok)).toEqual([]);
    expect(results.map((result) => result.title)).toEqual(demoScenarios.map((scenario) => scenario.title));
    const output = lines.join("\n");
    for (const example of [1, 2, 3, 4, 5]) expect(output).toContain(`(seed example ${example})`);
    // Example 3: the invitee joins the group call, and the peer-to-peer call it replaces ends.
    expect(output).toContain("(user 7e1b4346-85a6-4bdd-abe3-d11c5d420efe) joined");
    expect(output).toContain("roster of call a7ebfb2d-871e-419c-87af-27290b22e8db: call ended");
    expect(output).toContain("failed: 603/5400 The invitee declined the call.");
    expect(output).toContain("not sent: invite.max-participants");
    expect(output).toContain("not sent: invite.single-bot");
    expect(output).toContain("not available in the China cloud");
  }, 60_000);

  test("an outcome other than the expected one is reported as a problem", async () => {
    const declined = demoScenarios.find((scenario) => scenario.title === "The invitee declines");
    if (declined === undefined) throw new Error("the demo has no declined scenario");
    const lines: string[] = [];
    const result = await runScenario({ ...declined, expect: { status: "completed" } }, (line) => lines.push(line));
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual(["expected completed, got failed: 603/5400 The invitee declined the call."]);
    expect(lines.at(-1)).toBe("   ✗ expected completed, got failed: 603/5400 The invitee declined the call.");
  });

  test("a roster that differs from the expected one is reported", async () => {
    const phone = demoScenarios.find((scenario) => scenario.source === "seed example 4");
    if (phone === undefined) throw new Error("the demo has no example 4");
    const result = await runScenario(
      { ...phone, expect: { status: "completed", roster: ["+12345678901", "+19876543210"] } },
      () => {},
    );
    expect(result.problems).toEqual(["not in the roster: +19876543210", "expected 2 in the roster, found 1"]);
  });
});

describe("pnpm demo --console", () => {
  test("plays every scenario on one simulator and one bot, each as expected, with the console served", async () => {
    const lines: string[] = [];
    const demo = await startConsoleDemo(demoScenarios, (line) => lines.push(line), {
      pauseMs: 0,
      answerAfterMs: 20,
      deliveryDelayMs: 0,
    });
    try {
      const results = await demo.results;
      expect(results.filter((result) => !result.ok)).toEqual([]);
      expect(results.map((result) => result.title)).toEqual(demoScenarios.map((scenario) => scenario.title));
      const page = await fetch(demo.consoleUrl);
      expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
      // One simulator saw every scenario's calls: none of them reused another's id.
      const sim = demo.runtime.simulator;
      const ids = sim?.calls().map((call) => call.id) ?? [];
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.some((id) => demoCallIds.includes(id))).toBe(false);
      expect(lines.join("\n")).toContain("(seed example 5)");
    } finally {
      await demo.runtime.close();
    }
  }, 60_000);

  test("fresh ids replace the page's call ids and clientContext everywhere they occur", () => {
    const example = demoScenarios.find((scenario) => scenario.source === "seed example 1");
    if (example === undefined) throw new Error("the demo has no example 1");
    const fresh = withFreshIds(example);
    const text = JSON.stringify(fresh);
    for (const id of demoCallIds) expect(text).not.toContain(id);
    expect(fresh.request.clientContext).not.toBe(example.request.clientContext);
    // The p2p call the request replaces is the one the scenario creates and expects to end.
    const replaced = fresh.request.participants[0]?.replacesCallId;
    expect(fresh.calls.map((call) => call.id)).toContain(replaced);
    expect("endedCalls" in fresh.expect && fresh.expect.endedCalls).toEqual([replaced]);
  });

  test("slows the scenario down without overriding what it sets", () => {
    expect(slowed(undefined, 1500, 400)).toEqual({
      answers: {},
      defaultAnswer: { kind: "accept", afterMs: 1500 },
      delivery: { delayMs: 400 },
    });
    expect(
      slowed(
        { answers: { bob: { kind: "no-answer", afterMs: 2000 }, ann: { kind: "decline" } }, delivery: { delayMs: 5 } },
        1500,
        400,
      ),
    ).toMatchObject({
      answers: { bob: { kind: "no-answer", afterMs: 2000 }, ann: { kind: "decline", afterMs: 1500 } },
      delivery: { delayMs: 5 },
    });
  });

  test("as a process: prints the console's URL, serves it, and stops on Ctrl+C", async () => {
    const demo = startProcess(process.execPath, [demoBin, "--console"], { label: "the demo" });
    const printed = await demo.waitForLine(/Open the simulator's console to watch: \S+/);
    const url = /Open the simulator's console to watch: (\S+)/.exec(printed)?.[1] ?? "";
    const exited = demo.exited.then(([code]) => code);
    try {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/console$/);
      expect((await fetch(url)).status).toBe(200);
    } finally {
      demo.child.kill("SIGINT");
    }
    // Interrupted before the scenarios ended.
    expect(await exited).toBe(130);
  });

  test("refuses an unknown flag with its usage", async () => {
    const demo = startProcess(process.execPath, [demoBin, "--consle"], { label: "the demo" });
    const [code] = await demo.exited;
    const stderr = demo.stderr();
    expect(code).toBe(2);
    expect(stderr).toContain("Usage: pnpm demo [--console [--port N]]");
  });
});
