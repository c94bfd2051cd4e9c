// The current Node LTS, installed as users of the `node` npm package install it: the package's preinstall fetches
// the platform's binary package from the same registry, so this needs nothing but npm.
import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "./exec.js";

/** Pinned, so that a CI run is repeatable; move it on when a new 24.x matters. */
export const nodeLtsVersion = "24.21.0";

/** The path of the Node binary, installed once per machine into the temporary directory and reused. */
export async function installNodeLts(env: NodeJS.ProcessEnv): Promise<string> {
  const prefix = join(tmpdir(), `graph-invite-node-${nodeLtsVersion}`);
  const binary = join(prefix, "node_modules/node/bin/node");
  if (existsSync(binary)) {
    const { stdout } = await run(binary, ["--version"], { cwd: prefix }).catch(() => ({ stdout: "" }));
    if (stdout.trim() === `v${nodeLtsVersion}`) return binary;
  }
  mkdirSync(prefix, { recursive: true });
  await run("npm", ["install", "--no-save", "--no-audit", "--no-fund", `node@${nodeLtsVersion}`], {
    cwd: prefix,
    env,
    timeoutMs: 300_000,
  });
  return binary;
}
