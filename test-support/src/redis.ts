// A real redis-server for the tests that need one: started on a free loopback port, never the system service, and
// stopped with the test process. No Docker and no in-process fake: the store's compare-and-set, pub/sub and
// reconnects are only proven against the server operators run.
import { accessSync, constants, mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { freePort } from "./ports.js";
import { atProcessExit, type StartedProcess, startProcess } from "./processes.js";

/**
 * `GRAPH_INVITE_SKIP_REDIS=1` skips the tests that need redis-server, for a quick local run on a machine without it.
 * Without it, a missing binary fails those tests: CI must never pass by skipping them.
 */
export const skipRedisTests: boolean = process.env["GRAPH_INVITE_SKIP_REDIS"] === "1";

export interface StartRedisOptions {
  /**
   * Keep the data across {@link RedisServer.restart}: an append-only file in a temporary folder, flushed on every
   * write. Default false: nothing is written to disk.
   */
  readonly persistent?: boolean;
  /** How long the server may take to answer PING. Default 10 s. */
  readonly readyTimeoutMs?: number;
  /** Where to look for `redis-server`. Default: the PATH. */
  readonly searchPath?: string;
  /**
   * Start it as a Redis Cluster node (`--cluster-enabled yes`), with a folder of its own for its node table and a
   * free port for the cluster bus. {@link startRedisCluster} joins such nodes into a cluster.
   */
  readonly clusterNode?: boolean;
}

export interface RedisServer {
  /** `redis://127.0.0.1:<port>`, for a client. */
  readonly url: string;
  readonly port: number;
  /**
   * Sends one command on a connection of its own and resolves with the reply as text (a status, a bulk string or an
   * integer): for tests that inspect the server, such as `INFO commandstats` or `DBSIZE`. An error reply rejects.
   */
  command(...args: string[]): Promise<string>;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its folder. */
  stop(): Promise<void>;
  /** Kills the server with SIGKILL, as a crash would, and removes its folder. */
  kill(): Promise<void>;
  /** Stops the server and starts it again on the same port and folder: with `persistent`, the data is still there. */
  restart(): Promise<void>;
}

const installHint =
  "the Redis tests start their own redis-server (and redis-cli, to make a cluster), and one was not found on the " +
  "PATH. Install them: `apt-get install redis-server redis-tools` (Debian, Ubuntu) or `brew install redis` (macOS). " +
  "To skip these tests for a quick local run, set GRAPH_INVITE_SKIP_REDIS=1.";

/** The redis-server binary on the search path; throws with the way to install it when there is none. */
function findRedisServer(searchPath = process.env["PATH"] ?? "", name = "redis-server"): string {
  for (const folder of searchPath.split(delimiter)) {
    if (folder === "") continue;
    const candidate = join(folder, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  throw new Error(installHint);
}

/** Starts a redis-server on a free loopback port and resolves once it answers PING. */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const binary = findRedisServer(options.searchPath);
  const port = await freePort();
  const clusterNode = options.clusterNode === true;
  const ownDir = options.persistent === true || clusterNode;
  const dir = ownDir ? mkdtempSync(join(tmpdir(), "graph-invite-redis-")) : undefined;
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", ""];
  args.push(
    ...(options.persistent === true ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"]),
  );
  if (clusterNode) {
    // The node table lives in the node's folder, so a node restarted there rejoins as itself.
    args.push("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf");
    args.push("--cluster-port", String(await freePort()), "--cluster-node-timeout", "5000");
  }
  // Without a folder of its own, the server still needs a writable working directory; it writes nothing there.
  args.push("--dir", dir ?? tmpdir());
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;

  let server: StartedProcess | undefined;
  // A test process that dies without its afterAll must not leave a folder behind (startProcess kills the server).
  const forget = atProcessExit(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  let restarted = false;
  const launch = async () => {
    // The last few kilobytes are enough to say why it did not start.
    const started = startProcess(binary, args, { label: `redis-server on port ${port}`, keptChars: 4096 });
    server = started;
    await waitForPing(port, started, readyTimeoutMs);
    // A cluster node is of use once it sees the cluster whole again, not at its first PONG.
    if (clusterNode && restarted) await waitForCluster(port, readyTimeoutMs);
  };

  const end = (signal: NodeJS.Signals) => {
    const running = server;
    server = undefined;
    return running?.stop(signal);
  };
  const cleanUp = () => {
    forget();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  };

  try {
    await launch();
  } catch (error) {
    await end("SIGKILL");
    cleanUp();
    throw error;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    command: (...command) => sendCommand(port, command),
    async stop() {
      await end("SIGTERM");
      cleanUp();
    },
    async kill() {
      await end("SIGKILL");
      cleanUp();
    },
    async restart() {
      await end("SIGTERM");
      restarted = true;
      await launch();
    },
  };
}

export interface StartRedisClusterOptions extends StartRedisOptions {
  /**
   * Replicas of each primary, as a cluster of a managed offering has them. Default 0. With replicas, the cluster is
   * resolved once every node lists them (CLUSTER SLOTS) and each has its primary's data (`master_link_status:up`), so
   * that a client made with `useReplicas: true` finds them and can read from them at once.
   */
  readonly replicasPerPrimary?: number;
}

export interface RedisCluster {
  /** The three primaries, in the order they were started. */
  readonly nodes: readonly RedisServer[];
  /** The replicas, none unless asked for with {@link StartRedisClusterOptions.replicasPerPrimary}. */
  readonly replicas: readonly RedisServer[];
  /** For `createCluster({ rootNodes })`. */
  readonly rootNodes: ReadonlyArray<{ readonly url: string }>;
  /** The primary that serves `key`'s slot. */
  nodeFor(key: string): Promise<RedisServer>;
  /** Stops every node and removes their folders. */
  stop(): Promise<void>;
}

/**
 * A real Redis Cluster of three primaries: `redis-server --cluster-enabled yes` on free loopback ports, joined by
 * `redis-cli --cluster create`, resolved once every node reports `cluster_state:ok`. No replicas unless asked for.
 * With `persistent`, each node keeps an append-only file, so that a node restarted comes back with its data.
 */
export async function startRedisCluster(options: StartRedisClusterOptions = {}): Promise<RedisCluster> {
  const cli = findRedisServer(options.searchPath, "redis-cli");
  const replicasPerPrimary = options.replicasPerPrimary ?? 0;
  const started: RedisServer[] = [];
  const stop = () => Promise.all(started.map((node) => node.stop())).then(() => undefined);
  const nodes: RedisServer[] = [];
  const replicas: RedisServer[] = [];
  try {
    for (let index = 0; index < 3 * (1 + replicasPerPrimary); index++) {
      started.push(await startRedis({ ...options, clusterNode: true }));
    }
    const addresses = started.map((node) => `127.0.0.1:${node.port}`);
    await runCli(cli, [
      "--cluster",
      "create",
      ...addresses,
      "--cluster-replicas",
      String(replicasPerPrimary),
      "--cluster-yes",
    ]);
    const deadline = Date.now() + (options.readyTimeoutMs ?? 20_000);
    const waitFor = async (node: RedisServer, ready: (reply: string) => boolean, ...command: string[]) => {
      while (!ready(await node.command(...command))) {
        if (Date.now() > deadline) throw new Error(`the cluster on ${addresses.join(", ")} did not become ready`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    // A client learns the nodes from the one it asks first (CLUSTER SLOTS), which lists a replica only a little after
    // it has joined: every node must list every other.
    const ids = await Promise.all(started.map(async (node) => (await node.command("CLUSTER", "MYID")).trim()));
    for (const node of started) {
      await waitFor(node, (info) => /cluster_state:ok/.test(info), "CLUSTER", "INFO");
      await waitFor(node, (slots) => ids.every((id) => slots.includes(id)), "CLUSTER", "SLOTS");
    }
    // redis-cli chooses which nodes become replicas: each node says what it is.
    for (const node of started) {
      const replica = /^role:slave\r?$/m.test(await node.command("INFO", "replication"));
      (replica ? replicas : nodes).push(node);
      if (replica) await waitFor(node, (info) => /^master_link_status:up\r?$/m.test(info), "INFO", "replication");
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    nodes,
    replicas,
    rootNodes: nodes.map((node) => ({ url: node.url })),
    async nodeFor(key) {
      const [first] = nodes;
      const slot = Number(await (first as RedisServer).command("CLUSTER", "KEYSLOT", key));
      for (const node of nodes) {
        const own = (await node.command("CLUSTER", "MYID")).trim();
        const table = await node.command("CLUSTER", "NODES");
        const mine = table.split("\n").find((line) => line.startsWith(own));
        // Slot ranges are the ninth field on: `0-5460`, or a single slot.
        for (const range of mine?.split(" ").slice(8) ?? []) {
          const [from, to = from] = range.split("-").map(Number);
          if (from !== undefined && to !== undefined && slot >= from && slot <= to) return node;
        }
      }
      throw new Error(`no node serves slot ${slot}`);
    },
    stop,
  };
}

/** Runs redis-cli to its end; rejects with its output when it fails. */
async function runCli(cli: string, args: readonly string[]): Promise<void> {
  const run = startProcess(cli, args, { label: "redis-cli" });
  const [code] = await run.exited;
  if (code !== 0) throw new Error(`redis-cli ${args.join(" ")} exited ${code}: ${run.output()}`);
}

/** Polls CLUSTER INFO until the node reports `cluster_state:ok`. */
async function waitForCluster(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!/cluster_state:ok/.test(await sendCommand(port, ["CLUSTER", "INFO"]))) {
    if (Date.now() > deadline) throw new Error(`the cluster node on port ${port} did not see the cluster whole again`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Polls PING until the server answers PONG (not LOADING, while it replays its file), it exits, or time runs out. */
async function waitForPing(port: number, server: StartedProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const { child } = server;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `redis-server on port ${port} exited (${child.exitCode ?? child.signalCode}): ${server.output()}`,
      );
    }
    try {
      if ((await sendCommand(port, ["PING"], 1000)) === "PONG") return;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(
    `redis-server on port ${port} did not answer PING within ${timeoutMs} ms (${last}): ${server.output()}`,
  );
}

/** One command in RESP over a fresh connection; the reply's text. Enough for PING, INFO, CONFIG GET, SET and GET. */
function sendCommand(port: number, args: readonly string[], timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    let received = Buffer.alloc(0);
    const fail = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(timeoutMs, () => fail(new Error(`redis ${args[0]} got no reply within ${timeoutMs} ms`)));
    socket.on("error", fail);
    socket.on("connect", () => {
      const parts = args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`);
      socket.write(`*${args.length}\r\n${parts.join("")}`);
    });
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const reply = parseReply(received);
      if (reply === undefined) return;
      socket.end();
      if (reply.error) reject(new Error(`redis ${args[0]}: ${reply.text}`));
      else resolve(reply.text);
    });
  });
}

/**
 * A complete reply at `offset` in `buffer` and where it ends, or undefined while more is to come. An array's items
 * are joined with new lines (`CONFIG GET dir` gives `dir\n/tmp/…`).
 */
function parseReply(buffer: Buffer, offset = 0): { text: string; error: boolean; end: number } | undefined {
  const lineEnd = buffer.indexOf("\r\n", offset);
  if (lineEnd === -1) return undefined;
  const type = String.fromCharCode(buffer[offset] ?? 0);
  const line = buffer.subarray(offset + 1, lineEnd).toString("utf8");
  const end = lineEnd + 2;
  if (type === "+" || type === ":") return { text: line, error: false, end };
  if (type === "-") return { text: line, error: true, end };
  const length = Number(line);
  if (type === "$") {
    if (length < 0) return { text: "", error: false, end };
    if (buffer.length < end + length + 2) return undefined;
    return { text: buffer.subarray(end, end + length).toString("utf8"), error: false, end: end + length + 2 };
  }
  if (type === "*") {
    const items: string[] = [];
    let next = end;
    for (let index = 0; index < length; index++) {
      const item = parseReply(buffer, next);
      if (item === undefined) return undefined;
      items.push(item.text);
      next = item.end;
    }
    return { text: items.join("\n"), error: false, end: next };
  }
  return { text: `a reply of type ${type}, which this helper does not read`, error: true, end: buffer.length };
}
