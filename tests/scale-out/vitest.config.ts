import { defineConfig } from "vitest/config";
import { sharedTestOptions } from "../../vitest.shared.js";

export default defineConfig({
  test: {
    ...sharedTestOptions,
    include: ["test/**/*.test.ts"],
    // Bot processes, a simulator (two RSA keys) and redis-server start in the hooks: seconds each on a busy machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The files start processes and measure latency: one at a time, so that they do not slow each other down.
    fileParallelism: false,
  },
});
