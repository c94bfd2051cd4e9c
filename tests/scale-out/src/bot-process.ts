// One instance of the sample bot (apps/bot), as its own Node process: `graph-invite-bot serve`, configured by its
// GRAPH_INVITE_* variables, with its notification endpoint and control API on fixed loopback ports so that a
// restarted instance comes back where the load balancer expects it.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { ControlClient } from "@graph-invite/bot/control";
import { type StartedProcess, startProcess } from "@graph-invite/test-support/processes";

/** The bot's bin, as its package.json names it. */
const botBin = (() => {
  const manifest = createRequire(import.meta.url).resolve("@graph-invite/bot/package.json");
  const { bin } = JSON.parse(readFileSync(manifest, "utf8")) as { bin: Record<string, string> };
  return join(dirname(manifest), bin["graph-invite-bot"] ?? "bin/graph-invite-bot.js");
})();

/** Every wait on an instance's control API is bounded; an invite's own wait is its deadline. */
const controlTimeoutMs = 30_000;

export interface BotProcessOptions {
  /** Names the instance in errors, such as `bot 2`. */
  readonly label: string;
  readonly port: number;
  readonly controlPort: number;
  /** GRAPH_INVITE_* settings beyond the ports. */
  readonly env: Readonly<Record<string, string>>;
  /** How long the process may take to serve. Default 20 s. */
  readonly readyTimeoutMs?: number;
  /** Node's own options before the script, such as `--cpu-prof`. */
  readonly nodeArguments?: readonly string[];
}

export interface BotProcess {
  readonly label: string;
  /** The notification endpoint's origin, for the load balancer. */
  readonly origin: string;
  /** The control API's origin. */
  readonly controlUrl: string;
  /** The instance's control API. */
  readonly control: ControlClient;
  /** The process id of the running instance. */
  pid(): number | undefined;
  /** Sends SIGKILL, as a crash would, and resolves once the process is gone. */
  kill(): Promise<void>;
  /** Starts the instance again on the same ports, after {@link BotProcess.kill}. */
  restart(): Promise<void>;
  /** Stops it with SIGTERM (SIGKILL after 5 s). */
  stop(): Promise<void>;
  /** The last lines it printed, for a failure's message. */
  output(): string;
}

/** How much of its output an instance keeps: it prints a line per step of every invite (about 200 lines). */
const keptChars = 20_000;

export async function startBotProcess(options: BotProcessOptions): Promise<BotProcess> {
  let running: StartedProcess | undefined;
  let last: StartedProcess | undefined;
  /** What the instance printed before its latest restart. */
  let earlier = "";
  const output = () => `${earlier}${last?.output() ?? ""}`.slice(-keptChars);

  const launch = async () => {
    earlier = output();
    const started = startProcess(process.execPath, [...(options.nodeArguments ?? []), botBin, "serve"], {
      label: options.label,
      env: {
        ...process.env,
        ...options.env,
        GRAPH_INVITE_PORT: String(options.port),
        GRAPH_INVITE_CONTROL_PORT: String(options.controlPort),
      },
      keptChars,
    });
    running = started;
    last = started;
    // `serve` listens by the time it prints its control line.
    await started.waitForLine(/^\s*control /, options.readyTimeoutMs ?? 20_000);
  };

  const end = (signal: NodeJS.Signals) => {
    const stopping = running;
    running = undefined;
    return stopping?.stop(signal) ?? Promise.resolve();
  };

  try {
    await launch();
  } catch (error) {
    await end("SIGKILL");
    throw error;
  }
  const controlUrl = `http://127.0.0.1:${options.controlPort}`;
  return {
    label: options.label,
    origin: `http://127.0.0.1:${options.port}`,
    controlUrl,
    control: new ControlClient(controlUrl, { timeoutMs: controlTimeoutMs }),
    pid: () => running?.child.pid,
    kill: () => end("SIGKILL"),
    restart: launch,
    stop: () => end("SIGTERM"),
    output,
  };
}
