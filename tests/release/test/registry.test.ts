// `pnpm release` against a real npm registry (Verdaccio on loopback): what the first release published, as npm serves
// it (src/first-release.ts made it); then a second release, of a breaking change to the validator and the packages that depend on it,
// to a registry that starts with the first release and refuses at first (stopped, then a token it does not know), the
// rerun that finishes the job, and an application that takes the new versions with `npm update`.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { run, shellEnv } from "../src/exec.js";
import { publishingEnv, type Registry, readRegistry, scopeNpmrc, startRegistry } from "../src/registry.js";
import { publishReport, release, versionPackages, versionsIn } from "../src/release.js";
import { readManifest, workspacePackages } from "../src/workspace.js";

const first = inject("firstRelease");
const names = Object.keys(first.versions).sort();
const atFirstVersion = (name: string) => `${name}@${first.versions[name]}`;
const firstRegistry = readRegistry(first.registryUrl);
const dependencyFields = ["dependencies", "devDependencies", "peerDependencies", "optionalDependencies"] as const;

describe("the first release", () => {
  it("publishes each of the five packages once, at its version, under the dist-tag latest", async () => {
    expect(names).toHaveLength(5);
    expect(first.report).toEqual({ published: names.map(atFirstVersion), failed: [], alreadyPublished: [] });
    for (const name of names) {
      const packument = await firstRegistry.packument(name);
      expect(packument?.["dist-tags"], name).toEqual({ latest: first.versions[name] });
      expect(Object.keys(packument?.versions ?? {}), name).toEqual([first.versions[name]]);
    }
  });

  it("publishes nothing else: the registry holds the five packages, and no private package of the workspace", async () => {
    expect(await firstRegistry.packageNames()).toEqual(names);
    const privateNames = (await workspacePackages())
      .filter(({ manifest }) => manifest.private === true)
      .map(({ name }) => name);
    expect(privateNames.length).toBeGreaterThan(0);
    for (const name of privateNames) expect(await firstRegistry.packument(name), name).toBeUndefined();
  });

  it("serves manifests with no workspace: or catalog: range, our own packages at the released versions", async () => {
    for (const name of names) {
      const { stdout } = await run(
        "npm",
        ["view", `${name}@${first.versions[name]}`, "--json", `--registry=${first.registryUrl}`],
        { cwd: first.workspace, env: shellEnv },
      );
      const manifest = JSON.parse(stdout) as Record<string, unknown> & { dist: { tarball: string } };
      expect(manifest).toMatchObject({ name, version: first.versions[name] });
      expect(manifest.dist.tarball.startsWith(first.registryUrl), manifest.dist.tarball).toBe(true);
      for (const field of dependencyFields) {
        for (const [dependency, range] of Object.entries((manifest[field] as Record<string, string>) ?? {})) {
          const ours = first.versions[dependency];
          // A range npm can resolve: a sibling by caret on the version it was released at, anything else by version.
          expect(range, `${name} ${field} ${dependency}`).toEqual(ours ? `^${ours}` : expect.stringMatching(/^\^?\d/));
        }
      }
    }
  });

  it("leaves the repository as it was: the versions, CHANGELOGs, spent changesets and tags are the copy's", () => {
    expect(first.repository.after).toBe(first.repository.before);
  });
});

// A major release of the validator leaves every dependent's caret range, whatever the versions are, so the dependents
// are released too (a patch each); the packages that do not depend on it are not.
describe("a second release, of a breaking change to the validator", () => {
  const root = mkdtempSync(join(tmpdir(), "graph-invite-second-release-"));
  const app = join(root, "app");
  let registry: Registry | undefined;
  let env: NodeJS.ProcessEnv = {};
  /** Each package's version after `pnpm version-packages`, and the names of the ones it moved. */
  let versions: Record<string, string> = {};
  let moved: string[] = [];
  let untouched: string[] = [];
  const atNewVersion = (name: string) => `${name}@${versions[name]}`;
  const registryNow = () => {
    if (registry === undefined) throw new Error("the second registry did not start");
    return registry;
  };

  beforeAll(async () => {
    mkdirSync(join(root, "registry"));
    registry = await startRegistry({ folder: join(root, "registry"), storageFrom: first.storage });
    env = publishingEnv(registry, await registry.addUser("release"), root);

    // An application installed after the first release, whose dependency is the caret range npm saves.
    mkdirSync(app);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "caret-app", private: true }));
    writeFileSync(join(app, ".npmrc"), scopeNpmrc(registry.url));
    await run("npm", ["install", "--no-audit", "--no-fund", "@graph-invite/bot-kit"], {
      cwd: app,
      env: shellEnv,
      timeoutMs: 300_000,
    });

    writeFileSync(
      join(first.workspace, ".changeset/validator-breaking.md"),
      ["---", '"@graph-invite/validator": major', "---", "", "A breaking change to the validator.", ""].join("\n"),
    );
    await versionPackages(first.workspace);
    versions = versionsIn(first.workspace, first.paths);
    moved = names.filter((name) => versions[name] !== first.versions[name]);
    untouched = names.filter((name) => versions[name] === first.versions[name]);
  }, 600_000);

  afterAll(async () => {
    await registry?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  /** The versions the registry has of each package, by name. */
  const versionsOnRegistry = async () =>
    Object.fromEntries(
      await Promise.all(
        names.map(async (name) => [name, Object.keys((await registryNow().packument(name))?.versions ?? {})]),
      ),
    );
  const firstReleaseOnly = Object.fromEntries(names.map((name) => [name, [first.versions[name]]]));

  it("moves the validator and the packages that depend on it, whose caret range the major version leaves", async () => {
    const dependents = (await workspacePackages())
      .filter(
        ({ name, manifest }) =>
          names.includes(name) && "@graph-invite/validator" in ((manifest["dependencies"] ?? {}) as object),
      )
      .map(({ name }) => name);
    expect(dependents.length).toBeGreaterThan(0);
    expect(moved).toEqual(["@graph-invite/validator", ...dependents].sort());
    expect(untouched.length).toBeGreaterThan(0);
    const changelog = readFileSync(join(first.workspace, "packages/validator/CHANGELOG.md"), "utf8");
    expect(changelog).toContain(
      `## ${versions["@graph-invite/validator"]}\n\n### Major Changes\n\n- A breaking change to the validator.`,
    );
  });

  it("with the registry down, fails at once, naming the registry it could not reach, and publishes nothing", async () => {
    await registryNow().stop();
    // npm retries a refused connection twice, backing off for about a minute, before it gives the same answer. The
    // back-off is what can be shortened: `pnpm run` passes a fetch-retries of 0 on to its script as an empty value.
    const refused = await release(first.workspace, {
      ...env,
      npm_config_fetch_retry_mintimeout: "100",
      npm_config_fetch_retry_maxtimeout: "200",
    });
    await registryNow().start();

    expect(refused.code, refused.output).not.toBe(0);
    expect(refused.output).toMatch(/Received an unknown error code: ECONNREFUSED for npm info "@graph-invite\//);
    expect(refused.output).toContain(`connect ECONNREFUSED ${new URL(registryNow().url).host}`);
    expect(publishReport(refused.output).published).toEqual([]);
    expect(await versionsOnRegistry()).toEqual(firstReleaseOnly);
  });

  it("with a token the registry does not know, fails naming each package it could not publish and the ones it had", async () => {
    const refused = await release(first.workspace, { ...env, NPM_TOKEN: "a-token-this-registry-never-issued" });

    expect(refused.code, refused.output).not.toBe(0);
    expect(publishReport(refused.output)).toEqual({
      published: [],
      failed: moved.map(atNewVersion),
      alreadyPublished: untouched,
    });
    expect(refused.output).toMatch(/an error occurred while publishing @graph-invite\/validator: E401/);
    expect(await versionsOnRegistry()).toEqual(firstReleaseOnly);
  });

  it("run again with the registry's token, publishes what moved, and leaves what the registry has", async () => {
    const released = await release(first.workspace, env);

    expect(released.code, released.output).toBe(0);
    expect(publishReport(released.output)).toEqual({
      published: moved.map(atNewVersion),
      failed: [],
      alreadyPublished: untouched,
    });
    for (const name of names) {
      const packument = await registryNow().packument(name);
      const expected = moved.includes(name) ? [first.versions[name], versions[name]] : [first.versions[name]];
      expect(Object.keys(packument?.versions ?? {}), name).toEqual(expected);
      expect(packument?.["dist-tags"], name).toEqual({ latest: versions[name] });
      // Published once: the first release's version has the time the first registry gave it.
      const firstTime = (await firstRegistry.packument(name))?.time[first.versions[name] ?? ""];
      expect(packument?.time[first.versions[name] ?? ""], name).toBe(firstTime);
    }
  });

  it("reaches an application through its caret range: npm update installs the new kit and the validator it needs", async () => {
    const kit = "@graph-invite/bot-kit";
    expect(readManifest(app)["dependencies"]).toEqual({ [kit]: `^${first.versions[kit]}` });
    expect(moved).toContain(kit);
    // npm may answer from its cache of the registry's metadata, which predates the release.
    await run("npm", ["update", "--no-audit", "--no-fund", "--prefer-online"], { cwd: app, env: shellEnv });

    const { stdout } = await run("npm", ["ls", "--all", "--json"], { cwd: app, env: shellEnv });
    const validator = { version: versions["@graph-invite/validator"] };
    expect(JSON.parse(stdout)).toMatchObject({
      dependencies: { [kit]: { version: versions[kit], dependencies: { "@graph-invite/validator": validator } } },
    });
    expect(readManifest(join(app, "node_modules", kit)).version).toBe(versions[kit]);
  });
});
