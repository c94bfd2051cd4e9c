// The CLI's process wiring, kept apart from cli.ts so that tests run the CLI in process.
import { readFileSync } from "node:fs";
import { run } from "./cli.js";

// Bytes, not text: the library decides how they decode, as it does for a bot's receiver.
const readInput = (file: string) => readFileSync(file === "-" ? 0 : file);
process.exitCode = run(process.argv.slice(2), readInput, (text) => process.stdout.write(text));
