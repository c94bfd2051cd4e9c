import { defineConfig } from "vitest/config";
import { packageTestOptions } from "../../vitest.shared.js";

export default defineConfig({
  test: {
    ...packageTestOptions,
    // Each simulator generates two RSA keys, about 0.3 s each on an idle core and several times that on a busy
    // machine; vitest's 5 s default is too tight for a test that starts a few of them.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
