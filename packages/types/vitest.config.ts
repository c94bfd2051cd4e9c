import { defineConfig } from "vitest/config";
import { sharedTestOptions } from "../../vitest.shared.js";

export default defineConfig({
  test: {
    ...sharedTestOptions,
    typecheck: {
      enabled: true,
      only: true,
      include: ["test/**/*.test-d.ts"],
      tsconfig: "./tsconfig.json",
    },
  },
});
