// What the settings tests share: the GRAPH_INVITE_* variables, a set of credentials, and the ConfigError a set of
// variables and a file give.
import { type BotConfig, ConfigError, loadConfig } from "../src/config.js";

/** Every variable loadConfig reads, spelt out rather than derived, so that a renamed variable fails here. */
export const knownVariables = [
  "GRAPH_INVITE_TENANT_ID",
  "GRAPH_INVITE_APP_ID",
  "GRAPH_INVITE_APP_SECRET",
  "GRAPH_INVITE_SIMULATOR_URL",
  "GRAPH_INVITE_CLOUD",
  "GRAPH_INVITE_HOST",
  "GRAPH_INVITE_PORT",
  "GRAPH_INVITE_CONTROL_PORT",
  "GRAPH_INVITE_OPEN_ID_CONFIGURATION_URL",
  "GRAPH_INVITE_ALLOWED_TENANTS",
  "GRAPH_INVITE_INVITE_TIMEOUT_MS",
  "GRAPH_INVITE_MAX_BODY_BYTES",
  "GRAPH_INVITE_REDIS_URL",
  "GRAPH_INVITE_REDIS_CLUSTER_NODES",
  "GRAPH_INVITE_REDIS_PREFIX",
  "GRAPH_INVITE_TELEMETRY",
] as const;

export const credentials = {
  GRAPH_INVITE_TENANT_ID: "22222222-2222-2222-2222-222222222222",
  GRAPH_INVITE_APP_ID: "11111111-1111-1111-1111-111111111111",
  GRAPH_INVITE_APP_SECRET: "s3cret",
};

/** The ConfigError loadConfig throws, or a failure if it returns or throws anything else. */
export function configError(
  env: Record<string, string | undefined>,
  file?: { path: string; text: string },
): ConfigError {
  let config: BotConfig;
  try {
    config = loadConfig(env, file);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected a ConfigError, got ${JSON.stringify(config)}`);
}

export const file = (content: unknown) => ({
  path: "bot.json",
  text: typeof content === "string" ? content : JSON.stringify(content),
});
