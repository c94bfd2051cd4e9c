import { defineConfig } from "vitest/config";
import { packageTestOptions } from "../../vitest.shared.js";

export default defineConfig({
  // Timeouts are the workspace's (vitest.shared.ts).
  test: packageTestOptions,
});
