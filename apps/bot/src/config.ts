// The bot's settings, from a JSON file and environment variables (which win). Without credentials the bot runs
// against a simulator it starts itself; with a tenant, an app id and a secret it talks to Microsoft Graph.

import { callbackOpenIdConfigurationUrls, maxInviteTimeoutMs } from "@graph-invite/bot-kit";
import type { GraphCloud } from "@graph-invite/client";

export interface BotConfig {
  /**
   * `simulator`: a simulator started in process. `external-simulator`: a simulator already running at
   * `simulatorUrl`. `graph`: Microsoft Graph, with the app's credentials.
   */
  readonly mode: "simulator" | "external-simulator" | "graph";
  readonly tenantId?: string;
  readonly appId?: string;
  readonly appSecret?: string;
  readonly simulatorUrl?: string;
  readonly cloud: GraphCloud;
  /** Where the notification endpoint listens. Graph must reach it over HTTPS: put a proxy or tunnel in front. */
  readonly host: string;
  readonly port: number;
  /** Where the CLI reaches the running bot; always on loopback. */
  readonly controlPort: number;
  /** The OpenID metadata of the service that signs notifications. Default: Graph's, or the simulator's. */
  readonly openIdConfigurationUrl?: string;
  readonly allowedTenants?: readonly string[];
  readonly inviteTimeoutMs?: number;
  readonly maxBodyBytes?: number;
  /**
   * A Redis server shared by every instance of the bot (`redis://` or `rediss://`): invites, rosters and delivery
   * claims are kept there, so that any instance can take any notification. Default: this process's memory.
   */
  readonly redisUrl?: string;
  /**
   * The root nodes of a Redis Cluster shared by every instance (`redis://` or `rediss://` URLs, one or more of its
   * primaries), instead of `redisUrl`. Default: none.
   */
  readonly redisClusterNodes?: readonly string[];
  /**
   * What the keys of this bot's state in Redis start with. Bots that share one Redis and must not share state (two
   * apps, or staging beside production) each need their own; every instance of one bot needs the same. Default:
   * `graph-invite:`.
   */
  readonly redisPrefix?: string;
  /**
   * `console`: the kit's OpenTelemetry metrics (every 10 s and at exit) and spans are printed to the console, through
   * the SDK's console exporters. Default: none recorded.
   */
  readonly telemetry?: "console";
}

/** A setting that is wrong: where it came from (a variable, or a JSON Pointer into the file) and the rule it breaks. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly rule: string,
  ) {
    super(`${source}: ${rule}`);
    this.name = "ConfigError";
  }
}

/** Graph's OpenID metadata for notification tokens, as Microsoft's samples configure it. */
export const graphOpenIdConfigurationUrl = callbackOpenIdConfigurationUrls.global;

interface Setting {
  readonly key: keyof BotConfig;
  readonly kind:
    | "string"
    | "url"
    | "key-url"
    | "redis-url"
    | "redis-urls"
    | "redis-prefix"
    | "port"
    | "positive"
    | "list"
    | "cloud"
    | "telemetry";
  /** The largest value of a `positive` setting. */
  readonly max?: number;
}

const settings: readonly Setting[] = [
  { key: "tenantId", kind: "string" },
  { key: "appId", kind: "string" },
  { key: "appSecret", kind: "string" },
  { key: "simulatorUrl", kind: "url" },
  { key: "cloud", kind: "cloud" },
  { key: "host", kind: "string" },
  { key: "port", kind: "port" },
  { key: "controlPort", kind: "port" },
  { key: "openIdConfigurationUrl", kind: "key-url" },
  { key: "allowedTenants", kind: "list" },
  { key: "inviteTimeoutMs", kind: "positive", max: maxInviteTimeoutMs },
  { key: "maxBodyBytes", kind: "positive" },
  { key: "redisUrl", kind: "redis-url" },
  { key: "redisClusterNodes", kind: "redis-urls" },
  { key: "redisPrefix", kind: "redis-prefix" },
  { key: "telemetry", kind: "telemetry" },
];

const clouds: readonly string[] = ["global", "usGovL4", "usGovL5Dod"];

const loopback = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** `inviteTimeoutMs` → `GRAPH_INVITE_INVITE_TIMEOUT_MS`. */
export const envName = (key: string): string => `GRAPH_INVITE_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

/**
 * Reads the settings: the file's JSON text (if any), then the environment.
 *
 * @throws ConfigError naming the variable or the file's JSON Pointer.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  file?: { path: string; text: string },
): BotConfig {
  const values: Record<string, unknown> = {};
  if (file !== undefined) {
    let parsed: unknown;
    try {
      // Editors on Windows save UTF-8 with a byte order mark, which JSON.parse refuses.
      parsed = JSON.parse(file.text.replace(/^\uFEFF/, ""));
    } catch (error) {
      throw new ConfigError(file.path, `not JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw new ConfigError(`${file.path}#`, "must be a JSON object");
    }
    for (const [key, value] of Object.entries(parsed)) {
      const setting = settings.find((candidate) => candidate.key === key);
      if (setting === undefined) {
        throw new ConfigError(
          `${file.path}#/${key}`,
          `unknown setting; known: ${settings.map((s) => s.key).join(", ")}`,
        );
      }
      values[key] = check(setting, value, `${file.path}#/${key}`, false);
    }
  }
  for (const setting of settings) {
    const raw = env[envName(setting.key)];
    if (raw !== undefined && raw !== "") values[setting.key] = check(setting, raw, envName(setting.key), true);
  }
  return withMode(values);
}

function check(setting: Setting, value: unknown, source: string, fromEnv: boolean): unknown {
  const text = () => {
    if (typeof value !== "string" || value === "") throw new ConfigError(source, "must be a non-empty string");
    return value;
  };
  switch (setting.kind) {
    case "string":
      return text();
    case "url":
    case "key-url": {
      const url = text();
      if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
        throw new ConfigError(source, "must be an http or https URL");
      }
      // The signing keys decide whom the bot believes: fetched over plain HTTP from another host, anyone on the way
      // could hand the bot keys of their own.
      const { protocol, hostname } = new URL(url);
      if (setting.kind === "key-url" && protocol === "http:" && !loopback.has(hostname)) {
        throw new ConfigError(source, "must be an https URL, or an http URL on loopback (a local simulator)");
      }
      return url.replace(/\/+$/, "");
    }
    case "redis-url": {
      const url = text();
      if (!isRedisUrl(url)) {
        throw new ConfigError(source, "must be a redis:// or rediss:// URL, such as redis://127.0.0.1:6379");
      }
      return url;
    }
    case "redis-urls": {
      const list = fromEnv && typeof value === "string" ? value.split(",").map((item) => item.trim()) : value;
      if (
        !Array.isArray(list) ||
        list.length === 0 ||
        !list.every((url) => typeof url === "string" && isRedisUrl(url))
      ) {
        throw new ConfigError(source, "must be a list of redis:// or rediss:// URLs, such as redis://127.0.0.1:7000");
      }
      return list;
    }
    case "redis-prefix": {
      // The store puts the prefix in braces, as the hash tag that keeps a bot's keys on one Redis Cluster slot.
      const prefix = text();
      if (/[{}]/.test(prefix))
        throw new ConfigError(source, "must not contain { or }: the store adds the braces itself");
      return prefix;
    }
    case "cloud": {
      const cloud = text();
      if (/china|21vianet/i.test(cloud)) {
        throw new ConfigError(source, "participant: invite is not available in the China cloud operated by 21Vianet");
      }
      if (!clouds.includes(cloud)) throw new ConfigError(source, `must be one of ${clouds.join(", ")}`);
      return cloud;
    }
    case "telemetry": {
      if (text() !== "console") throw new ConfigError(source, 'must be "console" (or left out, for none)');
      return "console";
    }
    case "port":
    case "positive": {
      const number = fromEnv && typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
      const min = setting.kind === "port" ? 0 : 1;
      const max = setting.kind === "port" ? 65_535 : (setting.max ?? Number.MAX_SAFE_INTEGER);
      if (typeof number !== "number" || !Number.isInteger(number) || number < min || number > max) {
        throw new ConfigError(source, `must be an integer from ${min} to ${max}`);
      }
      return number;
    }
    case "list": {
      const list = fromEnv && typeof value === "string" ? value.split(",").map((item) => item.trim()) : value;
      if (!Array.isArray(list) || list.some((item) => typeof item !== "string" || item === "")) {
        throw new ConfigError(
          source,
          fromEnv ? "must be a comma-separated list" : "must be an array of non-empty strings",
        );
      }
      return list;
    }
  }
}

function withMode(values: Record<string, unknown>): BotConfig {
  const credentials = ["tenantId", "appId", "appSecret"];
  const given = credentials.filter((key) => values[key] !== undefined);
  const mode = values["simulatorUrl"] !== undefined ? "external-simulator" : given.length > 0 ? "graph" : "simulator";
  const [missing] = credentials.filter((key) => values[key] === undefined);
  if (mode !== "simulator" && missing !== undefined) {
    const why =
      mode === "graph" ? "Microsoft Graph needs a tenant, an app id and a secret" : "the simulator's app needs them";
    throw new ConfigError(envName(missing), `missing: ${why}`);
  }
  return {
    cloud: "global",
    host: "127.0.0.1",
    port: 3978,
    controlPort: 3979,
    ...values,
    mode,
  } as BotConfig;
}

function isRedisUrl(url: string): boolean {
  return URL.canParse(url) && /^rediss?:$/.test(new URL(url).protocol);
}
