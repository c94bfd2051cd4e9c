import { defineConfig } from "vitest/config";
import { packageTestOptions } from "../../vitest.shared.js";

const source = (path: string) => new URL(path, import.meta.url).pathname;

export default defineConfig({
  // The README's examples import the package by name, as a user's service would.
  resolve: {
    alias: [
      { find: /^@graph-invite\/bot-kit\/auth$/, replacement: source("./src/auth/index.ts") },
      { find: /^@graph-invite\/bot-kit\/node$/, replacement: source("./src/node/index.ts") },
      { find: /^@graph-invite\/bot-kit\/redis$/, replacement: source("./src/redis/index.ts") },
      { find: /^@graph-invite\/bot-kit$/, replacement: source("./src/index.ts") },
    ],
  },
  // Timeouts are the workspace's (vitest.shared.ts).
  test: packageTestOptions,
});
