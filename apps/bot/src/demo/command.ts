// pnpm demo: the reference page's five scenarios and the failure cases, against a simulator on loopback.
// pnpm demo --console: the same on one simulator, slowly, with its web console open until interrupted.
import { parseArgs } from "node:util";
import { startConsoleDemo } from "./console.js";
import { type DemoResult, runDemo } from "./run.js";
import { demoScenarios } from "./scenarios.js";

const print = (line: string) => process.stdout.write(`${line}\n`);
const usage = "Usage: pnpm demo [--console [--port N]]";

let flags: { console?: boolean | undefined; port?: string | undefined };
try {
  flags = parseArgs({
    args: process.argv.slice(2),
    options: { console: { type: "boolean" }, port: { type: "string" } },
    strict: true,
  }).values;
} catch (error) {
  process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n${usage}\n`);
  process.exit(2);
}
const port = flags.port === undefined ? undefined : Number(flags.port);
if (port !== undefined && (!/^\d{1,5}$/.test(flags.port ?? "") || port > 65535)) {
  process.stderr.write(`demo: --port must be a port number, not ${JSON.stringify(flags.port)}\n${usage}\n`);
  process.exit(2);
}

const summary = (results: readonly DemoResult[], started: number) => {
  const failed = results.filter((result) => !result.ok);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  print("");
  print(
    failed.length === 0
      ? `All ${results.length} scenarios ended as expected, in ${seconds} s.`
      : `${failed.length} of ${results.length} scenarios did not end as expected (${failed.map((r) => r.title).join("; ")}), in ${seconds} s.`,
  );
  return failed.length === 0 ? 0 : 1;
};

const started = performance.now();
print("graph-invite demo: a calling bot inviting people through a local Graph simulator");
if (flags.console === true) {
  const demo = await startConsoleDemo(demoScenarios, print, {
    ...(port !== undefined && { port }),
    onReady: (url) => {
      print("");
      print(`Open the simulator's console to watch: ${url}`);
      print("The scenarios start in a few seconds and run slowly; the console stays up until you press Ctrl+C.");
    },
  });
  // Interrupted while the scenarios still run, the demo stops at once; after them, it exits with their verdict.
  let code = 130;
  const stop = () => {
    void demo.runtime.close().finally(() => process.exit(code));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  code = summary(await demo.results, started);
  print("");
  print(`The console is still up at ${demo.consoleUrl}: steer the simulator from it, or press Ctrl+C to stop.`);
} else {
  process.exitCode = summary(await runDemo(demoScenarios, print), started);
}
