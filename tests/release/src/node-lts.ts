// The current Node LTS, installed as users of the `node` npm package install it: the package's preinstall script
// fetches the platform's binary package from the same registry, so this needs nothing but npm.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "./exec.js";
import { repoRoot } from "./workspace.js";

/** Pinned, so that a CI run is repeatable; move it on when a new 24.x matters. */
export const nodeLtsVersion = "24.21.0";

// Inside this checkout's node_modules (ignored by git, owned by whoever installed it), not a shared temporary folder
// another user or another checkout could write to.
const cache = join(repoRoot, "node_modules/.cache/graph-invite");
const prefix = join(cache, `node-${nodeLtsVersion}`);
const binaryIn = (folder: string) => join(folder, "node_modules/node/bin/node");
const installTimeoutMs = 300_000;
const versionTimeoutMs = 30_000;

/** The longest installNodeLts can take: a hook that awaits it needs at least this long. */
export const nodeLtsInstallBudgetMs = installTimeoutMs + 2 * versionTimeoutMs;

async function versionOf(binary: string): Promise<string> {
  if (!existsSync(binary)) return "";
  const { stdout } = await run(binary, ["--version"], { cwd: repoRoot, timeoutMs: versionTimeoutMs }).catch(() => ({
    stdout: "",
  }));
  return stdout.trim();
}

/** The path of the Node binary, installed once per checkout and reused. */
export async function installNodeLts(env: NodeJS.ProcessEnv): Promise<string> {
  if ((await versionOf(binaryIn(prefix))) === `v${nodeLtsVersion}`) return binaryIn(prefix);

  mkdirSync(cache, { recursive: true });
  removeAbandonedInstalls();
  const staging = mkdtempSync(join(cache, "installing-"));
  try {
    // A manifest of its own keeps npm from installing into a parent folder's node_modules, and approves the one
    // install script this needs (npm 12 runs no unapproved install script).
    writeFileSync(
      join(staging, "package.json"),
      JSON.stringify({ private: true, allowScripts: { [`node@${nodeLtsVersion}`]: true } }),
    );
    await run("npm", ["install", "--no-audit", "--no-fund", "--no-package-lock", `node@${nodeLtsVersion}`], {
      cwd: staging,
      env,
      timeoutMs: installTimeoutMs,
    });
    const installed = await versionOf(binaryIn(staging));
    if (installed !== `v${nodeLtsVersion}`) {
      throw new Error(
        `npm installed node@${nodeLtsVersion} but ${binaryIn(staging)} ${installed ? `is ${installed}` : "is missing"}: ` +
          "the package's preinstall script did not run (is ignore-scripts set in an .npmrc?)",
      );
    }
    // Moved into place whole, so that an interrupted install is never taken for a finished one.
    rmSync(prefix, { recursive: true, force: true });
    renameSync(staging, prefix);
    return binaryIn(prefix);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Staging folders an interrupted run left (about 190 MB each); one older than an install's time limit is dead. */
function removeAbandonedInstalls() {
  for (const entry of readdirSync(cache)) {
    const folder = join(cache, entry);
    if (entry.startsWith("installing-") && Date.now() - statSync(folder).mtimeMs > installTimeoutMs) {
      rmSync(folder, { recursive: true, force: true });
    }
  }
}
