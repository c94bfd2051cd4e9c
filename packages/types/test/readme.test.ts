// The README's example typechecks against the package as published (its declarations in dist/) and prints what the
// README says it prints.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import ts from "typescript";
import { afterAll, expect, it, vi } from "vitest";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const scratch = new URL("./.readme/", import.meta.url);

function blockAfter(heading: string, language: string): string {
  const section = readme.slice(readme.indexOf(heading));
  const code = section.match(new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``))?.[1];
  if (code === undefined) throw new Error(`no ${language} block after ${heading}`);
  return code;
}

const example = blockAfter("## Example", "ts");
mkdirSync(scratch, { recursive: true });
const file = new URL("example.ts", scratch);
writeFileSync(file, example);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

it("typechecks against the built declarations under the repository's strict settings", () => {
  expect(example).toContain('from "@graph-invite/types"');
  const config = ts.getParsedCommandLineOfConfigFile(
    new URL("../tsconfig.json", import.meta.url).pathname,
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
  );
  const program = ts.createProgram([file.pathname], {
    ...config?.options,
    noEmit: true,
    // The package by name, resolved to what `npm install` would give: the built declarations.
    paths: { "@graph-invite/types": [new URL("../dist/index.d.ts", import.meta.url).pathname] },
  });
  const problems = ts
    .getPreEmitDiagnostics(program)
    .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
  expect(problems).toEqual([]);
}, 60_000);

it("runs and prints what the README says it prints", async () => {
  const printed: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((line: string) => {
    printed.push(line);
  });
  try {
    // The example imports types only, which compile away: it runs with no package to resolve.
    await import(/* @vite-ignore */ file.href);
  } finally {
    log.mockRestore();
  }
  expect(printed.join("\n")).toBe(blockAfter("It prints:", "text").trimEnd());
});
