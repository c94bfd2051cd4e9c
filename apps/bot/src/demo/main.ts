// pnpm demo: the reference page's five scenarios and the failure cases, against a simulator on loopback.
import { runDemo } from "./run.js";
import { demoScenarios } from "./scenarios.js";

const print = (line: string) => process.stdout.write(`${line}\n`);
const started = performance.now();
print("graph-invite demo: a calling bot inviting people through a local Graph simulator");
const results = await runDemo(demoScenarios, print);
const failed = results.filter((result) => !result.ok);
const seconds = ((performance.now() - started) / 1000).toFixed(1);
print("");
print(
  failed.length === 0
    ? `All ${results.length} scenarios ended as expected, in ${seconds} s.`
    : `${failed.length} of ${results.length} scenarios did not end as expected (${failed.map((r) => r.title).join("; ")}), in ${seconds} s.`,
);
process.exitCode = failed.length === 0 ? 0 : 1;
