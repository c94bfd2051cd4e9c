import { defineConfig } from "vitest/config";
import { packageTestOptions } from "../../vitest.shared.js";

export default defineConfig({
  // The README's example imports the package by name, as a user's test would.
  resolve: { alias: { "@graph-invite/simulator": new URL("./src/index.ts", import.meta.url).pathname } },
  // Timeouts are the workspace's (vitest.shared.ts).
  test: packageTestOptions,
});
