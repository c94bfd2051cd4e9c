/**
 * Test settings that every package's vitest config spreads into its `test` block. The JSON report lets `.ci/run`
 * print one total for the whole workspace (scripts/summarise-tests.mjs).
 */
export const sharedTestOptions = {
  // Property tests run hundreds of cases, and CI runs several packages' suites at once on two cores beside Chromium,
  // Redis clusters and child processes: a browser test that takes 3 s alone took over 30 s there. A hang still fails,
  // two minutes later. Hooks (servers, clusters, browsers started in beforeAll) get the same.
  testTimeout: 120_000,
  hookTimeout: 120_000,
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
