// One instance of the sample bot (apps/bot), as its own Node process: `graph-invite-bot serve`, configured by its
// GRAPH_INVITE_* variables, with its notification endpoint and control API on fixed loopback ports so that a
// restarted instance comes back where the load balancer expects it.
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { atProcessExit, endProcess } from "../../../test-support/processes.js";

/** The bot's bin: beside its dist/, which is what `@graph-invite/bot` resolves to. */
const botBin = join(dirname(createRequire(import.meta.url).resolve("@graph-invite/bot")), "../bin/graph-invite-bot.js");

export interface BotProcessOptions {
  /** Names the instance in errors, such as `bot 2`. */
  readonly label: string;
  readonly port: number;
  readonly controlPort: number;
  /** GRAPH_INVITE_* settings beyond the ports. */
  readonly env: Readonly<Record<string, string>>;
  /** How long the process may take to serve. Default 20 s. */
  readonly readyTimeoutMs?: number;
}

export interface BotProcess {
  readonly label: string;
  /** The notification endpoint's origin, for the load balancer. */
  readonly origin: string;
  /** The control API's origin. */
  readonly controlUrl: string;
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

/** How many of its last lines an instance keeps: it prints a line per step of every invite. */
const keptLines = 200;

export async function startBotProcess(options: BotProcessOptions): Promise<BotProcess> {
  const lines: string[] = [];
  let child: ChildProcess | undefined;
  const forget = atProcessExit(() => child?.kill("SIGKILL"));

  const launch = async () => {
    const started = spawn(process.execPath, [botBin, "serve"], {
      env: {
        ...process.env,
        ...options.env,
        GRAPH_INVITE_PORT: String(options.port),
        GRAPH_INVITE_CONTROL_PORT: String(options.controlPort),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = started;
    let partial = "";
    const keep = (chunk: Buffer) => {
      const text = partial + chunk.toString("utf8");
      const split = text.split("\n");
      partial = split.pop() ?? "";
      lines.push(...split);
      if (lines.length > keptLines) lines.splice(0, lines.length - keptLines);
    };
    started.stdout?.on("data", keep);
    started.stderr?.on("data", keep);
    await waitForBanner(started, lines, options);
  };

  const end = (signal: NodeJS.Signals) => {
    const running = child;
    child = undefined;
    return endProcess(running, signal);
  };

  try {
    await launch();
  } catch (error) {
    await end("SIGKILL");
    forget();
    throw error;
  }
  return {
    label: options.label,
    origin: `http://127.0.0.1:${options.port}`,
    controlUrl: `http://127.0.0.1:${options.controlPort}`,
    pid: () => child?.pid,
    kill: () => end("SIGKILL"),
    restart: launch,
    async stop() {
      await end("SIGTERM");
      forget();
    },
    output: () => lines.join("\n"),
  };
}

/** Resolves once `serve` printed its control line (it listens by then); rejects if it exits or takes too long. */
function waitForBanner(child: ChildProcess, lines: readonly string[], options: BotProcessOptions): Promise<void> {
  const timeoutMs = options.readyTimeoutMs ?? 20_000;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (lines.some((line) => line.trimStart().startsWith("control "))) finish();
    };
    const onExit = (code: number | null, signal: string | null) =>
      finish(new Error(`${options.label} exited (${code ?? signal}) before it served:\n${lines.join("\n")}`));
    const timer = setTimeout(
      () => finish(new Error(`${options.label} did not serve within ${timeoutMs} ms:\n${lines.join("\n")}`)),
      timeoutMs,
    );
    const finish = (error?: Error) => {
      clearTimeout(timer);
      child.stdout?.off("data", check);
      child.off("exit", onExit);
      if (error === undefined) resolve();
      else reject(error);
    };
    // Registered after the line keeper, so that the line is kept by the time it is checked.
    child.stdout?.on("data", check);
    child.once("exit", onExit);
  });
}
