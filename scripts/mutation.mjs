#!/usr/bin/env node
// `pnpm test:mutation [package…] [-- file…]`: StrykerJS over the hand-written sources of bot-kit, the validator and
// the client (generated code excluded, see each package's stryker.config.mjs), then the score of each file and of
// all of them. Incremental: Stryker keeps its last results in each package's node_modules/.cache/stryker/, so a rerun
// tests only the mutants whose source or covering tests changed. Too slow for `pnpm test` and CI on two cores.
//
//   pnpm test:mutation                                   every package, every file
//   pnpm test:mutation bot-kit                           one package
//   pnpm test:mutation bot-kit -- src/auth/**/*.ts src/invite-tracker.ts   the files a change touched
//   pnpm test:mutation bot-kit --tests test/auth.test.ts,test/limits.test.ts -- 'src/auth/**/*.ts'
//                                                        only those test files (a mutant of code that every test
//                                                        runs, such as auth/, would otherwise run the whole suite)
//   pnpm test:mutation validator --force -- src/json.ts  every mutant again: the incremental file keeps a survivor's
//                                                        result when only new test files were added, not changed
//   pnpm test:mutation bot-kit --sets                    each set of sources in the package's mutation-sets.mjs
//                                                        with the tests named for it, one after another: the whole
//                                                        kit in hours rather than days
//   pnpm test:mutation --report                          print the scores of the last runs without running: each
//                                                        file's newest result, whichever run measured it
//   pnpm test:mutation bot-kit --add ../second/packages/bot-kit/node_modules/.cache/stryker/mutation.json
//                                                        bring in the report of a run in another clone
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const packages = ["bot-kit", "validator", "client"];

const args = process.argv.slice(2);
const dash = args.indexOf("--");
const options = dash === -1 ? args : args.slice(0, dash);
const testsAt = options.indexOf("--tests");
const tests = testsAt === -1 ? "" : (options[testsAt + 1] ?? "");
const valueAt = new Set([options.indexOf("--tests") + 1, options.indexOf("--add") + 1].filter((index) => index > 0));
const names = options.filter((arg, index) => !arg.startsWith("--") && !valueAt.has(index));
const files = dash === -1 ? [] : args.slice(dash + 1);
const reportOnly = args.includes("--report") || args.includes("--add");
const bySets = options.includes("--sets");
const force = options.includes("--force") ? ["--force"] : [];
const chosen = names.length === 0 ? packages : names;
for (const name of chosen) {
  if (!packages.includes(name)) {
    process.stderr.write(`unknown package ${name}: one of ${packages.join(", ")}\n`);
    process.exit(2);
  }
}

const stryker = join(root, "node_modules", ".bin", "stryker");
// Stryker's report holds the files of its clone's incremental file, not those measured in another clone; each file's
// newest result is kept in `results` beside it, so that runs of different files (the sets, or the halves run in two
// clones and brought in with --add) add up.
const strykerReport = join("node_modules", ".cache", "stryker", "mutation.json");
const resultsOf = (name) => join(root, "packages", name, "node_modules", ".cache", "stryker", "results.json");
const addAt = options.indexOf("--add");
const added = addAt === -1 ? [] : [[chosen[0], options[addAt + 1] ?? ""]];

/** Puts the files of a Stryker report into the package's kept results, replacing each file's older result. */
function keepResults(name, report) {
  const { files } = JSON.parse(readFileSync(report, "utf8"));
  const kept = existsSync(resultsOf(name)) ? JSON.parse(readFileSync(resultsOf(name), "utf8")) : { files: {} };
  mkdirSync(dirname(resultsOf(name)), { recursive: true });
  writeFileSync(resultsOf(name), JSON.stringify({ files: { ...kept.files, ...files } }));
}
let failed = false;
if (!reportOnly) {
  for (const name of chosen) {
    const cwd = join(root, "packages", name);
    const runs = bySets ? await setsOf(cwd) : [{ mutate: files, tests: tests === "" ? [] : [tests] }];
    for (const run of runs) {
      const mutate = run.mutate.length === 0 ? [] : ["--mutate", run.mutate.join(",")];
      const only = run.tests.length === 0 ? "" : ` with ${run.tests.join(", ")}`;
      const what = run.mutate.length === 0 ? "" : ` (${run.mutate.join(", ")})${only}`;
      process.stdout.write(`\n=== mutation testing: packages/${name}${what}\n`);
      const env = { ...process.env, GRAPH_INVITE_MUTATION_TESTS: run.tests.join(",") };
      const ran = spawnSync(stryker, ["run", "stryker.config.mjs", ...mutate, ...force], {
        cwd,
        env,
        stdio: "inherit",
      });
      if (ran.status !== 0) failed = true;
      else keepResults(name, join(cwd, strykerReport));
    }
  }
}
for (const [name, report] of added) keepResults(name, report);

/**
 * The package's mutation sets (see packages/bot-kit/mutation-sets.mjs). Exits when a source its Stryker config mutates
 * is in no set, so that running every set is running the whole package.
 */
async function setsOf(cwd) {
  const file = join(cwd, "mutation-sets.mjs");
  if (!existsSync(file)) {
    process.stderr.write(`${relative(root, cwd)} has no mutation-sets.mjs: run it without --sets\n`);
    process.exit(2);
  }
  const sets = (await import(pathToFileURL(file).href)).default;
  const { mutate } = (await import(pathToFileURL(join(cwd, "stryker.config.mjs")).href)).default;
  const sources = readdirSync(join(cwd, "src"), { recursive: true }).map((path) => `src/${path.split("\\").join("/")}`);
  const missing = sources.filter(
    (source) => matches(source, mutate) && !sets.some((set) => matches(source, set.mutate)),
  );
  if (missing.length > 0) {
    process.stderr.write(`in no set of ${relative(root, file)}: ${missing.join(", ")}\n`);
    process.exit(2);
  }
  return sets;
}

/** Whether `path` is one of `globs` (Stryker's `mutate` patterns: `*`, `**\/`, and `!` to leave out), last match wins. */
function matches(path, globs) {
  let matched = false;
  for (const glob of globs) {
    const negated = glob.startsWith("!");
    const pattern = glob
      .slice(negated ? 1 : 0)
      .split(/(\*\*\/|\*)/)
      .map((part) =>
        part === "**/" ? "(?:.*/)?" : part === "*" ? "[^/]*" : part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"),
      )
      .join("");
    if (new RegExp(`^${pattern}$`).test(path)) matched = !negated;
  }
  return matched;
}

// Stryker's own table is per package; this one puts the packages side by side, with their total and the overall.
const killedStates = new Set(["Killed", "Timeout"]);
const survivedStates = new Set(["Survived", "NoCoverage"]);
const rows = [];
const totals = { killed: 0, survived: 0 };
for (const name of chosen) {
  const report = resultsOf(name);
  if (!existsSync(report)) continue;
  const { files: results } = JSON.parse(readFileSync(report, "utf8"));
  const sum = { killed: 0, survived: 0 };
  for (const [file, { mutants }] of Object.entries(results).sort(([a], [b]) => a.localeCompare(b))) {
    const killed = mutants.filter((mutant) => killedStates.has(mutant.status)).length;
    const survived = mutants.filter((mutant) => survivedStates.has(mutant.status)).length;
    if (killed + survived === 0) continue;
    rows.push([
      `packages/${name}/${relative(join(root, "packages", name), join(root, "packages", name, file))}`,
      killed,
      survived,
    ]);
    sum.killed += killed;
    sum.survived += survived;
  }
  rows.push([`packages/${name} (all files)`, sum.killed, sum.survived]);
  totals.killed += sum.killed;
  totals.survived += sum.survived;
}
rows.push(["overall", totals.killed, totals.survived]);
const score = (killed, survived) =>
  killed + survived === 0 ? "n/a" : `${((100 * killed) / (killed + survived)).toFixed(1)}%`;
const width = Math.max(...rows.map(([file]) => file.length));
process.stdout.write(`\n${"file".padEnd(width)}  score   killed  survived\n`);
for (const [file, killed, survived] of rows) {
  const cells = [score(killed, survived).padStart(6), String(killed).padStart(6), String(survived).padStart(8)];
  process.stdout.write(`${file.padEnd(width)}  ${cells.join("  ")}\n`);
}
process.stdout.write("\nEquivalent mutants, each with why it cannot be killed: mutation-equivalents.md\n");
process.exit(failed ? 1 : 0);
