// Prints one line that totals the vitest JSON reports (`test-results.json`) of every workspace package that has a
// `test` script, so a log reader sees the whole run's outcome at the end. Exits non-zero when a package wrote no
// report, a test failed, or no test ran.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

const workspace = parse(readFileSync("pnpm-workspace.yaml", "utf8"));
const packageDirs = workspace.packages.flatMap((pattern) =>
  pattern.endsWith("/*")
    ? readdirSync(pattern.slice(0, -2), { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => join(pattern.slice(0, -2), entry.name))
    : [pattern],
);
const tested = packageDirs.filter((dir) => {
  const manifest = join(dir, "package.json");
  return existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).scripts?.test;
});

let passed = 0;
let failed = 0;
let skipped = 0;
const missing = [];
for (const dir of tested) {
  const file = join(dir, "test-results.json");
  if (!existsSync(file)) {
    missing.push(dir);
    continue;
  }
  const report = JSON.parse(readFileSync(file, "utf8"));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
}
process.stdout.write(`\n${tested.length - missing.length} of ${tested.length} packages reported\n`);
if (missing.length > 0) process.stderr.write(`no test report from: ${missing.join(", ")}\n`);
process.stdout.write(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
if (missing.length > 0 || failed > 0 || passed === 0) process.exit(1);
