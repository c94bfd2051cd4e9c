import { strykerOptions } from "../../stryker.shared.mjs";

export default strykerOptions(["src/**/*.ts", "!src/index.ts"]);
