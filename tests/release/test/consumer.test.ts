// An application outside the workspace, as a stranger would build it: the four packages packed with `pnpm pack`,
// installed with npm from the tarballs (their own dependencies from the registry), typechecked under
// moduleResolution node16 and bundler, run under Node as ESM and through require(esm), on this Node and on the
// current LTS, and bundled for the browser with esbuild and run in Chromium. Each run invites a participant against
// the simulator and validates the notification that ends the invite (consumer/src/flow.ts).
import { cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { start } from "@graph-invite/simulator";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../../../test-support/browser.js";
import { run } from "../src/exec.js";
import { installNodeLts, nodeLtsVersion } from "../src/node-lts.js";
import { pack, publishedPackages, repoRoot, type Tarball } from "../src/workspace.js";

const project = mkdtempSync(join(tmpdir(), "graph-invite-consumer-"));
const adele = "278405a3-f568-4b3e-b684-009193463064";
const toolVersion = (name: string) =>
  (
    JSON.parse(readFileSync(join(import.meta.dirname, "../node_modules", name, "package.json"), "utf8")) as {
      version: string;
    }
  ).version;

// npm and the programs run with the environment of a shell, not of the pnpm script that runs these tests: pnpm passes
// its own settings as npm_config_* variables (catalog, overrides, frozen-lockfile, ...), which npm would read as its
// own. npm still reads the user's ~/.npmrc, where a registry mirror or proxy belongs. NODE_PATH goes too: pnpm points
// it into the workspace's store, where require() would find a package the project failed to install.
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !/^(npm|pnpm)_/i.test(key) && key !== "NODE_PATH"),
);

let tarballs: Tarball[] = [];
let nodeLts = "";

beforeAll(async () => {
  cpSync(join(import.meta.dirname, "../consumer"), project, { recursive: true });
  // The validator README's quick start, as a user would paste it into their project.
  const validatorReadme = readFileSync(join(repoRoot, "packages/validator/README.md"), "utf8");
  const quickStart = validatorReadme.slice(validatorReadme.indexOf("## Quick start")).match(/```ts\n([\s\S]*?)```/);
  writeFileSync(join(project, "src/validator-quick-start.ts"), quickStart?.[1] ?? "");

  mkdirSync(join(project, "tarballs"));
  tarballs = [];
  for (const { dir } of publishedPackages()) tarballs.push(await pack(dir, join(project, "tarballs")));
  await run(
    "npm",
    [
      "install",
      "--no-audit",
      "--no-fund",
      ...tarballs.map((tarball) => tarball.filename),
      `typescript@${toolVersion("typescript")}`,
      `@types/node@${toolVersion("@types/node")}`,
      `esbuild@${toolVersion("esbuild")}`,
    ],
    { cwd: project, env: cleanEnv, timeoutMs: 300_000 },
  );
  nodeLts = await installNodeLts(cleanEnv);
});

afterAll(() => rmSync(project, { recursive: true, force: true }));

describe("installed with npm from the tarballs", () => {
  it("resolves every package from the project's node_modules, with a consistent tree", async () => {
    for (const tarball of tarballs) {
      const installed = join(project, "node_modules", tarball.name);
      expect(realpathSync(installed).startsWith(realpathSync(project)), tarball.name).toBe(true);
      expect(JSON.parse(readFileSync(join(installed, "package.json"), "utf8"))).toMatchObject({
        name: tarball.name,
        version: tarball.version,
      });
    }
    // npm ls exits non-zero on a missing, invalid or extraneous dependency.
    const { stdout } = await run("npm", ["ls", "--all", "--json"], { cwd: project, env: cleanEnv });
    const tree = JSON.parse(stdout) as { dependencies: Record<string, { dependencies?: Record<string, unknown> }> };
    expect(Object.keys(tree.dependencies["@graph-invite/client"]?.dependencies ?? {})).toEqual(
      expect.arrayContaining(["openapi-fetch", "@graph-invite/types"]),
    );
  });
});

const runtimes = [
  { label: `Node ${process.versions.node} (this one)`, binary: () => process.execPath, version: process.version },
  { label: `Node ${nodeLtsVersion} (the LTS, from npm)`, binary: () => nodeLts, version: `v${nodeLtsVersion}` },
];

describe.each(runtimes)("$label", ({ binary, version }) => {
  const tsc = (config: string) => run(binary(), ["node_modules/typescript/bin/tsc", "-p", config], { cwd: project });

  it("typechecks the program and the packages' declarations under moduleResolution node16, and compiles it", async () => {
    rmSync(join(project, "dist"), { recursive: true, force: true });
    await tsc("tsconfig.node16.json");
    expect(readFileSync(join(project, "dist/flow.js"), "utf8")).toContain('from "@graph-invite/client"');
  });

  it("typechecks the program, its browser entry included, under moduleResolution bundler", async () => {
    await tsc("tsconfig.bundler.json");
  });

  it("runs as ESM: invites against the simulator and validates the notification that ends the invite", async () => {
    const { stdout } = await run(binary(), ["dist/main.js"], { cwd: project, env: cleanEnv });
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ node: version, loadedBy: "import", answered: "Running", ended: "completed" });
    expect(report.roster).toEqual([adele]);
    expect(report.terminalBody.value[0]).toMatchObject({
      changeType: "deleted",
      resourceData: { status: "completed", clientContext: report.clientContext, id: report.operationId },
    });
  });

  it("runs through require(esm) from CommonJS, every package loaded by require()", async () => {
    const { stdout } = await run(binary(), ["main.cjs"], { cwd: project, env: cleanEnv });
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ node: version, loadedBy: "require", ended: "completed", roster: [adele] });
    expect(report.required).toEqual({
      "@graph-invite/client": "function",
      "@graph-invite/validator": "function",
      "@graph-invite/simulator": "function",
      "@graph-invite/types": "@graph-invite/types",
    });
  });

  it("runs the validator README's quick start and prints what the README says", async () => {
    const { stdout } = await run(binary(), ["dist/validator-quick-start.js"], { cwd: project, env: cleanEnv });
    const readme = readFileSync(join(repoRoot, "packages/validator/README.md"), "utf8");
    const printed = readme.slice(readme.indexOf("It prints:")).match(/```text\n([\s\S]*?)```/)?.[1];
    expect(stdout).toBe(printed);
  });

  it("runs the installed bins: graph-invite-validate checks a notification, graph-invite-sim prints its usage", async () => {
    const { stdout: ran } = await run(binary(), ["dist/main.js"], { cwd: project, env: cleanEnv });
    writeFileSync(join(project, "notification.json"), JSON.stringify(JSON.parse(ran).terminalBody));
    const bins = join(project, "node_modules/.bin");
    const validate = await run(
      binary(),
      [join(bins, "graph-invite-validate"), "--kind", "notifications", "--mode", "strict", "notification.json"],
      {
        cwd: project,
        env: cleanEnv,
      },
    );
    expect(validate.stdout).toMatch(/^notification\.json: valid notifications/);
    const sim = await run(binary(), [join(bins, "graph-invite-sim"), "--help"], { cwd: project, env: cleanEnv });
    expect(sim.stdout).toMatch(/^Usage: graph-invite-sim/);
  });
});

describe("bundled for the browser with esbuild", () => {
  let browser: Browser | undefined;
  afterAll(() => browser?.close());

  it("bundles the browser entry, and the bundle invites and validates in Chromium", async () => {
    // esbuild's installed bin is its native binary.
    await run(
      join(project, "node_modules/.bin/esbuild"),
      ["src/browser.ts", "--bundle", "--platform=browser", "--format=esm", "--minify", "--outfile=dist/browser.js"],
      { cwd: project },
    );
    const bundle = readFileSync(join(project, "dist/browser.js"), "utf8");
    expect(bundle).not.toMatch(/\bfrom\s*"node:|require\("node:/);

    const page = await servePage(bundle);
    browser = await launchChromium();
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

  const sim = await start();
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
      for (const server of [host, endpoint]) {
        server.closeAllConnections();
        server.close();
      }
    },
  };
}
