// The CLI's process wiring, kept apart from cli.ts so that tests run the CLI in process. graph-invite-sim's bin has
// the same few lines on purpose: sharing them would make the published simulator export a signal handler that has
// nothing to do with Graph, for one private app, and the two CLIs' io differ (this one reads the environment).
import { readFileSync } from "node:fs";
import { run } from "./cli.js";

const result = await run(process.argv.slice(2), {
  env: process.env,
  readFile: (path) => readFileSync(path, "utf8"),
  write: (text) => process.stdout.write(text),
  error: (text) => process.stderr.write(text),
});
if (typeof result === "number") {
  process.exitCode = result;
} else {
  const stop = () =>
    void result.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`graph-invite-bot: could not stop cleanly: ${String(error)}\n`);
        process.exit(1);
      },
    );
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
