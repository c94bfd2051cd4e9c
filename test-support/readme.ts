// What the README tests share: a README's code blocks as a reader would copy them, and a typecheck of one under a
// package's strict settings.
import ts from "typescript";

/**
 * The first fenced block in `language` after the line `marker` (a heading such as `## Quick start`, or a line such as
 * `It prints:`). Throws when the README has no such line or no such block after it, so that a renamed heading fails
 * the test that reads it rather than leaving it nothing to check.
 */
export function codeBlockAfter(readme: string, marker: string, language: string): string {
  const at = `\n${readme}`.indexOf(`\n${marker}\n`);
  if (at < 0) throw new Error(`the README has no line "${marker}"`);
  const block = readme.slice(at).match(new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``))?.[1];
  if (block === undefined) throw new Error(`the README has no ${language} block after "${marker}"`);
  return block;
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
 * line per call. The module runs once: a second call with the same file returns nothing new.
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
