// An application outside the workspace, as a stranger would build it: the five packages as the first release
// published them to a registry on loopback (src/first-release.ts), installed with npm by name and version from that
// registry (their other dependencies from the user's registry) beside Hono, typechecked under
// moduleResolution node16 and bundler (and as CommonJS under module node20), run under Node as ESM and through
// require(esm), on this Node and on the current LTS, and bundled for the browser with esbuild and run in Chromium.
// Each run invites a participant against the simulator and validates the notification that ends the invite
// (consumer/src/flow.ts), and a calling-bot service on the kit and Hono follows an invite to its end
// (consumer/src/bot-service.ts). The kit's Web handler is bundled for a worker runtime, and the bundle answers the
// simulator's signed notifications (consumer/src/worker.ts).
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { builtinModules } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { createInviteClient, inviteBody, userParticipant } from "@graph-invite/client";
import { start } from "@graph-invite/simulator";
import { launchChromium } from "@graph-invite/test-support/browser";
import { codeBlockAfter } from "@graph-invite/test-support/readme";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parse } from "yaml";
import { shellEnv as cleanEnv, run } from "../src/exec.js";
import { installNodeLts, nodeLtsInstallBudgetMs, nodeLtsVersion } from "../src/node-lts.js";
import { publishedSpecifiers } from "../src/published.js";
import { scopeNpmrc } from "../src/registry.js";
import { readManifest, repoRoot } from "../src/workspace.js";

// The application, and beside it (not inside it) the tools that build it: a package that imported TypeScript or
// esbuild without depending on it would fail here, as it would for a user who does not happen to have them.
const root = mkdtempSync(join(tmpdir(), "graph-invite-consumer-"));
const app = join(root, "app");
const tools = join(root, "tools");
const adele = "278405a3-f568-4b3e-b684-009193463064";
const toolVersion = (name: string) => readManifest(join(import.meta.dirname, "../node_modules", name)).version;
const readmeOf = (pkg: string) => readFileSync(join(repoRoot, "packages", pkg, "README.md"), "utf8");
/** The bot service's web framework, at the versions the workspace's catalog pins for the kit's own tests. */
const catalog = (
  parse(readFileSync(join(repoRoot, "pnpm-workspace.yaml"), "utf8")) as { catalog: Record<string, string> }
).catalog;
const framework = ["hono", "@hono/node-server"].map((name) => `${name}@${catalog[name]}`);

const { registryUrl, versions } = inject("firstRelease");
const installed = Object.entries(versions).map(([name, version]) => ({ name, version }));
let nodeLts = "";

/**
 * Node and esbuild look for packages in every ancestor's node_modules: the application is a stranger's only if none
 * of its ancestors is the workspace or holds a node_modules.
 */
function assertIsolated(folder: string) {
  if (!relative(realpathSync(repoRoot), folder).startsWith("..")) {
    throw new Error(`${folder} is inside the workspace: set TMPDIR to a folder outside it`);
  }
  for (let ancestor = dirname(folder); ancestor !== dirname(ancestor); ancestor = dirname(ancestor)) {
    if (existsSync(join(ancestor, "node_modules"))) {
      throw new Error(`${join(ancestor, "node_modules")} would be visible to the application in ${folder}`);
    }
  }
}

// Each tool run has its own time limit; a hook that awaits several needs their sum: two installs.
const installTimeoutMs = 300_000;
const projectBudgetMs = 2 * installTimeoutMs;

beforeAll(async () => {
  cpSync(join(import.meta.dirname, "../consumer"), app, { recursive: true });
  assertIsolated(realpathSync(app));
  // The READMEs' examples, as a user would paste them into their project.
  writeFileSync(join(app, "src/types-example.ts"), codeBlockAfter(readmeOf("types"), "## Example", "ts"));
  writeFileSync(
    join(app, "src/validator-quick-start.ts"),
    codeBlockAfter(readmeOf("validator"), "## Quick start", "ts"),
  );
  const clientQuickStart = codeBlockAfter(readmeOf("client"), "## Quick start", "ts");
  if (!clientQuickStart.includes('cloud: "global",'))
    throw new Error("the client's quick start no longer names its cloud");
  // The one change: Graph is the simulator, not the global cloud.
  writeFileSync(
    join(app, "src/client-quick-start.ts"),
    clientQuickStart.replace('cloud: "global",', 'baseUrl: process.env["GRAPH_URL"] ?? "",'),
  );
  // The bot service, unchanged, as a CommonJS module too: its imports compile to require() of the ESM packages.
  cpSync(join(app, "src/bot-service.ts"), join(app, "cjs/bot-service.cts"));

  // The application's own .npmrc, as a team with a private registry writes it: the scope from that registry.
  writeFileSync(join(app, ".npmrc"), scopeNpmrc(registryUrl));
  await run(
    "npm",
    [
      "install",
      "--no-audit",
      "--no-fund",
      // Where each package came from goes into package-lock.json, even for a user whose ~/.npmrc leaves it out.
      "--omit-lockfile-registry-resolved=false",
      ...installed.map(({ name, version }) => `${name}@${version}`),
      ...framework,
      `@types/node@${toolVersion("@types/node")}`,
    ],
    {
      cwd: app,
      env: cleanEnv,
      timeoutMs: installTimeoutMs,
    },
  );

  mkdirSync(tools);
  writeFileSync(join(tools, "package.json"), JSON.stringify({ private: true, allowScripts: { esbuild: true } }));
  await run(
    "npm",
    [
      "install",
      "--no-audit",
      "--no-fund",
      `typescript@${toolVersion("typescript")}`,
      `esbuild@${toolVersion("esbuild")}`,
    ],
    {
      cwd: tools,
      env: cleanEnv,
      timeoutMs: installTimeoutMs,
    },
  );
}, projectBudgetMs);

beforeAll(async () => {
  nodeLts = await installNodeLts(cleanEnv);
}, nodeLtsInstallBudgetMs);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("installed with npm from the registry", () => {
  it("resolves every package from the application's node_modules, at the released version, with a consistent tree", async () => {
    expect(installed).toHaveLength(5);
    for (const { name, version } of installed) {
      const folder = join(app, "node_modules", name);
      expect(realpathSync(folder).startsWith(realpathSync(app)), name).toBe(true);
      expect(readManifest(folder)).toMatchObject({ name, version });
    }
    // What npm recorded is where it fetched each package from: the registry, not a file.
    const lock = JSON.parse(readFileSync(join(app, "package-lock.json"), "utf8")) as {
      packages: Record<string, { version?: string; resolved?: string }>;
    };
    for (const { name, version } of installed) {
      expect(lock.packages[`node_modules/${name}`], name).toMatchObject({
        version,
        resolved: `${registryUrl}${name}/-/${name.split("/")[1]}-${version}.tgz`,
      });
    }
    // npm ls exits non-zero on a missing, invalid or extraneous dependency.
    const { stdout } = await run("npm", ["ls", "--all", "--json"], { cwd: app, env: cleanEnv });
    const tree = JSON.parse(stdout) as { dependencies: Record<string, { dependencies?: Record<string, unknown> }> };
    expect(Object.keys(tree.dependencies["@graph-invite/client"]?.dependencies ?? {})).toEqual(
      expect.arrayContaining(["openapi-fetch", "@graph-invite/types"]),
    );
  });
});

describe("the calling-bot service (src/bot-service.ts)", () => {
  // Compiled once, by this Node: Hono's declarations make it the slowest project here, and its typecheck is the same
  // on every runtime. The runtimes below run what it emits.
  it("typechecks and compiles as ESM and, copied to a .cts file, as CommonJS whose imports become require()", async () => {
    await run(process.execPath, [join(tools, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.service.json"], {
      cwd: app,
      env: cleanEnv,
    });
    const esm = readFileSync(join(app, "dist-service/src/bot-service.js"), "utf8");
    const cjs = readFileSync(join(app, "dist-service/cjs/bot-service.cjs"), "utf8");
    for (const specifier of ["@graph-invite/bot-kit", "@graph-invite/client", "@graph-invite/simulator", "hono"]) {
      expect(esm).toContain(`from "${specifier}"`);
      expect(cjs).toContain(`require("${specifier}")`);
    }
    expect(cjs).not.toMatch(/\bimport\(/);
  });
});

const runtimes = [
  { label: `Node ${process.versions.node} (this one)`, binary: () => process.execPath, version: process.version },
  { label: `Node ${nodeLtsVersion} (the LTS, from npm)`, binary: () => nodeLts, version: `v${nodeLtsVersion}` },
];

describe.each(runtimes)("$label", ({ binary, version }) => {
  const tsc = (config: string) =>
    run(binary(), [join(tools, "node_modules/typescript/bin/tsc"), "-p", config], { cwd: app, env: cleanEnv });
  const node = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    run(binary(), args, { cwd: app, env: { ...cleanEnv, ...env } });
  // The ESM program's report: the ESM test checks it, and the bins test validates its notification. One run serves
  // both, whichever asks first.
  let esmRun: Promise<{ stdout: string }> | undefined;
  const esmReport = async () => {
    esmRun ??= node(["dist/main.js"]);
    return JSON.parse((await esmRun).stdout);
  };

  it("typechecks the program and the packages' declarations under moduleResolution node16, and compiles it", async () => {
    rmSync(join(app, "dist"), { recursive: true, force: true });
    await tsc("tsconfig.node16.json");
    expect(readFileSync(join(app, "dist/flow.js"), "utf8")).toContain('from "@graph-invite/client"');
  });

  it("typechecks and compiles the CommonJS entry, whose imports of the ESM-only packages become require()", async () => {
    rmSync(join(app, "dist-cjs"), { recursive: true, force: true });
    await tsc("tsconfig.cjs.json");
    const compiled = readFileSync(join(app, "dist-cjs/cjs/main.cjs"), "utf8");
    for (const specifier of publishedSpecifiers) {
      expect(compiled).toContain(`require("${specifier}")`);
    }
  });

  it("typechecks the program, its browser entry included, under moduleResolution bundler", async () => {
    await tsc("tsconfig.bundler.json");
  });

  it("runs as ESM: invites against the simulator and validates the notification that ends the invite", async () => {
    const report = await esmReport();
    expect(report).toMatchObject({ node: version, loadedBy: "import", answered: "Running", ended: "completed" });
    expect(report.roster).toEqual([adele]);
    expect(report.terminalBody.value[0]).toMatchObject({
      changeType: "deleted",
      resourceData: { status: "completed", clientContext: report.clientContext, id: report.operationId },
    });
  });

  it("runs through require(esm) from CommonJS, every package loaded by require()", async () => {
    const report = JSON.parse((await node(["dist-cjs/cjs/main.cjs"])).stdout);
    expect(report).toMatchObject({ node: version, loadedBy: "require", ended: "completed", roster: [adele] });
    expect(report.required).toEqual({
      "@graph-invite/bot-kit": "function",
      "@graph-invite/bot-kit/auth": "function",
      "@graph-invite/bot-kit/node": "function",
      "@graph-invite/bot-kit/redis": "function",
      "@graph-invite/bot-kit/testing": "function",
      "@graph-invite/client": "function",
      "@graph-invite/client/abort": "function",
      "@graph-invite/client/backoff": "function",
      "@graph-invite/client/body": "function",
      "@graph-invite/validator": "function",
      "@graph-invite/simulator": "function",
      "@graph-invite/types": "object",
    });
  });

  // The service authenticates each notification against the simulator's keys: an unsigned POST is refused, and every
  // delivery it accepted carried the simulator's tenant.
  const serviceReport = {
    status: "completed",
    roster: [adele],
    tenants: [expect.any(String)],
    unsigned: 401,
    node: version,
  };

  it("runs the calling-bot service on Hono as ESM: the invite completes and the roster holds the invitee", async () => {
    expect(JSON.parse((await node(["dist-service/src/bot-service.js"])).stdout)).toEqual(serviceReport);
  });

  it("runs the same service as CommonJS, the packages and Hono loaded by require()", async () => {
    expect(JSON.parse((await node(["dist-service/cjs/bot-service.cjs"])).stdout)).toEqual(serviceReport);
  });

  it("runs the types' and the validator's README examples, which print what their READMEs say", async () => {
    expect((await node(["dist/types-example.js"])).stdout).toBe(
      codeBlockAfter(readmeOf("types"), "It prints:", "text"),
    );
    expect((await node(["dist/validator-quick-start.js"])).stdout).toBe(
      codeBlockAfter(readmeOf("validator"), "It prints:", "text"),
    );
  });

  it("runs the client's README quick start against the simulator", async () => {
    const sim = await start();
    try {
      const call = sim.createCall({ kind: "group", callbackUri: "http://127.0.0.1:9/api/calls" });
      sim.setScenario({ delivery: { drop: ["operation", "roster"] } });
      const { token } = await sim.credential()();
      const { stdout } = await node(["dist/client-quick-start.js"], {
        GRAPH_URL: sim.graphUrl,
        GRAPH_TOKEN: token,
        CALL_ID: call.id,
      });
      const [operation] = sim.operations();
      expect(stdout).toBe(`operation ${operation?.id} is Running; context ${operation?.clientContext}\n`);
    } finally {
      await sim.close();
    }
  });

  it("runs the installed bins: graph-invite-validate checks a notification, graph-invite-sim prints its usage", async () => {
    const report = await esmReport();
    writeFileSync(join(app, "notification.json"), JSON.stringify(report.terminalBody));
    const bins = join(app, "node_modules/.bin");
    const validate = await node([
      join(bins, "graph-invite-validate"),
      "--kind",
      "notifications",
      "--mode",
      "strict",
      "notification.json",
    ]);
    expect(validate.stdout).toMatch(/^notification\.json: valid notifications/);
    const sim = await node([join(bins, "graph-invite-sim"), "--help"]);
    expect(sim.stdout).toMatch(/^Usage: graph-invite-sim/);
  });
});

describe("bundled for the browser with esbuild", () => {
  let browser: Browser | undefined;
  afterAll(() => browser?.close());

  it("bundles the browser entry, and the bundle invites and validates in Chromium", async () => {
    // esbuild's installed bin is its native binary.
    await run(
      join(tools, "node_modules/.bin/esbuild"),
      ["src/browser.ts", "--bundle", "--platform=browser", "--format=esm", "--minify", "--outfile=dist/browser.js"],
      // cleanEnv has no NODE_PATH, which esbuild would search too.
      { cwd: app, env: cleanEnv },
    );
    const bundle = readFileSync(join(app, "dist/browser.js"), "utf8");
    expect(bundle).not.toMatch(/\bfrom\s*"node:|require\("node:/);

    browser = await launchChromium();
    const page = await servePage(bundle);
    try {
      const tab = await browser.newPage();
      const problems: string[] = [];
      tab.on("pageerror", (error) => problems.push(error.message));
      await tab.exposeFunction("nextNotification", page.nextNotification);
      await tab.addInitScript((settings) => Object.assign(window, { inviteSettings: settings }), page.settings);
      await tab.goto(page.url);
      const result = (await tab
        .waitForFunction(() => (window as { inviteFlow?: unknown }).inviteFlow, undefined, { timeout: 60_000 })
        .then((handle) => handle.jsonValue())) as { report?: Record<string, unknown>; failure?: string };

      expect(problems).toEqual([]);
      expect(result.failure).toBeUndefined();
      expect(result.report).toMatchObject({ answered: "Running", ended: "completed" });
      expect(String(result.report?.["userAgent"])).toMatch(/Chrome\//);
      expect(page.inviteRequests()).toBe(1);
    } finally {
      await page.close();
    }
  });
});

describe("bundled for a worker runtime with esbuild", () => {
  it("bundles the kit's Web handler with nothing of Node's, and the bundle answers signed notifications with 202", async () => {
    // As a worker's bundler builds it: no Node built-in is available, so none may be imported, even where unused.
    await run(
      join(tools, "node_modules/.bin/esbuild"),
      [
        "src/worker.ts",
        "--bundle",
        "--platform=neutral",
        "--format=esm",
        "--conditions=worker,browser",
        "--outfile=dist/worker.bundle.js",
        "--metafile=dist/worker.meta.json",
      ],
      { cwd: app, env: cleanEnv },
    );
    const meta = JSON.parse(readFileSync(join(app, "dist/worker.meta.json"), "utf8")) as {
      outputs: Record<string, { imports: { path: string }[] }>;
      inputs: Record<string, unknown>;
    };
    expect(Object.values(meta.outputs).flatMap((output) => output.imports)).toEqual([]);
    expect(Object.keys(meta.inputs)).toEqual(
      expect.arrayContaining([expect.stringMatching(/@graph-invite\/bot-kit\//)]),
    );
    const bundle = readFileSync(join(app, "dist/worker.bundle.js"), "utf8");
    const builtins = builtinModules.filter((name) => !name.startsWith("_")).join("|");
    const imports = new RegExp(
      `(\\bfrom\\s*|\\bimport\\s*\\(?\\s*|\\brequire\\s*\\(\\s*)["'](node:[^"']+|(${builtins})(/[^"']*)?)["']`,
      "g",
    );
    expect(bundle.match(imports) ?? []).toEqual([]);

    const worker = (await import(pathToFileURL(join(app, "dist/worker.bundle.js")).href)) as {
      default: { fetch(request: Request, env: unknown, context: unknown): Promise<Response> };
    };
    const sim = await start();
    const pending: Promise<unknown>[] = [];
    const context = { waitUntil: (promise: Promise<unknown>) => void pending.push(promise) };
    const answered: number[] = [];
    // The worker's runtime, reduced to what the test needs: each request node:http receives becomes a Web Request.
    const host = createServer(async (request, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const headers = Object.entries(request.headers).flatMap(([name, value]) =>
        typeof value === "string" ? [[name, value] as [string, string]] : [],
      );
      const body = Buffer.concat(chunks);
      const method = request.method ?? "GET";
      const status = await worker.default
        .fetch(new Request(`http://127.0.0.1${request.url}`, { method, headers, body }), env, context)
        .then((answer) => answer.status)
        .catch(() => 500);
      answered.push(status);
      response.writeHead(status).end();
    });
    await new Promise<void>((listening) => host.listen(0, "127.0.0.1", listening));
    const callbackUri = `http://127.0.0.1:${(host.address() as AddressInfo).port}/api/calls`;
    const env = {
      APP_ID: sim.app.appId,
      GRAPH_URL: sim.graphUrl,
      GRAPH_TOKEN: (await sim.credential()()).token,
      OPENID_CONFIGURATION_URL: sim.openIdConfigurationUrl,
    };
    try {
      const unsigned = await worker.default.fetch(
        new Request(callbackUri, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" }),
        env,
        context,
      );
      expect(unsigned.status).toBe(401);

      const call = sim.createCall({ kind: "group", callbackUri });
      const client = createInviteClient({ baseUrl: sim.graphUrl, credential: sim.credential() });
      const invited = await client.invite(call.id, inviteBody(userParticipant(adele)));
      expect(invited.ok).toBe(true);
      await sim.settled();
      await Promise.all(pending);

      const deliveries = sim.deliveries();
      expect(deliveries.length).toBeGreaterThanOrEqual(2);
      expect(answered).toEqual(deliveries.map(() => 202));
    } finally {
      await sim.close();
      host.closeAllConnections();
      host.close();
    }
  });
});

/**
 * One origin for the page, its bundle and Graph, as an app served next to its API would have: the page's host serves
 * `/` and `/app.js` and forwards every other request to the simulator. The simulator's notifications go to an endpoint
 * here, and the page takes them through `nextNotification`.
 */
async function servePage(bundle: string) {
  const received: string[] = [];
  const waiting: ((body: string) => void)[] = [];
  const readBody = async (request: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };
  const endpoint = createServer(async (request, response) => {
    const body = (await readBody(request)).toString("utf8");
    response.writeHead(202).end();
    const waiter = waiting.shift();
    if (waiter) waiter(body);
    else received.push(body);
  });
  await new Promise<void>((listening) => endpoint.listen(0, "127.0.0.1", listening));
  const closeServer = (server: Server) => {
    server.closeAllConnections();
    server.close();
  };

  const sim = await start().catch((error: unknown) => {
    closeServer(endpoint);
    throw error;
  });
  const call = sim.createCall({
    kind: "group",
    callbackUri: `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/api/calls`,
  });
  const simOrigin = new URL(sim.graphUrl).origin;

  const host = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    const files: Record<string, [string, string]> = {
      "/": ["text/html", `<!doctype html><meta charset="utf-8"><script type="module" src="/app.js"></script>`],
      "/app.js": ["text/javascript", bundle],
    };
    const file = files[request.url ?? ""];
    if (file) {
      response.writeHead(200, { "Content-Type": file[0] }).end(file[1]);
      return;
    }
    const body = await readBody(request);
    const forwarded = await fetch(`${simOrigin}${request.url}`, {
      method: request.method ?? "GET",
      headers: Object.entries(request.headers).flatMap(([name, value]) =>
        typeof value === "string" && name !== "host" ? [[name, value] as [string, string]] : [],
      ),
      ...(body.length > 0 ? { body } : {}),
    });
    const headers: Record<string, string> = {};
    // fetch has already decoded and de-chunked the body: the framing headers no longer describe it.
    forwarded.headers.forEach((value, name) => {
      if (!["content-encoding", "content-length", "transfer-encoding", "connection"].includes(name)) {
        headers[name] = value;
      }
    });
    response.writeHead(forwarded.status, headers);
    response.end(Buffer.from(await forwarded.arrayBuffer()));
  });
  await new Promise<void>((listening) => host.listen(0, "127.0.0.1", listening));
  const url = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;

  return {
    url: `${url}/`,
    settings: {
      tokenUrl: `${url}${new URL(sim.tokenUrl()).pathname}`,
      clientId: sim.app.appId,
      clientSecret: sim.app.secret,
      callId: call.id,
      userId: adele,
    },
    nextNotification: () =>
      new Promise<string>((resolve) => {
        const body = received.shift();
        if (body !== undefined) resolve(body);
        else waiting.push(resolve);
      }),
    inviteRequests: () => sim.requests().filter((request) => request.path.endsWith("/participants/invite")).length,
    close: async () => {
      await sim.close();
      closeServer(host);
      closeServer(endpoint);
    },
  };
}
