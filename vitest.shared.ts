/**
 * Test settings that every package's vitest config spreads into its `test` block. The JSON report lets `.ci/run`
 * print one total for the whole workspace (scripts/summarise-tests.mjs).
 */
export const sharedTestOptions = {
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
