import { defineConfig } from "vitest/config";
import { sharedTestOptions } from "../../vitest.shared.js";

export default defineConfig({
  test: {
    ...sharedTestOptions,
    include: ["test/**/*.test.ts"],
    // The first release, published once to a registry on loopback for every file that reads it.
    globalSetup: ["src/first-release.ts"],
    // Each file spends most of its time waiting for child processes (installs, builds, the registry), so two files
    // run at once even on two cores, where vitest's default would run them one after another.
    maxWorkers: 2,
    // These tests pack, install from the registry, compile and start processes: seconds to a minute each.
    testTimeout: 180_000,
    hookTimeout: 300_000,
  },
});
