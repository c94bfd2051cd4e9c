// The README's quick start runs as written (with the import pointed at the source) and prints what it says.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { codeBlockAfter, printedBy } from "@graph-invite/test-support/readme";
import { afterAll, expect, it } from "vitest";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const scratch = new URL("./.readme/", import.meta.url);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

it("runs the quick start and prints what the README says it prints", async () => {
  const code = codeBlockAfter(readme, "## Quick start", "ts");
  expect(code).toContain('from "@graph-invite/validator"');
  mkdirSync(scratch, { recursive: true });
  const file = new URL("quick-start.ts", scratch);
  writeFileSync(file, code.replace('from "@graph-invite/validator"', 'from "../../src/index.js"'));
  const printed = await printedBy(file);
  expect(printed).toBe(codeBlockAfter(readme, "It prints:", "text").trimEnd());
});
