// The README's example typechecks against the package as published (its declarations in dist/) and prints what the
// README says it prints.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { codeBlockAfter, printedBy, typecheckFile } from "@graph-invite/test-support/readme";
import { afterAll, expect, it } from "vitest";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const scratch = new URL("./.readme/", import.meta.url);

const example = codeBlockAfter(readme, "## Example", "ts");
mkdirSync(scratch, { recursive: true });
const file = new URL("example.ts", scratch);
writeFileSync(file, example);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

it("typechecks against the built declarations under the repository's strict settings", () => {
  expect(example).toContain('from "@graph-invite/types"');
  const problems = typecheckFile(fileURLToPath(file), fileURLToPath(new URL("../tsconfig.json", import.meta.url)), {
    // The package by name, resolved to what `npm install` would give: the built declarations.
    paths: { "@graph-invite/types": [fileURLToPath(new URL("../dist/index.d.ts", import.meta.url))] },
  });
  expect(problems).toEqual([]);
}, 60_000);

it("runs and prints what the README says it prints", async () => {
  // The example imports types only, which compile away: it runs with no package to resolve.
  const printed = await printedBy(file);
  expect(printed).toBe(codeBlockAfter(readme, "It prints:", "text").trimEnd());
});
