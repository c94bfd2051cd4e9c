// The release flow's first half, `changeset version`, run in a throwaway copy of the workspace's manifests and
// changesets: the versions it writes, the CHANGELOGs, and the internal dependency ranges that `pnpm publish` will put
// in the published manifests.
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { run } from "../src/exec.js";
import { manifestInTarball, pack, readManifest, repoRoot, workspacePackages } from "../src/workspace.js";

const changesetBin = createRequire(import.meta.url).resolve("@changesets/cli/bin.js");
const workspace = await workspacePackages();
const published = workspace.filter(({ manifest }) => manifest.private !== true);
const privatePaths = workspace.filter(({ manifest }) => manifest.private === true).map(({ path }) => path);

const copies: string[] = [];
afterEach(() => {
  for (const copy of copies.splice(0)) rmSync(copy, { recursive: true, force: true });
});

/** The root manifest, the workspace file, .changeset/, and every workspace package's manifest and CHANGELOG. */
function throwawayCopy(): string {
  const copy = mkdtempSync(join(tmpdir(), "graph-invite-changesets-"));
  copies.push(copy);
  for (const file of ["package.json", "pnpm-workspace.yaml"]) cpSync(join(repoRoot, file), join(copy, file));
  cpSync(join(repoRoot, ".changeset"), join(copy, ".changeset"), { recursive: true });
  for (const { path } of workspace) {
    mkdirSync(join(copy, path), { recursive: true });
    for (const file of ["package.json", "CHANGELOG.md"]) {
      if (existsSync(join(repoRoot, path, file))) cpSync(join(repoRoot, path, file), join(copy, path, file));
    }
  }
  // The changelog generator that .changeset/config.json names is resolved from the copy.
  symlinkSync(join(repoRoot, "node_modules"), join(copy, "node_modules"), "dir");
  return copy;
}

function dirOf(name: string): string {
  const pkg = workspace.find((candidate) => candidate.name === name);
  if (pkg === undefined) throw new Error(`${name} is not a package of this workspace`);
  return pkg.path;
}
const versionIn = (copy: string, name: string) => readManifest(join(copy, dirOf(name))).version;
const changelogIn = (copy: string, name: string) => {
  const file = join(copy, dirOf(name), "CHANGELOG.md");
  return existsSync(file) ? readFileSync(file, "utf8") : undefined;
};

/** The section of a CHANGELOG under `## version`. */
function sectionFor(changelog: string | undefined, version: string): string {
  const start = changelog?.indexOf(`\n## ${version}\n`) ?? -1;
  if (changelog === undefined || start < 0) return "";
  const end = changelog.indexOf("\n## ", start + 1);
  return changelog.slice(start, end < 0 ? undefined : end);
}

function setVersions(copy: string, version: string) {
  for (const { name } of published) {
    const file = join(copy, dirOf(name), "package.json");
    writeFileSync(file, JSON.stringify({ ...readManifest(dirname(file)), version }, null, 2));
  }
}

function replaceChangesets(copy: string, changesets: Record<string, Record<string, string>>) {
  for (const file of readdirSync(join(copy, ".changeset"))) {
    if (file.endsWith(".md") && file !== "README.md") rmSync(join(copy, ".changeset", file));
  }
  for (const [id, bumps] of Object.entries(changesets)) {
    const frontmatter = Object.entries(bumps).map(([name, bump]) => `"${name}": ${bump}`);
    writeFileSync(
      join(copy, ".changeset", `${id}.md`),
      ["---", ...frontmatter, "---", "", `Summary of ${id}.`, ""].join("\n"),
    );
  }
}

/** Every private package's manifest, to show that a release leaves them as they were. */
const privateManifests = (copy: string) =>
  Object.fromEntries(privatePaths.map((path) => [path, readFileSync(join(copy, path, "package.json"), "utf8")]));

function expectPrivatePackagesUntouched(copy: string, before: Record<string, string>) {
  expect(privateManifests(copy)).toEqual(before);
  for (const path of privatePaths) {
    expect(existsSync(join(copy, path, "CHANGELOG.md")), path).toBe(false);
  }
}

const changesetVersion = (copy: string) => run(process.execPath, [changesetBin, "version"], { cwd: copy });

/**
 * `pnpm pack` in the copy. pnpm reads a `workspace:` dependency's version from the package that its install links
 * into node_modules; the copy has no install, so each internal dependency is linked as pnpm links it.
 */
async function packedDependencies(copy: string, name: string): Promise<Record<string, string>> {
  const dir = join(copy, dirOf(name));
  const manifest = readManifest(dir);
  const internal = Object.keys({ ...(manifest["dependencies"] as object), ...(manifest["devDependencies"] as object) });
  for (const dependency of internal.filter((dependency) => workspace.some((pkg) => pkg.name === dependency))) {
    mkdirSync(join(dir, "node_modules/@graph-invite"), { recursive: true });
    symlinkSync(join(copy, dirOf(dependency)), join(dir, "node_modules", dependency), "dir");
  }
  const tarball = await pack(dir, copy);
  return (await manifestInTarball(tarball.filename))["dependencies"] as Record<string, string>;
}

/** The changesets waiting in the repository: none right after a release. */
const pending = readdirSync(join(repoRoot, ".changeset"))
  .filter((file) => file.endsWith(".md") && file !== "README.md")
  .map((file) => {
    const [, frontmatter = "", summary = ""] =
      readFileSync(join(repoRoot, ".changeset", file), "utf8").match(/^---\n([\s\S]*?)\n---\n([\s\S]*)$/) ?? [];
    return { file, bumps: parse(frontmatter) as Record<string, string>, summary: summary.trim() };
  });

describe("changeset version", () => {
  // The scenarios below run whatever is pending; this one checks the release that the pending changesets make.
  it.runIf(pending.length > 0)(
    "turns the pending changesets into versions and CHANGELOG entries, and consumes them",
    async () => {
      const copy = throwawayCopy();
      const before = Object.fromEntries(published.map(({ name, manifest }) => [name, manifest.version]));
      const privateBefore = privateManifests(copy);

      await changesetVersion(copy);

      for (const changeset of pending) {
        expect(existsSync(join(copy, ".changeset", changeset.file)), changeset.file).toBe(false);
        for (const [name, bump] of Object.entries(changeset.bumps)) {
          const version = versionIn(copy, name);
          expect(version, name).not.toBe(before[name]);
          const heading = `### ${bump.charAt(0).toUpperCase()}${bump.slice(1)} Changes`;
          const section = sectionFor(changelogIn(copy, name), version);
          expect(section, `${name} ${version}`).toContain(heading);
          // The first line of the summary, as changesets writes it: a list item.
          expect(section, `${name} ${version}`).toContain(`- ${changeset.summary.split("\n")[0]}`);
        }
      }
      const named = new Set(pending.flatMap((changeset) => Object.keys(changeset.bumps)));
      for (const { name } of published.filter((pkg) => !named.has(pkg.name))) {
        // A package no changeset names moves only when a dependency leaves its range, and says so.
        if (versionIn(copy, name) !== before[name]) {
          expect(sectionFor(changelogIn(copy, name), versionIn(copy, name))).toContain("- Updated dependencies");
        }
      }
      expectPrivatePackagesUntouched(copy, privateBefore);
    },
  );

  it("releases a patch of the types alone: its dependents' ranges still hold it", async () => {
    const copy = throwawayCopy();
    setVersions(copy, "1.2.3");
    replaceChangesets(copy, { "types-fix": { "@graph-invite/types": "patch" } });
    const privateBefore = privateManifests(copy);

    await changesetVersion(copy);

    expectPrivatePackagesUntouched(copy, privateBefore);
    expect(versionIn(copy, "@graph-invite/types")).toBe("1.2.4");
    expect(sectionFor(changelogIn(copy, "@graph-invite/types"), "1.2.4")).toBe(
      "\n## 1.2.4\n\n### Patch Changes\n\n- Summary of types-fix.\n",
    );
    for (const name of [
      "@graph-invite/client",
      "@graph-invite/validator",
      "@graph-invite/simulator",
      "@graph-invite/bot-kit",
    ]) {
      expect(versionIn(copy, name), name).toBe("1.2.3");
      expect(changelogIn(copy, name), name).toBeUndefined();
    }
  });

  it("releases a major of the types and a validator feature: every dependent moves its range to 2.0.0", async () => {
    const copy = throwawayCopy();
    setVersions(copy, "1.2.3");
    replaceChangesets(copy, {
      "types-break": { "@graph-invite/types": "major" },
      "validator-feature": { "@graph-invite/validator": "minor" },
    });
    const privateBefore = privateManifests(copy);

    await changesetVersion(copy);

    // The bot depends on the types and the validator too, and its range is left; it is still not versioned.
    expectPrivatePackagesUntouched(copy, privateBefore);
    expect(versionIn(copy, "@graph-invite/types")).toBe("2.0.0");
    expect(versionIn(copy, "@graph-invite/validator")).toBe("1.3.0");
    expect(versionIn(copy, "@graph-invite/client")).toBe("1.2.4");
    expect(versionIn(copy, "@graph-invite/simulator")).toBe("1.2.4");
    expect(versionIn(copy, "@graph-invite/bot-kit")).toBe("1.2.4");
    expect(sectionFor(changelogIn(copy, "@graph-invite/validator"), "1.3.0")).toBe(
      [
        "\n## 1.3.0\n\n### Minor Changes\n\n- Summary of validator-feature.\n",
        "### Patch Changes\n\n- Updated dependencies\n  - @graph-invite/types@2.0.0\n",
      ].join("\n"),
    );
    expect(sectionFor(changelogIn(copy, "@graph-invite/simulator"), "1.2.4")).toContain(
      "- Updated dependencies\n  - @graph-invite/types@2.0.0\n  - @graph-invite/validator@1.3.0\n",
    );
    // The manifests keep workspace:^; the published ones carry the new versions.
    expect(readManifest(join(copy, dirOf("@graph-invite/client")))["dependencies"]).toMatchObject({
      "@graph-invite/types": "workspace:^",
    });
    expect(await packedDependencies(copy, "@graph-invite/client")).toMatchObject({ "@graph-invite/types": "^2.0.0" });
    expect(await packedDependencies(copy, "@graph-invite/simulator")).toMatchObject({
      "@graph-invite/types": "^2.0.0",
      "@graph-invite/validator": "^1.3.0",
    });
    expect(await packedDependencies(copy, "@graph-invite/bot-kit")).toMatchObject({
      "@graph-invite/client": "^1.2.4",
      "@graph-invite/types": "^2.0.0",
      "@graph-invite/validator": "^1.3.0",
    });
  });

  it("releases a 0.x minor of the types: below 1.0 a minor leaves the caret range, so dependents follow", async () => {
    const copy = throwawayCopy();
    setVersions(copy, "0.4.1");
    replaceChangesets(copy, { "types-feature": { "@graph-invite/types": "minor" } });
    const privateBefore = privateManifests(copy);

    await changesetVersion(copy);

    expectPrivatePackagesUntouched(copy, privateBefore);
    expect(versionIn(copy, "@graph-invite/types")).toBe("0.5.0");
    for (const name of [
      "@graph-invite/client",
      "@graph-invite/validator",
      "@graph-invite/simulator",
      "@graph-invite/bot-kit",
    ]) {
      expect(versionIn(copy, name), name).toBe("0.4.2");
    }
    expect(await packedDependencies(copy, "@graph-invite/validator")).toMatchObject({
      "@graph-invite/types": "^0.5.0",
    });
  });
});
