import { defineConfig } from "vitest/config";
import { packageTestOptions } from "../../vitest.shared.js";

export default defineConfig({ test: packageTestOptions });
