// Builds a running bot from its settings: the credential and Graph root of its mode, and in simulator mode the
// simulator itself.
import { ClientSecretCredential } from "@azure/identity";
import type { BotStore } from "@graph-invite/bot-kit";
import { type StartedBot, startBot } from "@graph-invite/bot-kit/node";
import { RedisStore } from "@graph-invite/bot-kit/redis";
import { redisStoreInstruments } from "@graph-invite/bot-kit/testing";
import { clientSecretCredential, clouds, createInviteClient, type InviteClient } from "@graph-invite/client";
import { doublingDelayMs } from "@graph-invite/client/backoff";
import { type Simulator, type SimulatorOptions, start } from "@graph-invite/simulator";
import { createClient, createCluster } from "redis";
import { type BotConfig, ConfigError, graphOpenIdConfigurationUrl } from "./config.js";
import { startConsoleTelemetry } from "./telemetry.js";

export interface Runtime {
  readonly config: BotConfig;
  readonly bot: StartedBot;
  /** The invite client the bot uses: its `baseUrl` says which Graph it talks to. */
  readonly client: InviteClient;
  /** The simulator this process started, in `simulator` mode. */
  readonly simulator: Simulator | undefined;
  /** The simulator's origin, in either simulator mode. */
  readonly simulatorUrl: string | undefined;
  /**
   * How many commands the bot has sent to Redis, each a round trip (the change feed's blocking reads, on a connection
   * of their own, are not counted); undefined without Redis.
   */
  redisCommands(): number | undefined;
  close(): Promise<void>;
}

interface Target {
  readonly client: InviteClient;
  readonly appId: string;
  readonly openIdConfigurationUrl: string;
  readonly simulator?: Simulator;
  readonly simulatorUrl?: string;
}

/** Starts the bot (and in `simulator` mode a simulator, with `simulatorOptions`). */
export async function startRuntime(config: BotConfig, simulatorOptions: SimulatorOptions = {}): Promise<Runtime> {
  refuseUnavailableCloud(config);
  const shared =
    config.redisClusterNodes !== undefined
      ? await connectRedis(config.redisClusterNodes, "redisClusterNodes", config.redisPrefix)
      : config.redisUrl === undefined
        ? undefined
        : await connectRedis([config.redisUrl], "redisUrl", config.redisPrefix);
  const target = await connect(config, simulatorOptions).catch(async (error: unknown) => {
    await shared?.close();
    throw error;
  });
  const telemetry = config.telemetry === "console" ? startConsoleTelemetry() : undefined;
  try {
    const bot = await startBot({
      client: target.client,
      auth: {
        appId: target.appId,
        openIdConfigurationUrl: config.openIdConfigurationUrl ?? target.openIdConfigurationUrl,
        ...(config.allowedTenants !== undefined && { allowedTenants: config.allowedTenants }),
      },
      ...(config.inviteTimeoutMs !== undefined && { inviteTimeoutMs: config.inviteTimeoutMs }),
      ...(config.maxBodyBytes !== undefined && { maxBodyBytes: config.maxBodyBytes }),
      ...(shared !== undefined && { store: shared.store }),
      port: config.port,
      host: config.host,
      openTelemetry: telemetry?.api ?? false,
    });
    return {
      config,
      bot,
      client: target.client,
      simulator: target.simulator,
      simulatorUrl: target.simulatorUrl,
      redisCommands: () => shared?.commands(),
      async close() {
        await bot.close();
        await target.simulator?.close();
        await shared?.close();
        await telemetry?.shutdown();
      },
    };
  } catch (error) {
    await target.simulator?.close();
    await shared?.close();
    await telemetry?.shutdown();
    throw error;
  }
}

/**
 * A Redis store on its own connection (to one server, or to a cluster through its root nodes), or a setting's error
 * that says why the server could not be reached.
 */
async function connectRedis(
  urls: readonly string[],
  setting: "redisUrl" | "redisClusterNodes",
  prefix: string | undefined,
): Promise<{ store: BotStore; commands(): number; close(): Promise<void> }> {
  // One attempt at start-up, so that a wrong URL is an error rather than a bot that waits; once connected, the client
  // reconnects on its own, with backoff, for as long as the server is away.
  let started = false;
  const socket = {
    connectTimeout: 5000,
    // A quarter of a second at most between attempts: invites wait on the store, so a restarted server should be
    // back in use within moments, and four attempts a second do not burden one that is down.
    reconnectStrategy: (retries: number) => (started ? doublingDelayMs(retries, 25, 250) : false),
  };
  const url = urls.join(", ");
  const client =
    setting === "redisClusterNodes"
      ? createCluster({ rootNodes: urls.map((node) => ({ url: node })), defaults: { socket } })
      : createClient({ url, socket });
  // While the server is away the client reports each failed attempt; the store's commands wait for the reconnection.
  client.on("error", (error: Error) => {
    if (started) process.stderr.write(`redis: ${error.message}\n`);
  });
  try {
    await client.connect();
  } catch (error) {
    throw new ConfigError(
      setting,
      `cannot reach Redis at ${url}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  started = true;
  const store = new RedisStore({ client, ...(prefix !== undefined && { prefix }) });
  return {
    store,
    // What the benches report as round trips per notification.
    commands: () => redisStoreInstruments(store).commandsSent,
    close: async () => {
      client.destroy();
    },
  };
}

/**
 * The client refuses a cloud where the action does not exist; saying so before a simulator starts makes it a
 * setting's error, like any other.
 */
function refuseUnavailableCloud(config: BotConfig): void {
  if (Object.hasOwn(clouds, config.cloud)) return;
  try {
    // Built only for the client's own reason (China: the action is not available there; any other: unknown). It
    // throws for every cloud it does not list, and sends nothing.
    createInviteClient({ credential: async () => null, cloud: config.cloud });
  } catch (error) {
    throw new ConfigError("cloud", error instanceof Error ? error.message : String(error));
  }
}

async function connect(config: BotConfig, simulatorOptions: SimulatorOptions): Promise<Target> {
  const { tenantId = "", appId = "", appSecret = "" } = config;
  switch (config.mode) {
    case "graph": {
      // The cloud's own identity platform: a US Government tenant's tokens do not come from the global one.
      const client = createInviteClient({
        credential: new ClientSecretCredential(tenantId, appId, appSecret, {
          authorityHost: clouds[config.cloud].authority,
        }),
        cloud: config.cloud,
      });
      return { client, appId, openIdConfigurationUrl: graphOpenIdConfigurationUrl };
    }
    case "external-simulator": {
      const url = config.simulatorUrl ?? "";
      const client = createInviteClient({
        credential: clientSecretCredential({ authorityHost: url, tenantId, clientId: appId, clientSecret: appSecret }),
        baseUrl: `${url}/v1.0`,
        cloud: config.cloud,
      });
      return { client, appId, openIdConfigurationUrl: `${url}/v1/.well-known/OpenIdConfiguration`, simulatorUrl: url };
    }
    case "simulator": {
      const simulator = await start(simulatorOptions);
      try {
        const client = createInviteClient({
          credential: clientSecretCredential({
            authorityHost: simulator.url,
            tenantId: simulator.app.tenantId,
            clientId: simulator.app.appId,
            clientSecret: simulator.app.secret,
          }),
          baseUrl: simulator.graphUrl,
          cloud: config.cloud,
        });
        return {
          client,
          appId: simulator.app.appId,
          openIdConfigurationUrl: simulator.openIdConfigurationUrl,
          simulator,
          simulatorUrl: simulator.url,
        };
      } catch (error) {
        await simulator.close();
        throw error;
      }
    }
  }
}
