// Builds dist/: the library as one module, generated validators included, and the CLI as another that imports it
// (tsc writes the declarations). One module rather than one per source file, minified, because loading the code
// is most of what a bot's start-up costs (bench/validator); the source maps lead back to src/ and generated/.
import { buildSync } from "esbuild";

const common = {
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  logLevel: "warning",
};

buildSync({ ...common, entryPoints: ["src/index.ts"], outfile: "dist/index.js" });
buildSync({ ...common, entryPoints: ["src/main.ts"], outfile: "dist/main.js", external: ["./index.js", "node:*"] });
