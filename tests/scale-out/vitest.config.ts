import { defineConfig } from "vitest/config";
import { sharedTestOptions } from "../../vitest.shared.js";

export default defineConfig({
  test: {
    ...sharedTestOptions,
    include: ["test/**/*.test.ts"],
    // The files start processes and measure latency: one at a time, so that they do not slow each other down.
    fileParallelism: false,
  },
});
