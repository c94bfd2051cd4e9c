// Builds dist/index.html: the API reference as one HTML file that works offline.
//
// Redoc does not show specification extensions, so the business rules of the invite operation
// (`x-graph-invite-rules`) are written into its description first, in a copy of the bundled spec.
//
// Redoc (through `redocly build-docs --inlineBundle`) inlines its scripts, but its sidebar still loads Redocly's
// logo from a CDN. The build swaps that image for an inline one and adds a Content-Security-Policy that lets the
// page load nothing from the network, so a later Redoc that fetches something new fails the docs test rather than
// phoning home.
import { execFileSync } from "node:child_process";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const bundledSpec = resolve(root, "../../openapi/dist/graph-invite.json");
const spec = resolve(root, "dist/graph-invite.json");
const output = resolve(root, "dist/index.html");

/** The rules as a Markdown table: code, what enforces it, and its source's words or why it holds. */
function rulesTable(rules) {
  const cell = (text) => String(text).replace(/\s+/g, " ").replaceAll("|", "\\|");
  const rows = rules.map(
    (rule) =>
      `| \`${rule.code}\` | ${rule.enforcedBy} | ${cell(rule.quote ? `"${rule.quote}"` : rule.basis)} (${rule.source}) |`,
  );
  return ["| rule | enforced by | source |", "|---|---|---|", ...rows].join("\n");
}

const openapi = JSON.parse(await readFile(bundledSpec, "utf8"));
for (const pathItem of Object.values(openapi.paths)) {
  for (const operation of Object.values(pathItem)) {
    const rules = operation?.["x-graph-invite-rules"];
    if (!rules) continue;
    operation.description = `${operation.description}\n## Rules\n\n${rulesTable(rules)}\n`;
  }
}
await mkdir(dirname(spec), { recursive: true });
await writeFile(spec, JSON.stringify(openapi));

execFileSync(
  resolve(root, "node_modules/.bin/redocly"),
  [
    "build-docs",
    spec,
    "--output",
    output,
    "--inlineBundle",
    "--title",
    "graph-invite API reference",
    "--openapi.schemaDefinitionsTagName=Schemas",
  ],
  { stdio: "inherit", env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" } },
);

const emptyImage = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/%3E";
const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'unsafe-inline' blob:",
  "style-src 'unsafe-inline'",
  "img-src data: blob:",
  "font-src data:",
  "connect-src data: blob:",
  "worker-src blob:",
].join("; ");

let html = await readFile(output, "utf8");
for (const logo of ["https://cdn.redoc.ly/redoc/logo-mini-full.svg", "https://cdn.redoc.ly/redoc/logo-mini.svg"]) {
  if (!html.includes(logo)) throw new Error(`Redoc no longer loads ${logo}: review scripts/build.mjs`);
  html = html.replaceAll(logo, emptyImage);
}
if (!html.includes("<head>")) throw new Error("dist/index.html has no <head>");
html = html.replace("<head>", `<head>\n<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy}">`);
await writeFile(output, html);
