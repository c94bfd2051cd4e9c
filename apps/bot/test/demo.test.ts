// pnpm demo's scenarios, run as the demo runs them: the reference page's five examples, Graph's delivery quirks and
// the failure cases each end as expected, and the demo notices when one does not.
import { describe, expect, test } from "vitest";
import { runDemo, runScenario } from "../src/demo/run.js";
import { demoScenarios } from "../src/demo/scenarios.js";

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
