/**
 * Test settings that every package's vitest config spreads into its `test` block. The JSON report lets `.ci/run`
 * print one total for the whole workspace (scripts/summarise-tests.mjs).
 */
export const sharedTestOptions = {
  reporters: ["default", "json"],
  outputFile: { json: "test-results.json" },
};
