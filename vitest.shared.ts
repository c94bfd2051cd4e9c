/**
 * Test settings that every package's vitest config spreads into its `test` block. The JSON report lets `.ci/run`
 * print one total for the whole workspace (scripts/summarise-tests.mjs).
 */
export const sharedTestOptions = {
  // Property tests run hundreds of cases, and CI runs every package's suite at once on two cores: a test that takes a
  // second alone can take several there. Vitest's 5 s default failed such tests on a loaded machine; a hang still fails.
  testTimeout: 30_000,
  reporters: ["default", "json"],
  outputFile: { json: "test-results.json" },
};

/**
 * The settings of a package with runtime tests (`test/*.test.ts`) and type tests (`test/*.test-d.ts`, which run
 * through tsc with the package's tsconfig.json).
 */
export const packageTestOptions = {
  ...sharedTestOptions,
  include: ["test/**/*.test.ts"],
  typecheck: {
    enabled: true,
    include: ["test/**/*.test-d.ts"],
    tsconfig: "./tsconfig.json",
  },
};

/**
 * A package's test block as `pnpm test:mutation` runs it under Stryker: without the type tests and README examples
 * (they check no behaviour of the code mutated) and without the browser tests (Chromium per mutant is more than two
 * cores can give). `--tests` of scripts/mutation.mjs narrows it to the files that test what is mutated, through
 * GRAPH_INVITE_MUTATION_TESTS. The include list is replaced, never merged: merging would keep every test file.
 */
export function mutationTestOptions<Test extends object>(test: Test) {
  const only = process.env["GRAPH_INVITE_MUTATION_TESTS"]?.split(",").filter((file) => file !== "") ?? [];
  return {
    ...test,
    typecheck: { enabled: false },
    reporters: ["default"],
    exclude: ["test/browser.test.ts", "test/readme.test.ts", "**/node_modules/**"],
    ...(only.length > 0 && { include: only }),
  };
}
