// vitest's global setup: the first release, made once before any test file runs, as a maintainer makes it. A copy of
// the workspace runs `pnpm version-packages` and `pnpm release` against a Verdaccio on loopback. The consumer test
// installs what it published by name and version; the registry test checks it, and makes a second release on a
// registry of its own that starts from a copy of this one's storage. This registry takes no other publish, so what
// each test reads from it does not depend on the order the files run in.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { run } from "./exec.js";
import { publishingEnv, type Registry, startRegistry } from "./registry.js";
import {
  type PublishReport,
  prepareWorkspaceCopy,
  publishReport,
  release,
  versionPackages,
  versionsIn,
} from "./release.js";
import { publishedPackages, repoRoot } from "./workspace.js";

/**
 * What a release writes, as the repository holds it: each published package's manifest and CHANGELOG, the pending
 * changesets, and the git tags. Other files may change meanwhile (someone editing while the tests run).
 */
async function releaseState(paths: readonly string[]): Promise<string> {
  const read = (file: string) => (existsSync(file) ? readFileSync(file, "utf8") : "(none)");
  const files = paths.flatMap((path) =>
    ["package.json", "CHANGELOG.md"].map((file) => `${path}/${file}: ${read(join(repoRoot, path, file))}`),
  );
  const tags = await run("git", ["tag", "--list"], { cwd: repoRoot });
  return [
    ...files,
    `.changeset: ${readdirSync(join(repoRoot, ".changeset")).sort().join(" ")}`,
    `tags: ${tags.stdout}`,
  ].join("\n");
}

export interface FirstRelease {
  readonly registryUrl: string;
  readonly storage: string;
  /** The copy of the workspace that made the release, at the versions it published. */
  readonly workspace: string;
  /** The folders of the published packages, relative to the workspace, such as `packages/client`. */
  readonly paths: readonly string[];
  /** The version each package was published at, by name. */
  readonly versions: Readonly<Record<string, string>>;
  readonly report: PublishReport;
  readonly output: string;
  /** What a release writes (manifests, CHANGELOGs, changesets, tags) as the repository held it before and after. */
  readonly repository: { readonly before: string; readonly after: string };
}

declare module "vitest" {
  export interface ProvidedContext {
    firstRelease: FirstRelease;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const root = mkdtempSync(join(tmpdir(), "graph-invite-release-"));
  let registry: Registry | undefined;
  const teardown = async () => {
    await registry?.stop();
    rmSync(root, { recursive: true, force: true });
  };
  try {
    const paths = (await publishedPackages()).map(({ path }) => path);
    const before = await releaseState(paths);
    mkdirSync(join(root, "registry"));
    registry = await startRegistry({ folder: join(root, "registry") });
    const token = await registry.addUser("release");
    const workspace = join(root, "workspace");
    await prepareWorkspaceCopy(workspace);
    await versionPackages(workspace);

    const released = await release(workspace, publishingEnv(registry, token, root));
    if (released.code !== 0) {
      throw new Error(`pnpm release to ${registry.url} exited ${released.code}:\n${released.output}`);
    }
    project.provide("firstRelease", {
      registryUrl: registry.url,
      storage: registry.storage,
      workspace,
      paths,
      versions: versionsIn(workspace, paths),
      report: publishReport(released.output),
      output: released.output,
      repository: { before, after: await releaseState(paths) },
    });
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}
