// Prints one line that totals the vitest JSON reports every package wrote (`test-results.json`), so a log
// reader sees the whole run's outcome at the end. Exits non-zero when a test failed or none ran.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const reports = ["openapi", ...["packages", "apps"].flatMap((dir) => readdirSync(dir).map((name) => join(dir, name)))]
  .map((dir) => join(dir, "test-results.json"))
  .filter((file) => existsSync(file));

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of reports) {
  const report = JSON.parse(readFileSync(file, "utf8"));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
}
process.stdout.write(`\n${reports.length} test reports\n`);
process.stdout.write(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
if (failed > 0 || passed === 0) process.exit(1);
