// Benchmarks @graph-invite/validator against ajv compiled at run time from the same spec with the same options.
//
// Throughput: tolerant parsing of the seed's ten notifications (JSON text in, classified notifications out). The
// baseline does the same work with the same normaliser and classifier, but validates with ajv compiling the spec's
// tolerant schemas as written (with their oneOf) when the process starts.
// Cold start: a fresh Node process per sample. Ours imports the package and parses one notification; the baseline
// imports ajv, compiles the schemas and validates one notification.
// Cost against JSON.parse: the same tolerant parse against JSON.parse alone of the same text, on the seed's ten
// notifications and on the roster bodies bench/ingest sends. A bot cannot read a body for less than JSON.parse.
// Each reports a ratio, measured in this run: ours against the baseline. Targets: throughput >= 1.0x, cold start
// >= 10x faster, and a tolerant parse costs at most 2x JSON.parse.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseNotifications } from "@graph-invite/validator";
import { buildSync } from "esbuild";
import { parse } from "yaml";
import { evolvableKeyword, tolerantSchemas } from "../../packages/validator/scripts/schemas.mjs";
import { compareAlternating, median } from "../alternating.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "graph-invite-bench-"));

// The baseline reuses the parser's own normaliser and classifier, built from the package's source.
const parserSteps = join(scratch, "parser-steps.mjs");
buildSync({
  stdin: {
    contents: 'export { Normaliser } from "./src/normalise.ts"; export { classify } from "./src/classify.ts";',
    resolveDir: resolve(here, "../../packages/validator"),
    loader: "ts",
  },
  bundle: true,
  format: "esm",
  platform: "neutral",
  outfile: parserSteps,
  logLevel: "warning",
});
const { Normaliser, classify } = await import(parserSteps);
const root = resolve(here, "../..");
const examplesDir = join(root, "openapi/examples");
const notifications = readdirSync(examplesDir)
  .filter((file) => /\.(operation-completed|roster-updated)\.json$/.test(file))
  .map((file) => readFileSync(join(examplesDir, file), "utf8"));

const ajvOptions = { allErrors: true, strict: true, strictTypes: false, strictRequired: false };
const spec = parse(readFileSync(join(root, "openapi/graph-invite.yaml"), "utf8"));
const schemaDocument = {
  $id: "tolerant.json",
  $defs: JSON.parse(
    JSON.stringify(tolerantSchemas(spec.components.schemas)).replaceAll('"#/$defs/', '"tolerant.json#/$defs/'),
  ),
};

const { Ajv2020 } = await import("ajv/dist/2020.js");
const ajv = new Ajv2020(ajvOptions);
// The generated code checks an evolvable enum's members and reports the rest; here the keyword only annotates.
ajv.addVocabulary([evolvableKeyword]);
ajv.addSchema(schemaDocument);
const validateAtRunTime = ajv.getSchema("tolerant.json#/$defs/commsNotifications");

/** The parser's steps, validating with the run-time compiled schema. */
function baselineParse(text) {
  const normaliser = new Normaliser();
  const parsed = JSON.parse(text);
  normaliser.walk(parsed);
  const { body } = normaliser.envelope(parsed);
  for (const [index, notification] of body.value.entries()) normaliser.notification(notification, `/value/${index}`);
  if (!validateAtRunTime(body)) throw new Error(JSON.stringify(validateAtRunTime.errors));
  return body.value.map(classify);
}

function oursParse(text) {
  const result = parseNotifications(text);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.notifications;
}

// Both must agree before their speed is compared.
for (const text of notifications) {
  const ours = oursParse(text).map((notification) => notification.kind);
  const baseline = baselineParse(text).map((notification) => notification.kind);
  if (JSON.stringify(ours) !== JSON.stringify(baseline)) throw new Error("The two parsers disagree");
}

// Throughput: alternating slices of 2,000 parses each (see ../alternating.mjs).
const throughput = await compareAlternating({
  ours: (index) => oursParse(notifications[index % notifications.length]),
  baseline: (index) => baselineParse(notifications[index % notifications.length]),
  sliceSize: 2000,
});
const throughputRatio = throughput.ratio;
const opsPerSecond = (ms) => (throughput.sliceSize / ms) * 1000;
const oursOps = opsPerSecond(throughput.oursMs);
const baselineOps = opsPerSecond(throughput.baselineMs);

// The cost of a tolerant parse against JSON.parse of the same text (above 1: that many times JSON.parse's time).
const ingestBodies = readdirSync(examplesDir)
  .filter((file) => file.endsWith(".roster-updated.json"))
  .map((file) => readFileSync(join(examplesDir, file), "utf8"));
const againstJsonParse = async (texts) => {
  const compared = await compareAlternating({
    ours: (index) => oursParse(texts[index % texts.length]),
    baseline: (index) => JSON.parse(texts[index % texts.length]),
    sliceSize: 2000,
  });
  return { ...compared, cost: 1 / compared.ratio };
};
const seedCost = await againstJsonParse(notifications);
const ingestCost = await againstJsonParse(ingestBodies);

const schemaFile = join(scratch, "schemas.json");
writeFileSync(schemaFile, JSON.stringify(schemaDocument));
const sample = notifications[0];
const coldOurs = `
  const start = performance.now();
  const { parseNotifications } = await import("@graph-invite/validator");
  if (!parseNotifications(${JSON.stringify(sample)}).ok) process.exit(3);
  process.stdout.write(String(performance.now() - start));`;
const coldBaseline = `
  const start = performance.now();
  const { Ajv2020 } = await import("ajv/dist/2020.js");
    const { readFileSync } = await import("node:fs");
  const ajv = new Ajv2020(${JSON.stringify(ajvOptions)});
  ajv.addVocabulary(${JSON.stringify([evolvableKeyword])});
    ajv.addSchema(JSON.parse(readFileSync(${JSON.stringify(schemaFile)}, "utf8")));
  const validate = ajv.getSchema("tolerant.json#/$defs/commsNotifications");
  if (!validate(JSON.parse(${JSON.stringify(sample)}))) process.exit(3);
  process.stdout.write(String(performance.now() - start));`;
const coldRun = (source) =>
  Number(execFileSync(process.execPath, ["--input-type=module", "-e", source], { cwd: here, encoding: "utf8" }));
// The same for cold starts: pairs of fresh processes, in alternating order, and the median of the pairs' ratios.
const coldPairs = [];
for (let run = 0; run < 15; run++) {
  const [first, second] = run % 2 === 0 ? [coldOurs, coldBaseline] : [coldBaseline, coldOurs];
  const [firstMs, secondMs] = [coldRun(first), coldRun(second)];
  coldPairs.push(first === coldOurs ? { ours: firstMs, baseline: secondMs } : { ours: secondMs, baseline: firstMs });
}
const coldRatio = median(coldPairs.map((pair) => pair.baseline / pair.ours));
const coldOursMs = median(coldPairs.map((pair) => pair.ours));
const coldBaselineMs = median(coldPairs.map((pair) => pair.baseline));
const verdict = (ok) => (ok ? "met" : "MISSED");
const table = [
  ["", "@graph-invite/validator", "ajv at run time", "ratio", "target"],
  [
    `tolerant parse, ops/s (median of ${throughput.slices} alternating slices)`,
    oursOps.toFixed(0),
    baselineOps.toFixed(0),
    `${throughputRatio.toFixed(2)}x`,
    `>= 1.0x ${verdict(throughputRatio >= 1)}`,
  ],
  [
    "tolerant parse against JSON.parse, seed notifications, µs",
    ((seedCost.oursMs * 1000) / seedCost.sliceSize).toFixed(2),
    `JSON.parse ${((seedCost.baselineMs * 1000) / seedCost.sliceSize).toFixed(2)}`,
    `${seedCost.cost.toFixed(2)}x JSON.parse`,
    `<= 2x ${verdict(seedCost.cost <= 2)}`,
  ],
  [
    "tolerant parse against JSON.parse, bench/ingest's rosters, µs",
    ((ingestCost.oursMs * 1000) / ingestCost.sliceSize).toFixed(2),
    `JSON.parse ${((ingestCost.baselineMs * 1000) / ingestCost.sliceSize).toFixed(2)}`,
    `${ingestCost.cost.toFixed(2)}x JSON.parse`,
    `<= 2x ${verdict(ingestCost.cost <= 2)}`,
  ],
  [
    `cold start, ms (median of ${coldPairs.length} pairs of processes)`,
    coldOursMs.toFixed(1),
    coldBaselineMs.toFixed(1),
    `${coldRatio.toFixed(1)}x`,
    `>= 10x ${verdict(coldRatio >= 10)}`,
  ],
];
const widths = table[0].map((_, column) => Math.max(...table.map((row) => row[column].length)));
process.stdout.write(`bench/validator (Node ${process.version}, ${notifications.length} seed notifications)\n`);
for (const row of table) process.stdout.write(`${row.map((cell, column) => cell.padEnd(widths[column])).join("  ")}\n`);
if (throughputRatio < 1 || coldRatio < 10 || seedCost.cost > 2 || ingestCost.cost > 2) process.exitCode = 1;
