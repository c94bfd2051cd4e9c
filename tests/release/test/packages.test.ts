// Each published package, as npm would publish it: a complete manifest, a tarball that holds what the manifest
// points at and nothing of the workspace's, and a dry run of `pnpm publish` that passes.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../src/exec.js";
import { publishedEntryPoints } from "../src/published.js";
import { fileInTarball, manifestInTarball, pack, publishedPackages, type Tarball } from "../src/workspace.js";

const packages = await publishedPackages();
const scratch = mkdtempSync(join(tmpdir(), "graph-invite-packages-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Every file path a manifest's `exports` map or `bin` points at. */
function targets(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (value !== null && typeof value === "object") return Object.values(value).flatMap(targets);
  return [];
}

it("publishes exactly the five libraries under packages/: every other workspace package is private", () => {
  expect(packages.map((pkg) => pkg.path).sort()).toEqual([
    "packages/bot-kit",
    "packages/client",
    "packages/simulator",
    "packages/types",
    "packages/validator",
  ]);
  expect(packages.map((pkg) => pkg.name).sort()).toEqual(Object.keys(publishedEntryPoints).sort());
});

it("says in one section, worded the same in every README, what ESM-only means for require() and TypeScript", () => {
  const sectionOf = (dir: string) => {
    const readme = readFileSync(join(dir, "README.md"), "utf8");
    return /^## ESM only\n[\s\S]*?(?=^## )/m.exec(readme)?.[0];
  };
  const [first, ...others] = packages.map(({ dir }) => sectionOf(dir));
  expect(first).toMatch(/require\(\)[\s\S]*Node\.js 20\.19[\s\S]*`node16`[\s\S]*`nodenext`[\s\S]*`bundler`/);
  for (const [index, section] of others.entries()) expect(section, packages[index + 1]?.name).toBe(first);
});

describe.each(packages)("$name", ({ name, dir, path, manifest }) => {
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
        directory: path,
      },
    });
    expect(manifest["description"]).toEqual(expect.stringMatching(/.{40,}/));
    expect(manifest["keywords"]).toEqual(expect.arrayContaining(["microsoft-graph", "teams", "calling-bot"]));
    expect(manifest["files"]).toEqual(expect.arrayContaining(["dist"]));
  });

  it("declares its entry points in exports, types first, with package.json exported", () => {
    const exports = manifest["exports"] as Record<string, Record<string, string> | string>;
    const entryPoints = publishedEntryPoints[name] ?? {};
    expect(Object.keys(exports)).toEqual([...Object.keys(entryPoints), "./package.json"]);
    expect(exports["./package.json"]).toBe("./package.json");
    for (const [subpath, module] of Object.entries(entryPoints)) {
      const entry = exports[subpath] as Record<string, string>;
      expect(Object.keys(entry)[0], subpath).toBe("types");
      expect(entry, subpath).toEqual({ types: `${module}.d.ts`, default: `${module}.js` });
    }
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

  it("packs bins that start with a Node shebang", async () => {
    for (const bin of targets(manifest["bin"])) {
      expect(await fileInTarball(tarball.filename, bin.replace(/^\.\//, ""))).toMatch(/^#!\/usr\/bin\/env node\n/);
    }
  });

  it("packs a manifest with no workspace: or catalog: range left, and ranges that let applications share copies", async () => {
    const packed = await manifestInTarball(tarball.filename);
    const fields = ["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"] as const;
    for (const field of fields) {
      for (const [dependency, range] of Object.entries((packed[field] as Record<string, string> | undefined) ?? {})) {
        expect(range, `${field} ${dependency}`).not.toMatch(/^(workspace|catalog):/);
      }
    }
    // What an application installs: a sibling at today's version, and anything else by caret range, so that an
    // application already using jose or openapi-fetch shares its copy.
    for (const [dependency, range] of Object.entries((packed["dependencies"] as Record<string, string>) ?? {})) {
      const sibling = packages.find((pkg) => pkg.name === dependency);
      expect(range, dependency).toEqual(sibling ? `^${sibling.manifest.version}` : expect.stringMatching(/^\^\d/));
    }
  });

  it("has a README with installation and a TypeScript example that imports it", () => {
    // The examples run in each package's test/readme.test.ts, and against the tarballs in consumer.test.ts.
    const readme = readFileSync(join(dir, "README.md"), "utf8");
    expect(readme).toMatch(new RegExp(`(npm install|pnpm add)( (-D|--save-dev))? ${name}\\b`));
    expect(readme).toMatch(new RegExp(`\`\`\`ts\\n[\\s\\S]*?from "${name}"`));
  });

  it("passes pnpm publish --dry-run, publicly", async () => {
    // npm's dry run refuses a version the registry already has, which the manifest's is once released. So the dry run
    // publishes the packed package under a prerelease of its version that cannot exist, to a tag of its own.
    const unpacked = join(scratch, `${name.replace("/", "-")}-unpacked`);
    mkdirSync(unpacked, { recursive: true });
    await run("tar", ["-xzf", tarball.filename, "-C", unpacked], { cwd: scratch });
    const folder = join(unpacked, "package");
    const version = `${manifest.version}-dry-run.${Date.now()}`;
    const packed = JSON.parse(readFileSync(join(folder, "package.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(join(folder, "package.json"), JSON.stringify({ ...packed, version }, null, 2));

    const { stdout, stderr } = await run(
      "pnpm",
      // --ignore-scripts: the packed manifest's prepublishOnly, if it ever has one, is for the workspace, not for /tmp.
      ["publish", folder, "--dry-run", "--json", "--no-git-checks", "--ignore-scripts", "--tag", "dry-run"],
      { cwd: scratch },
    );
    const report = JSON.parse(stdout) as Record<string, { name: string; version: string; files: { path: string }[] }>;
    expect(report[name]).toMatchObject({ name, version });
    expect(report[name]?.files.map((file) => file.path).sort()).toEqual([...tarball.files].sort());
    expect(stderr).toContain("with tag dry-run and public access (dry-run)");
  });
});
