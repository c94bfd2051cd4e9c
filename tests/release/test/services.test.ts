// The four services of services/src, as a team would write them on the published packages: installed with npm from
// the first release on a registry on loopback (their frameworks from the user's registry, at the versions the
// workspace's catalog pins), typechecked and compiled. The Express 5 and Fastify 5 ones are started against the
// simulator: each refuses an unsigned callback, invites through its own route and reports the outcome, and shuts
// down cleanly on SIGTERM. Each service connects the kit to its framework in at most five lines, marked `// glue`.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Simulator, start } from "@graph-invite/simulator";
import { freePort } from "@graph-invite/test-support/ports";
import { type StartedProcess, startProcess } from "@graph-invite/test-support/processes";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parse } from "yaml";
import { shellEnv as cleanEnv, run } from "../src/exec.js";
import { scopeNpmrc } from "../src/registry.js";
import { repoRoot } from "../src/workspace.js";

const root = mkdtempSync(join(tmpdir(), "graph-invite-services-"));
const app = join(root, "app");
const catalog = (
  parse(readFileSync(join(repoRoot, "pnpm-workspace.yaml"), "utf8")) as { catalog: Record<string, string> }
).catalog;
const frameworks = ["express", "@types/express", "fastify", "hono", "redis", "@types/node"].map(
  (name) => `${name}@${catalog[name]}`,
);
const { registryUrl, versions } = inject("firstRelease");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

beforeAll(async () => {
  cpSync(join(import.meta.dirname, "../services"), app, { recursive: true });
  writeFileSync(join(app, ".npmrc"), scopeNpmrc(registryUrl));
  const kit = ["@graph-invite/bot-kit", "@graph-invite/client"].map((name) => `${name}@${versions[name]}`);
  await run("npm", ["install", "--no-audit", "--no-fund", ...kit, ...frameworks], {
    cwd: app,
    env: cleanEnv,
    timeoutMs: 300_000,
  });
}, 300_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A service's lines, blank ones and comments aside, and how many of them are glue. */
function count(file: string): { lines: number; glue: number } {
  const code = readFileSync(join(app, "src", file), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.trim().startsWith("//"));
  return { lines: code.length, glue: code.filter((line) => line.endsWith("// glue")).length };
}

describe("the four services", () => {
  it("each connect the kit to their framework in at most five lines", () => {
    const counts = Object.fromEntries(readdirSync(join(app, "src")).map((file) => [file, count(file)]));
    expect(Object.keys(counts).sort()).toEqual(["express-redis.ts", "express.ts", "fastify.ts", "hono-worker.ts"]);
    for (const [file, { glue }] of Object.entries(counts)) expect(glue, file).toBeLessThanOrEqual(5);
    process.stdout.write(`service lines (glue): ${JSON.stringify(counts)}\n`);
  });

  it("typecheck and compile against the installed packages", async () => {
    await run(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: app, env: cleanEnv });
  });
});

describe.each([["express.js"], ["fastify.js"]])("the service dist/%s", (file) => {
  let sim: Simulator;
  let service: StartedProcess | undefined;
  beforeAll(async () => {
    sim = await start();
  });
  afterAll(async () => {
    await service?.stop("SIGKILL");
    await sim.close();
  });

  it("refuses an unsigned callback, follows an invite to its end, and exits cleanly on SIGTERM", async () => {
    const port = await freePort();
    const { token } = await sim.credential()();
    service = startProcess(process.execPath, [join(app, "dist", file)], {
      cwd: app,
      env: {
        ...cleanEnv,
        PORT: String(port),
        GRAPH_URL: sim.graphUrl,
        GRAPH_TOKEN: token,
        BOT_APP_ID: sim.app.appId,
        OPENID_URL: sim.openIdConfigurationUrl,
      },
      label: file,
    });
    const exited = service.exited.then(([code]) => code);
    const origin = `http://127.0.0.1:${port}`;
    let unsigned: Response | undefined;
    for (let attempt = 0; attempt < 100 && unsigned === undefined; attempt++) {
      unsigned = await fetch(`${origin}/api/calls`, { method: "POST" }).catch(async () => {
        await new Promise((resolve) => setTimeout(resolve, 100));
        return undefined;
      });
    }
    expect(unsigned?.status).toBe(401);

    const call = sim.createCall({ kind: "group", callbackUri: `${origin}/api/calls` });
    const invited = await fetch(`${origin}/calls/${call.id}/invite/278405a3-f568-4b3e-b684-009193463064`, {
      method: "POST",
    });
    expect(await invited.json()).toEqual({ status: "completed", refused: [] });

    service.child.kill("SIGTERM");
    expect(await exited).toBe(0);
    // The one line on stderr is the unsigned callback's refusal, logged as a warning.
    const logged = service
      .stderr()
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { level: string; reason?: string });
    expect(logged).toEqual([expect.objectContaining({ level: "warn", reason: "missing-token" })]);
  });
});
