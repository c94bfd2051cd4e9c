// The release flow as a maintainer runs it, in a copy of the workspace: `pnpm version-packages`, then `pnpm release`
// (turbo builds and lints the packages, then `changeset publish`). The copy takes the versions, CHANGELOGs, consumed
// changesets and git tags a release makes, so that the repository itself is never touched.
import { cpSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { attempt, type Finished, run, shellEnv } from "./exec.js";
import { readManifest, repoRoot } from "./workspace.js";

const installTimeoutMs = 300_000;
/**
 * A release from a copy with no build: turbo builds and lints the five packages (publint, attw) first. That took 4 min
 * on two cores beside the other packages' suites, so a hang is told from a busy machine at 10.
 */
const releaseTimeoutMs = 600_000;
/** The longest prepareWorkspaceCopy can take. */
export const copyBudgetMs = installTimeoutMs + 4 * 120_000;

/**
 * The workspace's files as git sees them, tracked or new (not ignored), so that what is released is what the
 * working tree holds, uncommitted changes included. The copy is a git repository of its own with one commit,
 * because `changeset publish` tags what it publishes.
 */
export async function prepareWorkspaceCopy(destination: string): Promise<void> {
  const { stdout } = await run("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: repoRoot,
  });
  for (const file of stdout.split("\0")) {
    // A tracked file deleted from the working tree is listed too, and is not part of the release.
    if (file === "" || !existsSync(join(repoRoot, file))) continue;
    mkdirSync(dirname(join(destination, file)), { recursive: true });
    cpSync(join(repoRoot, file), join(destination, file));
  }
  const git = (...args: string[]) =>
    run("git", ["-c", "user.name=Release test", "-c", "user.email=release@graph-invite.invalid", ...args], {
      cwd: destination,
    });
  await git("init", "--quiet");
  await git("add", "--all");
  await git("commit", "--quiet", "--no-verify", "--message", "The workspace as the release tests found it");
  await run("pnpm", ["install", "--frozen-lockfile", "--prefer-offline"], {
    cwd: destination,
    env: shellEnv,
    timeoutMs: installTimeoutMs,
  });
}

/** `pnpm version-packages`: it refreshes the lockfile from the user's registry, so it runs with the shell's settings. */
export async function versionPackages(workspace: string): Promise<void> {
  await run("pnpm", ["version-packages"], { cwd: workspace, env: shellEnv });
}

/** `pnpm release` with the given environment (registry and token); it may fail, and says why in its output. */
export async function release(workspace: string, env: NodeJS.ProcessEnv): Promise<Finished & { output: string }> {
  // One stream, in the order it was written: changesets prints a list's heading on stderr ("packages failed to
  // publish:") and its entries on stdout.
  const finished = await attempt("sh", ["-c", "exec pnpm release 2>&1"], {
    cwd: workspace,
    env,
    timeoutMs: releaseTimeoutMs,
  });
  // Without the colours a terminal or a CI's FORCE_COLOR gives it, so that the words can be matched.
  return { ...finished, output: stripVTControlCharacters(finished.stdout) };
}

/** What `changeset publish` reported, package by package, as `name@version`. */
export interface PublishReport {
  readonly published: readonly string[];
  readonly failed: readonly string[];
  /** Names of the packages it left because the registry already has their version. */
  readonly alreadyPublished: readonly string[];
}

/**
 * changesets prints the packages it published after "packages published successfully:" and the ones it could not
 * after "packages failed to publish:", one `🦋  name@version` line each.
 */
export function publishReport(output: string): PublishReport {
  const listedAfter = (heading: string) => {
    const lines = output.split("\n");
    const start = lines.findIndex((line) => line.includes(heading));
    if (start < 0) return [];
    const listed: string[] = [];
    for (const line of lines.slice(start + 1)) {
      const entry = /^🦋\s+(@graph-invite\/[\w-]+@\S+)\s*$/u.exec(line);
      if (entry?.[1] === undefined) break;
      listed.push(entry[1]);
    }
    return listed.sort();
  };
  const alreadyPublished = [
    ...output.matchAll(/(@graph-invite\/[\w-]+) is not being published because version \S+ is already published/gu),
  ].map((match) => match[1] ?? "");
  return {
    published: listedAfter("packages published successfully:"),
    failed: listedAfter("packages failed to publish:"),
    alreadyPublished: alreadyPublished.sort(),
  };
}

/** Each published package's version in the copy, by name. */
export function versionsIn(workspace: string, paths: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    paths.map((path) => {
      const { name, version } = readManifest(join(workspace, path));
      return [name, version];
    }),
  );
}
