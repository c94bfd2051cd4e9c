import { defineConfig } from "vitest/config";
import { sharedTestOptions } from "../../vitest.shared.js";

export default defineConfig({
  test: {
    ...sharedTestOptions,
    include: ["test/**/*.test.ts"],
    // These tests pack, install from the registry, compile and start processes: seconds to a minute each.
    testTimeout: 180_000,
    hookTimeout: 300_000,
  },
});
