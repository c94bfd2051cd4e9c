// The world of the scale-out proof: a simulated Graph in this process, N sample-bot processes (on one Redis, or one
// instance on its MemoryStore), and a round-robin proxy in front of them that every call's callbackUri points at.
import { type Simulator, start } from "@graph-invite/simulator";
import { freePort } from "@graph-invite/test-support/ports";
import type { RedisCluster, RedisServer } from "@graph-invite/test-support/redis";
import { type BotProcess, startBotProcess } from "./bot-process.js";
import { type RoundRobin, startRoundRobin } from "./round-robin.js";

export interface ScaleOutOptions {
  /** How many bot instances. More than one needs `redis`: instances on their own MemoryStore share nothing. */
  readonly instances: number;
  /** The Redis (one server or a cluster) the instances share; none: each keeps its state in its own memory. */
  readonly redis?: RedisServer | RedisCluster;
  /** The bots' GRAPH_INVITE_REDIS_PREFIX: worlds on one Redis with different prefixes share nothing. */
  readonly redisPrefix?: string;
  /** Node's own options for every bot process, such as `--cpu-prof`. */
  readonly nodeArguments?: readonly string[];
  /** The bots' GRAPH_INVITE_INVITE_TIMEOUT_MS: the deadline an invite that was never sent is given up at. */
  readonly inviteTimeoutMs?: number;
}

export interface ScaleOut {
  readonly simulator: Simulator;
  readonly proxy: RoundRobin;
  readonly bots: readonly BotProcess[];
  /** Where every call's notifications go: the proxy's notification path. */
  readonly callbackUri: string;
  readonly redis: RedisServer | RedisCluster | undefined;
  /** Stops everything it started, even when a part fails to stop; rejects with the first failure. */
  close(): Promise<void>;
}

/**
 * Starts a bot on two free ports, and on two others if one was taken in the meantime: a port free a moment ago may
 * have gone to another test's server or to a sibling instance starting at the same time.
 */
async function startOnFreePorts(
  label: string,
  env: Readonly<Record<string, string>>,
  nodeArguments: readonly string[] = [],
): Promise<BotProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startBotProcess({
        label,
        port: await freePort(),
        controlPort: await freePort(),
        env,
        nodeArguments,
      });
    } catch (error) {
      if (attempt === 3 || !(error instanceof Error) || !error.message.includes("EADDRINUSE")) throw error;
    }
  }
}

export async function startScaleOut(options: ScaleOutOptions): Promise<ScaleOut> {
  if (options.instances > 1 && options.redis === undefined) {
    throw new Error("several instances need a Redis to share: on MemoryStores each would know only what it received");
  }
  const simulator = await start();
  const bots: BotProcess[] = [];
  let proxy: RoundRobin | undefined;
  const close = async () => {
    const results = await Promise.allSettled([...bots.map((bot) => bot.stop()), proxy?.close(), simulator.close()]);
    const failed = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
    if (failed !== undefined) throw failed.reason;
  };
  try {
    const env: Record<string, string> = {
      GRAPH_INVITE_SIMULATOR_URL: simulator.url,
      GRAPH_INVITE_TENANT_ID: simulator.app.tenantId,
      GRAPH_INVITE_APP_ID: simulator.app.appId,
      GRAPH_INVITE_APP_SECRET: simulator.app.secret,
      ...(options.inviteTimeoutMs !== undefined && { GRAPH_INVITE_INVITE_TIMEOUT_MS: String(options.inviteTimeoutMs) }),
      ...redisSetting(options.redis),
      ...(options.redisPrefix !== undefined && { GRAPH_INVITE_REDIS_PREFIX: options.redisPrefix }),
    };
    const started = await Promise.allSettled(
      Array.from({ length: options.instances }, (_, index) =>
        startOnFreePorts(`bot ${index + 1}`, env, options.nodeArguments),
      ),
    );
    for (const result of started) if (result.status === "fulfilled") bots.push(result.value);
    const failed = started.find((result): result is PromiseRejectedResult => result.status === "rejected");
    if (failed !== undefined) throw failed.reason;
    proxy = await startRoundRobin(bots.map((bot) => bot.origin));
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
  return {
    simulator,
    proxy,
    bots,
    callbackUri: `${proxy.url}/api/calls`,
    redis: options.redis,
    close,
  };
}

/** The bots' setting for the shared Redis: its URL, or the cluster's root nodes. */
function redisSetting(redis: RedisServer | RedisCluster | undefined): Record<string, string> {
  if (redis === undefined) return {};
  if ("rootNodes" in redis) {
    return { GRAPH_INVITE_REDIS_CLUSTER_NODES: redis.rootNodes.map((node) => node.url).join(",") };
  }
  return { GRAPH_INVITE_REDIS_URL: redis.url };
}
