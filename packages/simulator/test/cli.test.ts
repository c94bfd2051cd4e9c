// graph-invite-sim, run in process for its outcomes and once as a real process for its banner, its control API and
// a clean exit on SIGTERM. The real process runs dist/: `pnpm test` builds it first (turbo's test task depends on
// build); run `pnpm build` before running vitest here directly.
import { type ChildProcessByStdio, execFile, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Readable } from "node:stream";
import { promisify } from "node:util";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { run, usage } from "../src/cli.js";
import type { Simulator } from "../src/index.js";

const configDir = mkdtempSync(join(tmpdir(), "graph-invite-sim-"));
afterAll(() => rmSync(configDir, { recursive: true, force: true }));

/** Writes a config file and returns its path. */
function configFile(content: unknown): string {
  const path = join(configDir, `${randomUUID()}.json`);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content, null, 2));
  return path;
}

const started: Simulator[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((sim) => sim.close()));
});

/** Runs the CLI in process; `output` is everything it printed, `errors` what went to standard error. */
async function cli(...argv: string[]): Promise<{ result: Simulator | number; output: string; errors: string }> {
  let output = "";
  let errors = "";
  const result = await run(argv, {
    readFile: (path) => readFileSync(path, "utf8"),
    write: (text) => {
      output += text;
    },
    error: (text) => {
      output += text;
      errors += text;
    },
  });
  if (typeof result !== "number") started.push(result);
  return { result, output, errors };
}

async function cliFails(...argv: string[]): Promise<{ code: number; output: string }> {
  const { result, output, errors } = await cli(...argv);
  if (typeof result !== "number") throw new Error(`the CLI started a simulator for ${argv.join(" ")}`);
  expect(output).not.toMatch(/\n\s+at /);
  // A failure is told on standard error only; standard output stays for what scripts read.
  if (result !== 0) expect(errors).toBe(output);
  return { code: result, output };
}

const app = { appId: randomUUID(), secret: "configured-secret", tenantId: randomUUID() };
const goodConfig = {
  $schema: "https://example.invalid/graph-invite-sim.schema.json",
  apps: [app],
  directory: [{ id: "user-1", displayName: "Ada" }],
  calls: [
    { id: "group-call", kind: "group", callbackUri: "http://127.0.0.1:9/api/calls" },
    { id: "p2p-call", kind: "p2p", callbackUri: "https://bot.example/api/calls", appId: app.appId },
  ],
  scenario: { answers: { "user-1": { kind: "decline", code: 486 } } },
};

describe("in process", () => {
  it("--help prints the usage and exits 0", async () => {
    expect(await cliFails("--help")).toEqual({ code: 0, output: usage });
    expect(usage).toMatch(/^Usage: graph-invite-sim /);
  });

  it.each([
    [["--bogus"], /Unknown option '--bogus'/],
    [["config.json"], /positional argument/],
    [["--config"], /argument missing/],
    [["--help=yes"], /does not take an argument/],
  ])("usage error %j exits 2 and prints the usage", async (argv, reason) => {
    const { code, output } = await cliFails(...argv);
    expect(code).toBe(2);
    expect(output).toMatch(/^graph-invite-sim: /);
    expect(output).toMatch(reason);
    expect(output).toContain(usage);
  });

  it.each(["abc", "-1", "65536", "", " 80", "0x50", "1e3", "80.5"])("--port=%j exits 2", async (port) => {
    const { code, output } = await cliFails(`--port=${port}`);
    expect(code).toBe(2);
    expect(output).toBe(`graph-invite-sim: --port must be a port number, not ${JSON.stringify(port)}\n`);
  });

  it("a config file that cannot be read exits 2, naming the file and the cause", async () => {
    const missing = join(configDir, "missing.json");
    const { code, output } = await cliFails("--config", missing);
    expect(code).toBe(2);
    expect(output).toMatch(new RegExp(`^graph-invite-sim: ${missing.replaceAll("\\", "\\\\")}: ENOENT`));
  });

  it.each([
    ["not JSON", "{ apps: [] }", "the document: is not JSON"],
    ["not an object", [], "the document: must be an object"],
    ["an unknown property", { ...goodConfig, verbose: true }, "/verbose: is not a known property"],
    ["a port out of range", { port: 70000 }, "/port: must be a number from 0 to 65535"],
    [
      "an app without a secret",
      { apps: [{ appId: "a", tenantId: "t" }] },
      "/apps/0/secret: must be a non-empty string",
    ],
    [
      "a call with a bad callbackUri",
      { calls: [{ kind: "group", callbackUri: "not a url" }] },
      "/calls/0/callbackUri: must be an http or https URL",
    ],
    [
      "a call of an app that is not configured",
      { ...goodConfig, calls: [{ kind: "group", callbackUri: "http://127.0.0.1:9/", appId: "someone-else" }] },
      "/calls/0/appId: must be the appId of one of /apps",
    ],
    [
      "two calls with one id",
      {
        ...goodConfig,
        calls: [...goodConfig.calls, { id: "group-call", kind: "meeting", callbackUri: "http://127.0.0.1:9/" }],
      },
      "/calls/2/id: is the id of an earlier call",
    ],
    [
      "a scenario with an unknown answer",
      { scenario: { answers: { "user-1": { kind: "ignore" } } } },
      "/scenario/answers/user-1/kind: must be one of",
    ],
    [
      "an unknown notification issuer",
      { notificationIssuer: "https://login.microsoftonline.com" },
      "/notificationIssuer: must be one of",
    ],
  ])("a config file with %s exits 2 and names the pointer", async (_, content, message) => {
    const path = configFile(content);
    const { code, output } = await cliFails("--config", path);
    expect(code).toBe(2);
    expect(output).toMatch(/^graph-invite-sim: /);
    expect(output).toContain(`${path}: ${message}`);
    expect(output.trimEnd().split("\n")).toHaveLength(1);
  });

  it("starts a simulator from a good config file and prints its banner", async () => {
    const { result, output } = await cli("--config", configFile(goodConfig));
    if (typeof result === "number") throw new Error(`exited ${result}: ${output}`);
    expect(result.app).toEqual(app);
    expect(result.calls().map((call) => call.id)).toEqual(["group-call", "p2p-call"]);
    expect(result.scenario).toEqual(goodConfig.scenario);
    const lines = output.split("\n");
    expect(lines[0]).toBe(`Graph simulator listening on ${result.url}`);
    for (const expected of [
      `console             ${result.url}/console`,
      `Graph base URL      ${result.url}/v1.0`,
      `token endpoint      ${result.url}/${app.tenantId}/oauth2/v2.0/token`,
      `OpenID metadata     ${result.url}/v1/.well-known/OpenIdConfiguration`,
      `app id              ${app.appId}`,
      `app secret          ${app.secret}`,
      `tenant id           ${app.tenantId}`,
      "call group-call  group, notifications to http://127.0.0.1:9/api/calls",
      "call p2p-call  p2p, notifications to https://bot.example/api/calls",
      `state               ${result.url}/simulator/state`,
    ]) {
      expect(lines).toContain(`  ${expected}`);
    }
    expect((await fetch(`${result.url}/simulator/state`)).status).toBe(200);
    expect((await fetch(`${result.url}/console`)).headers.get("content-type")).toBe("text/html; charset=utf-8");
  });

  it("reads a config file saved with a byte order mark", async () => {
    const { result } = await cli("--config", configFile(`\uFEFF${JSON.stringify({ apps: [app] })}`));
    expect(typeof result === "number" ? result : result.app).toEqual(app);
  });

  describe("with a port taken", () => {
    let taken: Server | undefined;
    afterEach(async () => {
      const server = taken;
      taken = undefined;
      if (server !== undefined) await new Promise((closed) => server.close(closed));
    });

    async function takePort(): Promise<number> {
      const server = createServer();
      taken = server;
      await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
      const address = server.address();
      if (address === null || typeof address === "string") throw new Error("no port");
      return address.port;
    }

    it("--port overrides the config file's, and a taken port exits 1", async () => {
      const port = await takePort();
      const { code, output } = await cliFails("--config", configFile({ port: 0 }), "--port", String(port));
      expect(code).toBe(1);
      expect(output).toMatch(/^graph-invite-sim: could not start: .*EADDRINUSE/);
    });
  });
});

it("--tls serves HTTPS and prints the CA file for NODE_EXTRA_CA_CERTS", async () => {
  const { result, output } = await cli("--tls");
  if (typeof result === "number") throw new Error(output);
  expect(result.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  const path = result.caCertificatePath ?? "";
  expect(output).toContain(`\n  CA certificate      ${path}  (NODE_EXTRA_CA_CERTS=${path})\n`);
  expect(readFileSync(path, "utf8")).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
});

it("--public-url names the origin in the banner, and a URL with a path exits 2 naming the rule", async () => {
  const { result, output } = await cli("--public-url", "https://graph.simulator.test:8443/");
  if (typeof result === "number") throw new Error(output);
  expect(output).toMatch(
    /^Graph simulator listening on http:\/\/127\.0\.0\.1:\d+\n {2}public URL {10}https:\/\/graph\.simulator\.test:8443\n/,
  );
  expect(output).toContain("  Graph base URL      https://graph.simulator.test:8443/v1.0\n");
  expect(output).not.toContain("CA certificate");
  const { code, output: refused } = await cliFails("--public-url", "https://graph.simulator.test/v1.0");
  expect(code).toBe(2);
  expect(refused).toBe(
    "graph-invite-sim: --public-url must be an origin (scheme, host and port), with no path, query, fragment or credentials\n",
  );
});

it("warns on standard error when it listens beyond loopback, and runs all the same", async () => {
  const { result, errors } = await cli("--host", "0.0.0.0");
  expect(typeof result).not.toBe("number");
  expect(errors).toMatch(/^graph-invite-sim: warning: listening on 0\.0\.0\.0, beyond this machine/);
});

describe("as a process", () => {
  const bin = resolve(import.meta.dirname, "../bin/graph-invite-sim.js");
  const exec = promisify(execFile);

  type Child = ChildProcessByStdio<null, Readable, Readable>;
  const children: Child[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  });

  /** Resolves with what stdout said once a line matches, or rejects when the process exits first. */
  function waitForLine(child: Child, pattern: RegExp): Promise<string> {
    return new Promise((found, failed) => {
      let stdout = "";
      child.stdout.setEncoding("utf8");
      child.stdout.on("data", (chunk: string) => {
        stdout += chunk;
        if (stdout.split("\n").some((line) => pattern.test(line))) found(stdout);
      });
      child.once("exit", (code) => failed(new Error(`exited with ${code} before printing ${pattern}: ${stdout}`)));
    });
  }

  it("serves the configured calls until SIGTERM, then exits 0", async () => {
    const child = spawn(process.execPath, [bin, "--config", configFile(goodConfig)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    const banner = await waitForLine(child, /^ {2}state /);
    const url = /^Graph simulator listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(banner)?.[1];
    expect(url).toBeDefined();
    expect(banner).toContain(`  app id              ${app.appId}`);

    const state = (await (await fetch(`${url}/simulator/state`)).json()) as { calls: Array<{ id: string }> };
    expect(state.calls.map((call) => call.id)).toEqual(["group-call", "p2p-call"]);

    const exited = new Promise<[number | null, NodeJS.Signals | null]>((done) =>
      child.once("exit", (code, signal) => done([code, signal])),
    );
    child.kill("SIGTERM");
    expect(await exited).toEqual([0, null]);
    expect(stderr).toBe("");
    await expect(fetch(`${url}/simulator/state`)).rejects.toThrow();
  });

  it("exits 2 for a bad config file, naming the pointer, with no stack trace", async () => {
    const failure = await exec(process.execPath, [
      bin,
      "--config",
      configFile({ calls: [{ kind: "conference" }] }),
    ]).then(
      () => undefined,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stdout).toBe("");
    expect(failure?.stderr).toContain(": /calls/0/kind: must be one of");
    expect(`${failure?.stdout}${failure?.stderr}`).not.toMatch(/\n\s+at /);
  });

  it("--help exits 0", async () => {
    const { stdout, stderr } = await exec(process.execPath, [bin, "--help"]);
    expect(stdout).toBe(usage);
    expect(stderr).toBe("");
  });
});
