// The four services of services/src, as a team would write them on the published packages: installed with npm from
// the first release on a registry on loopback (their frameworks from the user's registry, at the versions the
// workspace's catalog pins), typechecked and compiled. The Express 5 and Fastify 5 ones are started against the
// simulator: each refuses an unsigned callback, invites through its own route and reports the outcome, and shuts
// down cleanly on SIGTERM. The Express one on Redis runs as two instances on one redis-server, which proves that the
// store's Lua scripts ship in the tarball. Each service connects the kit to its framework in at most five lines,
// marked `// glue`.
import type { ChildProcess } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Simulator, start } from "@graph-invite/simulator";
import { freePort } from "@graph-invite/test-support/ports";
import { startProcess } from "@graph-invite/test-support/processes";
import { type RedisServer, startRedis } from "@graph-invite/test-support/redis";
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

/** A compiled service started as a user would, its standard error kept; `exited` resolves with its exit code. */
interface RunningService {
  readonly origin: string;
  readonly process: ChildProcess;
  readonly exited: Promise<number | null>;
  readonly stderr: () => string;
}

async function startService(sim: Simulator, file: string, env: NodeJS.ProcessEnv = {}): Promise<RunningService> {
  const port = await freePort();
  const { token } = await sim.credential()();
  const started = startProcess(process.execPath, [join(app, "dist", file)], {
    cwd: app,
    env: {
      ...cleanEnv,
      ...env,
      PORT: String(port),
      GRAPH_URL: sim.graphUrl,
      GRAPH_TOKEN: token,
      BOT_APP_ID: sim.app.appId,
      OPENID_URL: sim.openIdConfigurationUrl,
    },
    label: file,
  });
  return {
    origin: `http://127.0.0.1:${port}`,
    process: started.child,
    exited: started.exited.then(([code]) => code),
    stderr: started.stderr,
  };
}

/** The answer to an unsigned callback, once the service listens (it may take seconds to start on a busy machine). */
async function unsignedCallback(service: RunningService): Promise<Response | undefined> {
  for (let attempt = 0; attempt < 300; attempt++) {
    const answer = await fetch(`${service.origin}/api/calls`, { method: "POST" }).catch(() => undefined);
    if (answer !== undefined) return answer;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return undefined;
}

/** The service's standard error as JSON lines. */
const loggedBy = (service: RunningService) =>
  service
    .stderr()
    .trim()
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as { level: string; reason?: string });

describe.each([["express.js"], ["fastify.js"]])("the service dist/%s", (file) => {
  let sim: Simulator;
  let service: RunningService | undefined;
  beforeAll(async () => {
    sim = await start();
  });
  afterAll(async () => {
    service?.process.kill("SIGKILL");
    await sim.close();
  });

  it("refuses an unsigned callback, follows an invite to its end, and exits cleanly on SIGTERM", async () => {
    service = await startService(sim, file);
    expect((await unsignedCallback(service))?.status).toBe(401);

    const call = sim.createCall({ kind: "group", callbackUri: `${service.origin}/api/calls` });
    const invited = await fetch(`${service.origin}/calls/${call.id}/invite/278405a3-f568-4b3e-b684-009193463064`, {
      method: "POST",
    });
    expect(await invited.json()).toEqual({ status: "completed", refused: [] });

    service.process.kill("SIGTERM");
    expect(await service.exited).toBe(0);
    // The one line on stderr is the unsigned callback's refusal, logged as a warning.
    expect(loggedBy(service)).toEqual([expect.objectContaining({ level: "warn", reason: "missing-token" })]);
  });
});

describe("the service dist/express-redis.js, two instances on one redis-server", () => {
  let sim: Simulator;
  let redis: RedisServer;
  const services: RunningService[] = [];
  beforeAll(async () => {
    [sim, redis] = await Promise.all([start(), startRedis()]);
  });
  afterAll(async () => {
    for (const service of services) service.process.kill("SIGKILL");
    await Promise.all([sim?.close(), redis?.stop()]);
  });

  it("ends an invite made on one instance from the notifications the other received, then both exit on SIGTERM", async () => {
    const [inviting, receiving] = await Promise.all(
      [0, 1].map(() => startService(sim, "express-redis.js", { REDIS_URL: redis.url })),
    );
    if (inviting === undefined || receiving === undefined) throw new Error("two services were started");
    services.push(inviting, receiving);
    for (const service of services) expect((await unsignedCallback(service))?.status).toBe(401);

    // Graph calls back the instance the call names, not the one that invited: only the shared store joins them, and
    // its scripts are the .lua files of the installed tarball.
    const call = sim.createCall({ kind: "group", callbackUri: `${receiving.origin}/api/calls` });
    const invited = await fetch(`${inviting.origin}/calls/${call.id}/invite/278405a3-f568-4b3e-b684-009193463064`, {
      method: "POST",
    });
    expect(await invited.json()).toEqual({ status: "completed" });
    expect(sim.deliveries().filter((delivery) => delivery.callId === call.id).length).toBeGreaterThan(0);

    for (const service of services) service.process.kill("SIGTERM");
    expect(await Promise.all(services.map((service) => service.exited))).toEqual([0, 0]);
    for (const service of services) {
      expect(loggedBy(service)).toEqual([expect.objectContaining({ level: "warn", reason: "missing-token" })]);
    }
  });
});
