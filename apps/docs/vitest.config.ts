import { defineConfig } from "vitest/config";
import { sharedTestOptions } from "../../vitest.shared.js";

export default defineConfig({
  // Timeouts are the workspace's (vitest.shared.ts).
  test: sharedTestOptions,
});
