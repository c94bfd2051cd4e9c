// Settings every package's stryker.config.mjs spreads. Stryker runs inside the package folder (`inPlace`): its
// sandbox would copy only that folder and break the `../../vitest.shared.js` import of each vitest config.
// `pnpm test:mutation` (scripts/mutation.mjs) runs it; the incremental file is kept under node_modules/.cache, so a
// rerun tests only the mutants whose code or tests changed since the last run on that checkout.
/** @returns {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export function strykerOptions(mutate) {
  return {
    mutate,
    testRunner: "vitest",
    plugins: ["@stryker-mutator/vitest-runner"],
    vitest: { configFile: "vitest.mutation.config.ts", related: false },
    coverageAnalysis: "perTest",
    inPlace: true,
    // vitest strips types without checking them, so no file needs Stryker's `// @ts-nocheck`: in place, fewer files
    // are touched while it runs.
    disableTypeChecks: false,
    incremental: true,
    incrementalFile: "node_modules/.cache/stryker/incremental.json",
    // Two shared cores: one test process at a time keeps the loopback and Redis timings of the suites honest.
    concurrency: 1,
    // Added to twice the time the covering tests took in the first run: room for a loaded machine.
    timeoutMS: 10_000,
    timeoutFactor: 2,
    reporters: ["clear-text", "json", "progress-append-only"],
    jsonReporter: { fileName: "node_modules/.cache/stryker/mutation.json" },
    clearTextReporter: { allowColor: false, logTests: false, reportMutants: false },
    tempDirName: "node_modules/.cache/stryker/tmp",
    cleanTempDir: "always",
    thresholds: { high: 90, low: 85, break: null },
  };
}
