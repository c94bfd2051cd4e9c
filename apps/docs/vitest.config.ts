import { defineConfig } from "vitest/config";
import { sharedTestOptions } from "../../vitest.shared.js";

export default defineConfig({
  test: {
    ...sharedTestOptions,
    // One browser for the whole file; its tests run in order against it.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
