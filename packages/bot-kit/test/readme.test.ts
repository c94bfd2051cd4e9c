// Runs the README's four "add Graph callbacks to your service" examples as a reader would, against a simulator: the
// only changes are a credential and Graph root that point at the simulator, and the simulator's OpenID metadata.
// Each example is typechecked, then started; Graph's signed notifications reach it, and the Hono one invites
// through its own route and answers with the outcome.
import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { inviteBody, userParticipant } from "@graph-invite/client";
import { type Simulator, start } from "@graph-invite/simulator";
import { codeBlockAfter, typecheckFile } from "@graph-invite/test-support/readme";
import { skipRedisTests, startRedis } from "@graph-invite/test-support/redis";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import type { Bot } from "../src/index.js";
import { nodeHandler } from "../src/node/index.js";
import { freePort, rosterOf, signedHeaders } from "./harness.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const scratch = new URL("./.readme/", import.meta.url);

declare global {
  var readmeSimulator: Simulator | undefined;
}

const prelude = `import type { Simulator } from "@graph-invite/simulator";
declare global { var readmeSimulator: Simulator | undefined }
const simulator = globalThis.readmeSimulator as Simulator;
const graphCredential = () => simulator.credential();
`;

/** The example under `heading`, pointed at the simulator, written where vitest can import it. */
function exampleFile(heading: string, name: string): URL {
  const code = codeBlockAfter(readme, heading, "ts");
  for (const expected of ['cloud: "global"', 'auth: { appId: process.env.BOT_APP_ID ?? "" }']) {
    expect(code).toContain(expected);
  }
  const runnable = code
    .replace('cloud: "global"', "baseUrl: simulator.graphUrl")
    .replace(
      'auth: { appId: process.env.BOT_APP_ID ?? "" }',
      'auth: { appId: process.env.BOT_APP_ID ?? "", openIdConfigurationUrl: simulator.openIdConfigurationUrl }',
    );
  mkdirSync(scratch, { recursive: true });
  const file = new URL(`${name}.ts`, scratch);
  // The imports stay first, as ESM hoists them anyway; the prelude follows them.
  const lines = runnable.split("\n");
  const lastImport = lines.findLastIndex((line) => line.startsWith("import "));
  writeFileSync(file, [...lines.slice(0, lastImport + 1), prelude, ...lines.slice(lastImport + 1)].join("\n"));
  return file;
}

let sim: Simulator;
beforeAll(async () => {
  sim = await start();
  globalThis.readmeSimulator = sim;
});
afterAll(async () => {
  await sim.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** Starts the example on a free port and resolves with its origin once it answers, and what it prints. */
async function run(file: URL): Promise<{ origin: string; printed: string[] }> {
  const port = await freePort();
  const printed: string[] = [];
  vi.spyOn(console, "log").mockImplementation((line: string) => printed.push(line));
  vi.stubEnv("PORT", String(port));
  vi.stubEnv("BOT_APP_ID", sim.app.appId);
  await import(/* @vite-ignore */ file.href);
  vi.unstubAllEnvs();
  const origin = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 100; attempt++) {
    if (
      await fetch(`${origin}/api/calls`, { method: "POST" }).then(
        () => true,
        () => false,
      )
    )
      break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { origin, printed };
}

describe.each([
  ["### Hono", "hono"],
  ["### Express", "express"],
  ["### Fastify", "fastify"],
  ["### node:http", "node-http"],
])("the README's %s example", (heading, name) => {
  test("typechecks against the package's own types", () => {
    const file = exampleFile(heading, `${name}-typecheck`);
    // A reader's tsconfig reads `process.env.NAME`; this repository's forbids dotted access to index signatures.
    const tsconfig = fileURLToPath(new URL("../tsconfig.json", import.meta.url));
    expect(typecheckFile(fileURLToPath(file), tsconfig, { noPropertyAccessFromIndexSignature: false })).toEqual([]);
  });

  test("acknowledges Graph's signed roster with 202 and reports who joined", async () => {
    const { origin, printed } = await run(exampleFile(heading, name));
    const callId = randomUUID();
    const response = await fetch(`${origin}/api/calls`, {
      method: "POST",
      headers: await signedHeaders(sim),
      body: rosterOf(callId),
    });
    expect(response.status).toBe(202);
    await vi.waitFor(() => expect(printed.filter((line) => line.startsWith(`${callId}: joined `))).toHaveLength(1));
    const unsigned = await fetch(`${origin}/api/calls`, { method: "POST", body: rosterOf(callId) });
    expect(unsigned.status).toBe(401);
    if (name === "hono") {
      const call = sim.createCall({ kind: "group", callbackUri: `${origin}/api/calls` });
      const invited = await fetch(`${origin}/calls/${call.id}/invite/${randomUUID()}`, { method: "POST" });
      expect(await invited.json()).toEqual({ status: "completed", resultInfo: null });
    }
    if (name === "express" || name === "fastify") expect(await (await fetch(`${origin}/health`)).text()).toBe("ok");
    vi.restoreAllMocks();
  });
});

test("the README's start-now example typechecks against the package's own types", () => {
  const file = exampleFile("### Start now, learn later", "start-now");
  const tsconfig = fileURLToPath(new URL("../tsconfig.json", import.meta.url));
  expect(typecheckFile(fileURLToPath(file), tsconfig, { noPropertyAccessFromIndexSignature: false })).toEqual([]);
});

describe("the README's Redis example", () => {
  test("typechecks against the package's own types", () => {
    const file = exampleFile("## Several instances: Redis", "redis-typecheck");
    const tsconfig = fileURLToPath(new URL("../tsconfig.json", import.meta.url));
    expect(typecheckFile(fileURLToPath(file), tsconfig, { noPropertyAccessFromIndexSignature: false })).toEqual([]);
  });

  test.skipIf(skipRedisTests)("keeps the bot's invites in Redis under its prefix", async () => {
    const redisServer = await startRedis();
    const file = exampleFile("## Several instances: Redis", "redis");
    // The example's bot and client, for the test to serve and to close.
    writeFileSync(file, `${readFileSync(file, "utf8")}\nexport { bot, redis };\n`);
    vi.stubEnv("REDIS_URL", redisServer.url);
    vi.stubEnv("BOT_APP_ID", sim.app.appId);
    const example = (await import(/* @vite-ignore */ file.href)) as {
      bot: Bot;
      redis: { quit(): Promise<unknown>; destroy(): unknown; isOpen: boolean };
    };
    vi.unstubAllEnvs();
    const server = createServer(nodeHandler(example.bot));
    await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
    try {
      const { port } = server.address() as AddressInfo;
      const call = sim.createCall({ kind: "group", callbackUri: `http://127.0.0.1:${port}/api/calls` });
      const outcome = await example.bot.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())));
      expect(outcome.status).toBe("completed");
      const stored = await redisServer.command("HGET", `{my-bot:}op:${outcome.clientContext}`, "data");
      expect(JSON.parse(stored)).toMatchObject({ status: "completed", callId: call.id });
      // The README's shutdown order: the bot, then the store's client, which must not hang.
      server.close();
      await example.bot.close();
      const quitting = Date.now();
      await example.redis.quit();
      expect(Date.now() - quitting).toBeLessThan(2000);
    } finally {
      server.close();
      example.bot.stopWaiting();
      if (example.redis.isOpen) example.redis.destroy();
      await redisServer.stop();
    }
  });
});
