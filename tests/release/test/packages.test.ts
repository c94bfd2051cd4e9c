// Each published package, as npm would publish it: a complete manifest, a tarball that holds what the manifest
// points at and nothing of the workspace's, and a dry run of `pnpm publish` that passes.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../src/exec.js";
import { manifestInTarball, pack, publishedPackages, repoRoot, type Tarball } from "../src/workspace.js";

const packages = publishedPackages();
const scratch = mkdtempSync(join(tmpdir(), "graph-invite-packages-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Every file path a manifest's `exports` map or `bin` points at. */
function targets(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (value !== null && typeof value === "object") return Object.values(value).flatMap(targets);
  return [];
}

it("publishes exactly the four libraries, and nothing private", () => {
  expect(packages.map((pkg) => pkg.name).sort()).toEqual([
    "@graph-invite/client",
    "@graph-invite/simulator",
    "@graph-invite/types",
    "@graph-invite/validator",
  ]);
});

describe.each(packages)("$name", ({ name, dir, manifest }) => {
  let tarball: Tarball;
  beforeAll(async () => {
    tarball = await pack(dir, scratch);
  });

  it("has the manifest fields a registry page and a bundler read", () => {
    expect(manifest).toMatchObject({
      type: "module",
      sideEffects: false,
      license: "MIT",
      engines: { node: ">=20.19" },
      publishConfig: { access: "public" },
      repository: {
        type: "git",
        url: "git+https://github.com/graph-invite/graph-invite.git",
        directory: relative(repoRoot, dir),
      },
    });
    expect(manifest["description"]).toEqual(expect.stringMatching(/.{40,}/));
    expect(manifest["keywords"]).toEqual(expect.arrayContaining(["microsoft-graph", "teams", "calling-bot"]));
    expect(manifest["files"]).toEqual(expect.arrayContaining(["dist"]));
  });

  it("declares its entry points in exports, types first, with package.json exported", () => {
    const exports = manifest["exports"] as Record<string, Record<string, string> | string>;
    expect(Object.keys(exports)).toEqual([".", "./package.json"]);
    expect(exports["./package.json"]).toBe("./package.json");
    const root = exports["."] as Record<string, string>;
    expect(Object.keys(root)[0]).toBe("types");
    expect(root).toEqual({ types: "./dist/index.d.ts", default: "./dist/index.js" });
  });

  it("keeps publint and attw (ESM profile) in its lint script, which CI runs", () => {
    const lint = (manifest["scripts"] as Record<string, string>)["lint"];
    expect(lint).toContain("publint --strict");
    expect(lint).toContain("attw --pack . --profile esm-only");
  });

  it("packs every file its manifest points at, its README and LICENSE, and none of the workspace's own", () => {
    const files = new Set(tarball.files);
    for (const target of [...targets(manifest["exports"]), ...targets(manifest["bin"])]) {
      expect(files, target).toContain(target.replace(/^\.\//, ""));
    }
    for (const file of ["package.json", "README.md", "LICENSE"]) {
      expect(files).toContain(file);
    }
    const leaked = tarball.files.filter((file) =>
      /(^|\/)(test|node_modules|\.turbo)\/|\.test(-d)?\.ts$|tsbuildinfo$|test-results\.json$|vitest\.config/.test(file),
    );
    expect(leaked).toEqual([]);
  });

  it("packs bins that start with a Node shebang", () => {
    for (const bin of targets(manifest["bin"])) {
      expect(readFileSync(join(dir, bin), "utf8")).toMatch(/^#!\/usr\/bin\/env node\n/);
    }
  });

  it("packs a manifest with no workspace: or catalog: range left, internal ranges as carets on today's versions", async () => {
    const packed = await manifestInTarball(tarball.filename);
    const dependencies = { ...(packed["dependencies"] as Record<string, string> | undefined) };
    for (const [dependency, range] of Object.entries(dependencies)) {
      expect(range, dependency).not.toMatch(/^(workspace|catalog):/);
      const sibling = packages.find((pkg) => pkg.name === dependency);
      if (sibling) expect(range, dependency).toBe(`^${sibling.manifest.version}`);
    }
    expect(packed["devDependencies"]).not.toBeUndefined();
    expect(JSON.stringify(packed["devDependencies"])).not.toMatch(/"(workspace|catalog):/);
  });

  it("has a README with installation and an example that a test runs", () => {
    const readme = readFileSync(join(dir, "README.md"), "utf8");
    expect(readme).toMatch(new RegExp(`(npm install|pnpm add)( (-D|--save-dev))? ${name}\\b`));
    expect(readme).toMatch(new RegExp(`\`\`\`ts\\n[\\s\\S]*?from "${name}"`));
    // The test that runs the README's example, reading the README itself.
    const readmeTest = join(dir, "test/readme.test.ts");
    expect(existsSync(readmeTest)).toBe(true);
    expect(readFileSync(readmeTest, "utf8")).toContain("README.md");
  });

  it("passes pnpm publish --dry-run, publicly, at its version", async () => {
    // --no-git-checks: this checks the package, not whether the working tree is clean or on main.
    const { stdout, stderr } = await run("pnpm", ["publish", "--dry-run", "--json", "--no-git-checks"], { cwd: dir });
    const report = JSON.parse(stdout) as Record<string, { name: string; version: string; files: { path: string }[] }>;
    expect(report[name]).toMatchObject({ name, version: manifest.version });
    expect(report[name]?.files.map((file) => file.path).sort()).toEqual([...tarball.files].sort());
    expect(stderr).toContain("public access (dry-run)");
  });
});
