import { defineConfig } from "vitest/config";
import { sharedTestOptions } from "../../vitest.shared.js";

export default defineConfig({
  test: {
    ...sharedTestOptions,
    include: ["test/**/*.test.ts"],
    // Each test starts Node processes (the simulator's CLI, the clients): seconds each on a busy machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
