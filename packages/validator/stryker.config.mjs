import { strykerOptions } from "../../stryker.shared.mjs";

// src/generated/ is ajv's code, made from the spec by scripts/generate.mjs: mutating it tests ajv, not this package.
// src/main.ts is the installed command's two lines of process wiring: test/cli.test.ts runs it as a real process from
// the build, where Stryker's switch of the active mutant, set in the test process, cannot reach.
export default strykerOptions(["src/**/*.ts", "!src/generated/**", "!src/index.ts", "!src/main.ts"]);
