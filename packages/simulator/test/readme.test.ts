// The README's code is this package's own: the vitest example is test/readme-example.test.ts word for word (so it
// runs with the other tests and is typechecked under the repository's strict settings), and its config file parses.
import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { parseConfig } from "../src/index.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");

function blockUnder(heading: string, language: string): string {
  const section = readme.slice(readme.indexOf(`## ${heading}\n`));
  const block = section.match(new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``))?.[1];
  if (block === undefined) throw new Error(`no ${language} block under "${heading}"`);
  return block;
}

test("the vitest example is the test file that runs", () => {
  const example = readFileSync(new URL("./readme-example.test.ts", import.meta.url), "utf8");
  expect(blockUnder("Testing your bot with vitest", "ts")).toBe(example);
});

test("the config file example is a valid config", () => {
  const config = parseConfig(blockUnder("Command line", "json"));
  expect(config.calls?.[0]).toMatchObject({ kind: "group", callbackUri: "http://127.0.0.1:3978/api/calls" });
  expect(config.scenario?.deviations).toEqual(["status-casing"]);
});
