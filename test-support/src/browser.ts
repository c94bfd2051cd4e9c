// What the tests that run in a real browser share: Chromium, launched the same way everywhere, and a package's
// source bundled for the browser as a user's bundler would.
import { buildSync } from "esbuild";
import { type Browser, chromium } from "playwright-core";

/** Debian's chromium package; CHROMIUM_PATH overrides it. */
const executablePath = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";

/** As root and without network: no sandbox, and none of Chromium's own background traffic. */
const args = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** `extraArgs` adds switches, such as `--host-resolver-rules` to point a test's host name at loopback. */
export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath, args: [...args, ...extraArgs] });
}

/** The module at `entry` and everything it imports, as one minified ES module for the browser. */
export function browserBundle(entry: string): string {
  const [output] = buildSync({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "browser",
    minify: true,
    write: false,
    logLevel: "warning",
  }).outputFiles;
  if (output === undefined) throw new Error(`esbuild produced no bundle for ${entry}`);
  return output.text;
}
