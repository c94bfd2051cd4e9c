// Writes or checks a published package's API reports: one `api/<entry>.api.md` per entry point of its `exports`
// (`.` is `index`, `./auth` is `auth`), made by api-extractor from the declarations in dist/. Run in the package's
// folder after its build.
//   node ../../scripts/api-report.mjs           check: fails when a report differs from the checked-in one
//   node ../../scripts/api-report.mjs --local   update: rewrites the reports (`pnpm api`)
// Both fail on the rules of api-extractor.base.json (an undocumented export, a type that a signature names but the
// entry point does not export, a malformed TSDoc comment).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CompilerState, Extractor, ExtractorConfig, ExtractorLogLevel } from "@microsoft/api-extractor";

const local = process.argv.includes("--local");
const packageDir = process.cwd();
const manifestPath = join(packageDir, "package.json");
const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
const configPath = join(packageDir, "api-extractor.json");

/** Each code entry point of the package's exports, with the name its report takes. */
function entryPoints() {
  return Object.entries(manifest.exports)
    .filter(([subpath]) => subpath !== "./package.json")
    .map(([subpath, target]) => {
      const types = typeof target === "object" ? target.types : undefined;
      if (typeof types !== "string") {
        throw new Error(`${manifest.name}: exports["${subpath}"] has no "types" condition to report on`);
      }
      return { subpath, name: subpath === "." ? "index" : subpath.slice(2).replaceAll("/", "-"), types };
    });
}

function prepare(entry) {
  const configObject = ExtractorConfig.loadFile(configPath);
  configObject.mainEntryPointFilePath = `<projectFolder>/${entry.types}`;
  configObject.apiReport = { ...configObject.apiReport, reportFileName: entry.name };
  return ExtractorConfig.prepare({
    configObject,
    configObjectFullPath: configPath,
    packageJsonFullPath: manifestPath,
  });
}

const entries = entryPoints().map((entry) => ({ ...entry, config: prepare(entry) }));
// One TypeScript program serves every entry point: building it is most of the time a run takes.
const compilerState = CompilerState.create(entries[0].config, {
  additionalEntryPoints: entries.map((entry) => entry.config.mainEntryPointFilePath),
});

const problems = [];
let failedRules = false;
let changed = false;
for (const entry of entries) {
  const label = `${manifest.name}${entry.subpath === "." ? "" : entry.subpath.slice(1)}`;
  const result = Extractor.invoke(entry.config, {
    localBuild: local,
    compilerState,
    printApiReportDiff: !local,
    messageCallback(message) {
      // The preamble and progress lines are noise in a check that passes; warnings and errors are shown.
      if (message.logLevel === ExtractorLogLevel.Info || message.logLevel === ExtractorLogLevel.Verbose) {
        message.handled = true;
      }
    },
  });
  const report = `api/${entry.name}.api.md`;
  if (result.errorCount > 0) {
    failedRules = true;
    problems.push(`${label}: ${result.errorCount} error(s) above.`);
  }
  if (!local && result.apiReportChanged) {
    changed = true;
    problems.push(`${label}: the public API differs from ${report} (the diff is above).`);
  } else if (!result.succeeded && result.errorCount === 0) {
    problems.push(`${label}: ${result.warningCount} warning(s) above.`);
  }
  if (local && result.apiReportChanged && result.errorCount === 0) {
    process.stdout.write(`${label}: updated ${report}\n`);
  }
}

if (problems.length > 0) {
  const hints = [
    failedRules &&
      "Fix the errors: document the export, export the type its signature names, or correct the TSDoc comment.",
    changed && "If the API change is intended, run `pnpm api` and commit the updated report with it.",
    'See CONTRIBUTING.md, "Changing the public API".',
  ].filter(Boolean);
  process.stderr.write(`\n${[...problems, ...hints].join("\n")}\n`);
  process.exit(1);
}
process.stdout.write(
  `${manifest.name}: API reports up to date (${entries.map((e) => `api/${e.name}.api.md`).join(", ")})\n`,
);
