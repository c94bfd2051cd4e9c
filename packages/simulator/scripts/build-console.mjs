// Bundles the console (console/src) into dist/console-app: one minified script, its styles and its page, served by
// the simulator with no network access. bench/size holds the script to its budget.
import { copyFileSync, mkdirSync } from "node:fs";
import { build } from "esbuild";

const out = new URL("../dist/console-app/", import.meta.url);
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [new URL("../console/src/page.ts", import.meta.url).pathname],
  outfile: new URL("app.js", out).pathname,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  legalComments: "none",
  logLevel: "warning",
});
for (const file of ["index.html", "app.css"]) {
  copyFileSync(new URL(`../console/${file}`, import.meta.url), new URL(file, out));
}
