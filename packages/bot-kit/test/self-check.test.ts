// A misconfigured bot says so at start, naming the setting: an app id that is not one, signing keys that cannot be
// fetched, a callback URL that does not reach the bot's handler. `createBot` refuses an empty app id outright, and
// the default logger writes warnings where an operator looks (stderr).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createInviteClient } from "@graph-invite/client";
import { type Simulator, start } from "@graph-invite/simulator";
import express from "express";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { type Bot, type BotOptions, createBot } from "../src/index.js";
import { nodeHandler } from "../src/node/index.js";
import { freePort, recordingLogger } from "./harness.js";

let sim: Simulator;
beforeAll(async () => {
  sim = await start();
});
afterAll(() => sim.close());

const bots: Bot[] = [];
afterAll(() => {
  for (const bot of bots) bot.stopWaiting();
});

function botWith(options: Partial<BotOptions> & { appId?: string; openIdConfigurationUrl?: string } = {}): Bot {
  const { appId, openIdConfigurationUrl, ...rest } = options;
  const bot = createBot({
    client: createInviteClient({ credential: sim.credential(), baseUrl: sim.graphUrl }),
    auth: {
      appId: appId ?? sim.app.appId,
      openIdConfigurationUrl: openIdConfigurationUrl ?? sim.openIdConfigurationUrl,
    },
    ...rest,
  });
  bots.push(bot);
  return bot;
}

async function serve(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closing(server: Server): void {
  afterAll(() => {
    server.close();
    server.closeAllConnections();
  });
}

describe("createBot", () => {
  test.each(["", "   "])("refuses the app id %j, naming auth.appId", (appId) => {
    expect(() => botWith({ appId })).toThrow(/auth\.appId is empty/);
  });
});

describe("bot.check()", () => {
  test("a bot set up as Graph will meet it has no problem, callback route included", async () => {
    const bot = botWith({ selfCheck: false });
    const server = createServer(nodeHandler(bot));
    closing(server);
    const origin = await serve(server);
    expect(await bot.check({ callbackUrl: `${origin}/api/calls` })).toEqual({ ok: true, problems: [] });
  });

  test("the check's own request to the callback route is not reported as a refused delivery", async () => {
    const bot = botWith({ selfCheck: false });
    const refused: unknown[] = [];
    bot.on("refused", (refusal) => refused.push(refusal));
    const server = createServer(nodeHandler(bot));
    closing(server);
    const origin = await serve(server);
    expect((await bot.check({ callbackUrl: `${origin}/api/calls` })).ok).toBe(true);
    const unsigned = await fetch(`${origin}/api/calls`, {
      method: "POST",
      headers: { "x-bot-kit-self-check": "guess" },
    });
    expect(unsigned.status).toBe(401);
    expect(refused).toEqual([expect.objectContaining({ reason: "missing-token" })]);
  });

  test("an app id that is not a GUID names auth.appId", async () => {
    const report = await botWith({ appId: "my-bot", selfCheck: false }).check();
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      { setting: "auth.appId", message: expect.stringMatching(/"my-bot" is not an app id/) },
    ]);
  });

  test("OpenID metadata that cannot be fetched names auth.openIdConfigurationUrl", async () => {
    const url = `http://127.0.0.1:${await freePort()}/openid`;
    const report = await botWith({ openIdConfigurationUrl: url, selfCheck: false }).check({ timeoutMs: 1000 });
    expect(report.problems).toEqual([
      { setting: "auth.openIdConfigurationUrl", message: expect.stringContaining(`the OpenID metadata at ${url}`) },
    ]);
  });

  test("a key set that does not answer names auth.openIdConfigurationUrl", async () => {
    const metadata = createServer((request, response) => {
      const origin = `http://${request.headers.host}`;
      if (request.url === "/openid") response.end(JSON.stringify({ jwks_uri: `${origin}/keys` }));
      else response.writeHead(404).end();
    });
    closing(metadata);
    const origin = await serve(metadata);
    const report = await botWith({ openIdConfigurationUrl: `${origin}/openid`, selfCheck: false }).check();
    expect(report.problems).toEqual([
      {
        setting: "auth.openIdConfigurationUrl",
        message: expect.stringContaining(`the key set at ${origin}/keys answered HTTP 404`),
      },
    ]);
  });

  test("a callback URL answered by the app's own auth, not the bot, names callbackUrl", async () => {
    const bot = botWith({ selfCheck: false });
    const app = express();
    // The app guards /api with its own auth, and the bot is mounted at a path Graph does not call.
    app.use("/api", (_request, response) => {
      response.status(401).json({ error: "login required" });
    });
    app.use(nodeHandler(bot, { path: "/graph/calls" }));
    const server = createServer(app);
    closing(server);
    const origin = await serve(server);
    const report = await bot.check({ callbackUrl: `${origin}/api/calls` });
    expect(report.problems).toEqual([
      {
        setting: "callbackUrl",
        message: expect.stringContaining(`POST ${origin}/api/calls without a token answered HTTP 401, not the bot's`),
      },
    ]);
  });
});

describe("at start", () => {
  test("each problem is logged as a warning that names its setting", async () => {
    const { logger, lines } = recordingLogger();
    const callbackUrl = `http://127.0.0.1:${await freePort()}/api/calls`;
    botWith({ appId: "my-bot", logger, callbackUrl });
    await vi.waitFor(() => expect(lines.map((line) => line.fields["setting"])).toEqual(["auth.appId", "callbackUrl"]), {
      timeout: 30_000,
    });
    expect(lines.every((line) => line.level === "warn" && line.message.startsWith(`${line.fields["setting"]}: `))).toBe(
      true,
    );
  });

  test("without a logger, warnings go to stderr as JSON lines", async () => {
    const written: string[] = [];
    const spy = vi.spyOn(console, "error").mockImplementation((line: string) => void written.push(line));
    try {
      botWith({ appId: "my-bot" });
      await vi.waitFor(() => expect(written).toHaveLength(1), { timeout: 30_000 });
      expect(JSON.parse(written[0] ?? "")).toMatchObject({ level: "warn", setting: "auth.appId" });
    } finally {
      spy.mockRestore();
    }
  });
});
