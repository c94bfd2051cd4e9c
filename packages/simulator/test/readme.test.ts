// The README's code is this package's own: the vitest example is test/readme-example.test.ts word for word (so it
// runs with the other tests and is typechecked under the repository's strict settings), the options example starts
// the simulator it describes, and the config file example parses.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { codeBlockAfter } from "@graph-invite/test-support/readme";
import { expect, test } from "vitest";
import { parseConfig, type Simulator } from "../src/index.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const scratch = new URL("./.readme/", import.meta.url);

test("the vitest example is the test file that runs", () => {
  const example = readFileSync(new URL("./readme-example.test.ts", import.meta.url), "utf8");
  expect(codeBlockAfter(readme, "## Testing your bot with vitest", "ts")).toBe(example);
});

test("the config file example is a valid config", () => {
  const config = parseConfig(codeBlockAfter(readme, "## Command line", "json"));
  expect(config.calls?.[0]).toMatchObject({ kind: "group", callbackUri: "http://127.0.0.1:3978/api/calls" });
  expect(config.scenario?.deviations).toEqual(["status-casing"]);
});

test("the options example starts the simulator it describes", async () => {
  const code = codeBlockAfter(readme, "## Options", "ts");
  expect(code).toContain('from "@graph-invite/simulator"');
  mkdirSync(scratch, { recursive: true });
  const file = new URL("options.ts", scratch);
  writeFileSync(file, `${code.replace('"@graph-invite/simulator"', '"../../src/index.js"')}\nexport { sim };\n`);
  try {
    const { sim } = (await import(/* @vite-ignore */ file.href)) as { sim: Simulator };
    try {
      expect(sim.app.appId).toBe("11111111-1111-1111-1111-111111111111");
      expect(sim.call("ab6233a5-20b7-4c5e-bea2-ce56c9776429")).toMatchObject({
        kind: "meeting",
        participants: [{ id: "7d501bf1-5ee4-4605-ba92-0ae4513c611c" }],
      });
    } finally {
      await sim.close();
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});
