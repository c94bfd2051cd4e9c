import { strykerOptions } from "../../stryker.shared.mjs";

// src/generated/ is ajv's code, made from the spec by scripts/generate.mjs: mutating it tests ajv, not this package.
export default strykerOptions(["src/**/*.ts", "!src/generated/**", "!src/index.ts"]);
