// The bot's settings: which of the three modes a set of credentials selects, any environment, and that startRuntime
// in graph mode targets the cloud's Microsoft Graph without touching the network (and refuses China, which the
// settings let through).

import { Socket } from "node:net";
import { freePort } from "@graph-invite/test-support/ports";
import { skipRedisTests, startRedis } from "@graph-invite/test-support/redis";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type BotConfig, ConfigError, graphOpenIdConfigurationUrl, loadConfig } from "../src/config.js";
import { type Runtime, startRuntime } from "../src/runtime.js";
import { configError, credentials, knownVariables } from "./config-fixtures.js";

describe("modes", () => {
  it("a tenant, an app id and a secret select Microsoft Graph", () => {
    expect(loadConfig(credentials)).toEqual({
      mode: "graph",
      tenantId: credentials.GRAPH_INVITE_TENANT_ID,
      appId: credentials.GRAPH_INVITE_APP_ID,
      appSecret: credentials.GRAPH_INVITE_APP_SECRET,
      cloud: "global",
      host: "127.0.0.1",
      port: 3978,
      controlPort: 3979,
    });
  });

  it("a simulator URL with the three credentials selects the external simulator", () => {
    expect(loadConfig({ ...credentials, GRAPH_INVITE_SIMULATOR_URL: "http://127.0.0.1:4000" })).toMatchObject({
      mode: "external-simulator",
      simulatorUrl: "http://127.0.0.1:4000",
      appId: credentials.GRAPH_INVITE_APP_ID,
    });
  });

  it.each([["GRAPH_INVITE_TENANT_ID"], ["GRAPH_INVITE_APP_ID"], ["GRAPH_INVITE_APP_SECRET"]] as const)(
    "credentials without %s are incomplete, and the error names it",
    (missing) => {
      const { [missing]: _, ...partial } = credentials;
      const error = configError(partial);
      expect(error.source).toBe(missing);
      expect(error.rule).toBe("missing: Microsoft Graph needs a tenant, an app id and a secret");
    },
  );

  it("any one credential alone asks for Microsoft Graph, and names the first one missing", () => {
    expect(configError({ GRAPH_INVITE_APP_SECRET: "s" }).source).toBe("GRAPH_INVITE_TENANT_ID");
    expect(configError({ GRAPH_INVITE_TENANT_ID: "t" }).source).toBe("GRAPH_INVITE_APP_ID");
  });

  it("a simulator URL without credentials names the missing variable and why", () => {
    const error = configError({ GRAPH_INVITE_SIMULATOR_URL: "http://127.0.0.1:4000" });
    expect(error).toMatchObject({
      source: "GRAPH_INVITE_TENANT_ID",
      rule: "missing: the simulator's app needs them",
    });
  });

  it("graph mode's OpenID metadata defaults to Graph's, left to the runtime", () => {
    expect(loadConfig(credentials).openIdConfigurationUrl).toBeUndefined();
    expect(graphOpenIdConfigurationUrl).toBe("https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration");
  });
});

describe("any environment", () => {
  const unknownVariables = ["GRAPH_INVITE_CONFIG", "GRAPH_INVITE_MODE", "GRAPH_INVITE_", "GRAPH_INVITE_PORTS"];
  const value = fc.oneof(
    fc.string(),
    fc.string({ unit: "grapheme" }),
    fc.stringMatching(/^\d{1,20}$/),
    fc.constantFrom("0", "65535", "65536", "http://127.0.0.1:1/", "https://x.example", "China", "global", "a,b", ","),
  );

  it("gives a config, or a ConfigError naming one of the known variables", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...knownVariables, ...unknownVariables), value), (env) => {
        let config: BotConfig;
        try {
          config = loadConfig(env);
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          expect(knownVariables).toContain((error as ConfigError).source);
          return;
        }
        expect(["simulator", "external-simulator", "graph"]).toContain(config.mode);
        expect(Number.isInteger(config.port) && config.port >= 0 && config.port <= 65_535).toBe(true);
        expect(Number.isInteger(config.controlPort) && config.controlPort <= 65_535).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe("startRuntime in graph mode", () => {
  const graphConfig = (cloud: string) =>
    loadConfig({ ...credentials, GRAPH_INVITE_CLOUD: cloud, GRAPH_INVITE_PORT: "0", GRAPH_INVITE_CONTROL_PORT: "0" });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it.each([
    ["global", "https://graph.microsoft.com/v1.0"],
    ["usGovL4", "https://graph.microsoft.us/v1.0"],
  ])(
    "%s: invites through %s, and starts and stops without a connection to Graph or to sign in",
    async (cloud, graphUrl) => {
      // Every outgoing TCP connection, fetch's and @azure/identity's alike, goes through Socket#connect.
      const connect = vi.spyOn(Socket.prototype, "connect");
      const hosts = () => connect.mock.calls.map(([options]) => (options as { host?: string }).host);
      const runtime = await startRuntime(graphConfig(cloud));
      try {
        expect(runtime.config.mode).toBe("graph");
        expect(runtime.client.baseUrl).toBe(graphUrl);
        expect(runtime.simulator).toBeUndefined();
        expect(runtime.simulatorUrl).toBeUndefined();
        expect(runtime.bot.callbackUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/calls$/);
        expect(runtime.bot.callbackUrl).not.toMatch(/:0\//);
        // The bot's self-check reads Graph's OpenID metadata and tries its own callback URL at start; nothing else.
        await runtime.bot.check({ timeoutMs: 1000 });
        expect(hosts()).toContain("api.aps.skype.com");
        expect(hosts().filter((host) => /graph\.microsoft|login\.|microsoftonline/.test(String(host)))).toEqual([]);
        // A request without a token is refused before any key is needed.
        const answer = await fetch(runtime.bot.callbackUrl, { method: "POST", body: "{}" });
        expect(answer.status).toBe(401);
      } finally {
        await runtime.close();
      }
    },
  );

  it("refuses China at start, saying the action is not available there, when a config is built in code", async () => {
    const config: BotConfig = { ...graphConfig("global"), cloud: "China" as BotConfig["cloud"] };
    await expect(startRuntime(config)).rejects.toThrow(
      new ConfigError("cloud", "participant: invite is not available in the China cloud operated by 21Vianet"),
    );
  });
});

describe("startRuntime with GRAPH_INVITE_REDIS_URL", () => {
  const simulatorConfig = (redisUrl: string, more: Record<string, string> = {}) =>
    loadConfig({ GRAPH_INVITE_REDIS_URL: redisUrl, GRAPH_INVITE_PORT: "0", GRAPH_INVITE_CONTROL_PORT: "0", ...more });

  /** One invite through the runtime's own simulator, to its outcome. */
  async function inviteOnce(runtime: Runtime) {
    const simulator = runtime.simulator;
    if (simulator === undefined) throw new Error("no simulator");
    const call = simulator.createCall({ kind: "group", callbackUri: runtime.bot.callbackUrl });
    const outcome = await runtime.bot.inviteAndWait(call.id, {
      participants: [{ identity: { user: { id: crypto.randomUUID() } } }],
    });
    expect(outcome.status).toBe("completed");
    return { call, outcome };
  }

  it("refuses to start when the server cannot be reached, naming the setting", async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    await expect(startRuntime(simulatorConfig(url))).rejects.toThrow(/^redisUrl: cannot reach Redis at redis:\/\/127/);
  });

  it.skipIf(skipRedisTests)("keeps the bot's invites in Redis", async () => {
    const redis = await startRedis();
    const runtime = await startRuntime(simulatorConfig(redis.url));
    try {
      const { call, outcome } = await inviteOnce(runtime);
      const stored = await redis.command("HGET", `{graph-invite:}op:${outcome.clientContext}`, "data");
      expect(JSON.parse(stored)).toMatchObject({ status: "completed", callId: call.id });
      // Reads and writes of the invite and its notifications, each counted once.
      expect(runtime.redisCommands()).toBeGreaterThanOrEqual(4);
    } finally {
      await runtime.close();
      await redis.stop();
    }
  });

  it.skipIf(skipRedisTests)("keeps them under GRAPH_INVITE_REDIS_PREFIX, apart from another bot's", async () => {
    const redis = await startRedis();
    const runtime = await startRuntime(simulatorConfig(redis.url, { GRAPH_INVITE_REDIS_PREFIX: "bot-a:" }));
    try {
      const { call, outcome } = await inviteOnce(runtime);
      const stored = await redis.command("HGET", `{bot-a:}op:${outcome.clientContext}`, "data");
      expect(JSON.parse(stored)).toMatchObject({ status: "completed", callId: call.id });
      expect(await redis.command("EXISTS", `{graph-invite:}op:${outcome.clientContext}`)).toBe("0");
    } finally {
      await runtime.close();
      await redis.stop();
    }
  });
});
