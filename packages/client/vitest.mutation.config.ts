// The package's tests as `pnpm test:mutation` runs them under Stryker (see mutationTestOptions).
import { defineConfig } from "vitest/config";
import { mutationTestOptions } from "../../vitest.shared.js";
import base from "./vitest.config.js";

export default defineConfig({ ...base, test: mutationTestOptions(base.test ?? {}) });
