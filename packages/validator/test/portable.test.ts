// The library runs in browsers and on edge runtimes, so what it ships (apart from the CLI) uses no Node module and
// evaluates no code at run time.
import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { expect, it } from "vitest";

const dist = resolve(import.meta.dirname, "../dist");
const generated = resolve(import.meta.dirname, "../generated");
const cliModules = new Set(["main.js"]);

function modules(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? modules(resolve(dir, entry.name))
      : entry.name.endsWith(".js")
        ? [resolve(dir, entry.name)]
        : [],
  );
}

it.each([...modules(dist), ...modules(generated)].filter((file) => !cliModules.has(file.split("/").at(-1) ?? "")))(
  "%s is portable",
  (file) => {
    const code = readFileSync(file, "utf8");
    // (ajv's helpers name themselves in a string, `'require("ajv/…")'`, which is not a call.)
    expect(code).not.toMatch(/from\s*"node:|[^'"\w.]require\(|\bprocess\.|\bBuffer\b/);
    expect(code).not.toMatch(/new Function\(|\beval\(/);
    expect(code).not.toMatch(/from\s*"ajv/);
  },
);
