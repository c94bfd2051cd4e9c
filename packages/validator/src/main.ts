// The CLI's process wiring, kept apart from cli.ts so that tests run the CLI in process.
import { readFileSync } from "node:fs";
import { run } from "./cli.js";

const readInput = (file: string) => readFileSync(file === "-" ? 0 : file, "utf8");
process.exitCode = run(process.argv.slice(2), readInput, (text) => process.stdout.write(text));
