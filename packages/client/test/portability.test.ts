import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const dist = new URL("../dist/", import.meta.url);
const built = readdirSync(dist).filter((name) => name.endsWith(".js"));

// What would tie the package to Node: its built-in modules, its globals.
const nodeOnly = [
  { what: "a node: import", pattern: /\bfrom\s*["']node:|\bimport\s*\(\s*["']node:|\brequire\s*\(/ },
  {
    what: "a bare Node built-in import",
    pattern:
      /\bfrom\s*["'](?:fs|path|http|https|net|tls|url|util|zlib|crypto|stream|events|buffer|os|child_process)["']/,
  },
  { what: "process", pattern: /\bprocess\s*[.[]/ },
  { what: "Buffer", pattern: /\bBuffer\b/ },
  { what: "__dirname or __filename", pattern: /\b__(?:dirname|filename)\b/ },
  { what: "global.", pattern: /(?<![.\w])global\./ },
];

describe("dist runs anywhere fetch does", () => {
  it("was built (run `pnpm build` first)", () => {
    expect(built).toContain("index.js");
    expect(built.length).toBeGreaterThan(5);
  });

  it.each(built)("%s uses no Node built-ins", (name) => {
    const source = readFileSync(new URL(name, dist), "utf8");
    const found = nodeOnly.filter(({ pattern }) => pattern.test(source)).map(({ what }) => what);
    expect(found).toEqual([]);
  });

  it.each(built)("%s imports only its siblings, openapi-fetch and the types package", (name) => {
    const source = readFileSync(new URL(name, dist), "utf8");
    const specifiers = [...source.matchAll(/\bfrom\s*["']([^"']+)["']/g)].map(([, specifier]) => specifier);
    for (const specifier of specifiers) {
      expect(specifier).toMatch(/^(?:\.\/[\w-]+\.js|openapi-fetch|@graph-invite\/types)$/);
    }
  });

  it("the scan would catch each pattern", () => {
    const offenders = [
      'import { readFile } from "node:fs";',
      'import http from "http";',
      "const env = process.env.TOKEN;",
      'const b = Buffer.from("x");',
      "const here = __dirname;",
      "global.fetch = f;",
    ];
    for (const offender of offenders) {
      expect(nodeOnly.some(({ pattern }) => pattern.test(offender))).toBe(true);
    }
  });
});
