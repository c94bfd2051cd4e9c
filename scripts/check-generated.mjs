// Fails when generated files differ from what the spec generates: run the generators, then ask git whether any
// file that .gitattributes marks `linguist-generated` changed or appeared.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

const generated = readFileSync(new URL("../.gitattributes", import.meta.url), "utf8")
  .split("\n")
  .filter((line) => /\slinguist-generated=true\b/.test(line))
  .map((line) => line.split(/\s+/)[0]);

execFileSync("pnpm", ["turbo", "run", "generate", "--force", "--output-logs=errors-only"], { stdio: "inherit" });
const pathspecs = generated.map((pattern) => `:(glob)${pattern}`);
// Compared with the index, so that regenerated files a contributor has staged count as fresh.
const changed =
  execFileSync("git", ["diff", "--name-status", "--", ...pathspecs], { encoding: "utf8" }) +
  execFileSync("git", ["ls-files", "--others", "--exclude-standard", "--", ...pathspecs], { encoding: "utf8" });
if (changed.trim()) {
  process.stderr.write(
    `Generated files are stale. Run \`pnpm generate\` and commit the result:\n${changed}` +
      `${execFileSync("git", ["diff", "--stat", "--", ...pathspecs], { encoding: "utf8" })}`,
  );
  process.exit(1);
}
process.stdout.write(`Generated files are up to date (${generated.join(", ")}).\n`);
