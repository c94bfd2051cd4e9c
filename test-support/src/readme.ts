// What the README tests share: a README's code blocks as a reader would copy them, and a typecheck of one under a
// package's strict settings.
import ts from "typescript";

/**
 * The first fenced block in `language` after the line `marker` (a heading such as `## Quick start`, or a line such as
 * `It prints:`). Throws when the README has no such line or no such block after it, so that a renamed heading fails
 * the test that reads it rather than leaving it nothing to check.
 */
export function codeBlockAfter(readme: string, marker: string, language: string): string {
  const lines = readme.split("\n");
  const at = lines.indexOf(marker);
  if (at < 0) throw new Error(`the README has no line "${marker}"`);
  // The search stops at the next heading of the same or a higher level (after a line that is not a heading, at any
  // heading), so that a section that lost its block does not lend the next section's.
  const ends = new RegExp(`^#{1,${/^(#+) /.exec(marker)?.[1]?.length ?? 6}} `);
  let fence: { language: string; lines: string[] } | undefined;
  for (const line of lines.slice(at + 1)) {
    if (fence === undefined) {
      if (line.startsWith("```")) fence = { language: line.slice(3).trim(), lines: [] };
      else if (ends.test(line)) break;
    } else if (!line.startsWith("```")) {
      fence.lines.push(line);
    } else if (fence.language === language) {
      return fence.lines.map((code) => `${code}\n`).join("");
    } else {
      fence = undefined;
    }
  }
  throw new Error(`the README has no ${language} block under "${marker}"`);
}

/**
 * tsc's diagnostics for `file` under the tsconfig at `tsconfigPath`, with `overrides` applied, each with its file and
 * line. Throws when the tsconfig cannot be read: falling back to TypeScript's defaults would check far less.
 */
export function typecheckFile(file: string, tsconfigPath: string, overrides: ts.CompilerOptions = {}): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    tsconfigPath,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
      },
    },
  );
  if (config === undefined || config.errors.length > 0) {
    throw new Error(`cannot read ${tsconfigPath}: ${config?.errors.map((error) => error.messageText).join("; ")}`);
  }
  const program = ts.createProgram([file], { ...config.options, ...overrides, noEmit: true });
  return ts.getPreEmitDiagnostics(program).map((diagnostic) =>
    ts
      .formatDiagnostic(diagnostic, {
        getCanonicalFileName: (name) => name,
        getCurrentDirectory: () => process.cwd(),
        getNewLine: () => "\n",
      })
      .trimEnd(),
  );
}

/**
 * Runs the module at `file`, as a reader runs a README's example, and returns what it printed with console.log, one
 * line per call. The examples print strings; other values are joined with String(), not formatted as Node would.
 * The module runs once: a second call with the same file returns nothing new.
 */
export async function printedBy(file: URL): Promise<string> {
  const printed: string[] = [];
  const { log } = console;
  console.log = (...args: unknown[]) => {
    printed.push(args.map(String).join(" "));
  };
  try {
    await import(/* @vite-ignore */ file.href);
  } finally {
    console.log = log;
  }
  return printed.join("\n");
}
