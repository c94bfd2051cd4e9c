// Size budgets: what @graph-invite/client, @graph-invite/validator and @graph-invite/bot-kit add to an app bundled
// for the browser, minified and compressed with gzip -9 (brotli is printed too). Sizes are deterministic for a given esbuild, so CI
// enforces the budgets (`pnpm size`); `pnpm bench` runs them too. Exits 1 when an app is over its budget.
// The budgets are in budgets.mjs.
import { fileURLToPath } from "node:url";
import { bundleSize } from "../bundle.mjs";
import { print, printTable } from "../report.mjs";
import { budgets } from "./budgets.mjs";

const rows = [["app", "minified", "min+brotli", "min+gzip", "gzip budget", "of budget"]];
const over = [];
for (const app of budgets) {
  const size = await bundleSize(fileURLToPath(app.entry));
  rows.push([
    app.name,
    size.min,
    size.brotli,
    size.gzip,
    app.budget,
    `${((size.gzip / app.budget) * 100).toFixed(0)}%`,
  ]);
  if (size.gzip > app.budget) {
    over.push(`${app.name}: ${size.gzip} B gzipped, over its ${app.budget} B budget`);
  }
}

print("Bundle size (esbuild, platform browser, ESM, minified; bytes)");
print();
printTable(rows);
for (const line of over) {
  print(line);
}
print(over.length === 0 ? "size budgets met" : "size budgets missed");
process.exitCode = over.length === 0 ? 0 : 1;
