// Builds dist/: one bundled module for the library and one for the CLI (tsc writes the declarations). One module
// rather than one per source file, because module loading is most of a bot's start-up cost (bench/validator).
// The generated validators stay a separate module, which the library imports from ../generated/.
import { buildSync } from "esbuild";

buildSync({
  entryPoints: { index: "src/index.ts", main: "src/main.ts" },
  outdir: "dist",
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  external: ["../generated/validators.js", "node:*"],
  sourcemap: true,
  sourcesContent: false,
  logLevel: "warning",
});
