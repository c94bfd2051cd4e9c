// The package's tests as `pnpm test:mutation` runs them under Stryker: without the type tests and README examples
// (they check no behaviour of the code mutated) and without the browser tests (Chromium per mutant is more than two
// cores can give). `--tests` of scripts/mutation.mjs narrows them to the files that test what is mutated.
import { defineConfig, mergeConfig } from "vitest/config";
import base from "./vitest.config.js";

const only = process.env["GRAPH_INVITE_MUTATION_TESTS"]?.split(",").filter((file) => file !== "");

const config = mergeConfig(
  base,
  defineConfig({
    test: {
      typecheck: { enabled: false },
      reporters: ["default"],
      exclude: ["test/browser.test.ts", "test/readme.test.ts", "**/node_modules/**"],
    },
  }),
);
// Set after the merge: mergeConfig concatenates arrays, which would keep every test file.
const test = config["test"];
if (only !== undefined && only.length > 0 && test !== undefined) test.include = only;

export default config;
