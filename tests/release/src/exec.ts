// Running the tools a release and a consumer run (pnpm, npm, tsc, esbuild, node) as child processes, with their
// output in the error when one fails, so that a failing test says what the tool said.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

export interface Ran {
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Killed, with every process it started, after this long; the default is two minutes. */
  readonly timeoutMs?: number;
}

const tail = (text: string) => (text.length > 4000 ? `…${text.slice(-4000)}` : text);

export interface Finished extends Ran {
  /** The exit code, or null when a signal ended the process. */
  readonly code: number | null;
}

/** Like run, for a command that may fail: its exit code and output, whatever the code. Only a timeout rejects. */
export function attempt(command: string, args: readonly string[], options: RunOptions): Promise<Finished> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  return new Promise((resolve, reject) => {
    // Not detached: the child stays in the terminal's process group, so a Ctrl-C reaches it and what it started.
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) killTree(child.pid);
    }, timeoutMs);
    const fail = (how: string) => reject(new Error(describeFailure(command, args, options, how, { stdout, stderr })));
    child.on("error", (error) => {
      clearTimeout(timer);
      fail(`could not start: ${error.message}`);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (timedOut) fail(`was killed after ${timeoutMs} ms`);
      else if (signal) fail(`was killed by ${signal}`);
      else resolve({ code, stdout, stderr });
    });
  });
}

export async function run(command: string, args: readonly string[], options: RunOptions): Promise<Ran> {
  const { code, stdout, stderr } = await attempt(command, args, options);
  if (code !== 0) throw new Error(describeFailure(command, args, options, `exited ${code}`, { stdout, stderr }));
  return { stdout, stderr };
}

function describeFailure(command: string, args: readonly string[], options: RunOptions, how: string, output: Ran) {
  return `${command} ${args.join(" ")} (in ${options.cwd}) ${how}\nstdout: ${tail(output.stdout)}\nstderr: ${tail(output.stderr)}`;
}

/**
 * The environment of a shell, not of the pnpm script that runs these tests: pnpm passes its own settings as lowercase
 * npm_config_* variables (catalog, overrides, frozen-lockfile, ...) and describes the script in npm_package_* and
 * npm_lifecycle_*, which npm would read as its own. A user's NPM_CONFIG_* settings (in capitals) stay, and so does
 * ~/.npmrc, where a registry mirror or proxy belongs. NODE_PATH goes too: pnpm points it into the workspace's store,
 * where require() would find a package an application failed to install.
 */
export const shellEnv: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !/^(npm_|pnpm_|PNPM_)/.test(key) && key !== "NODE_PATH"),
);

/** The process and everything it started (npm's install scripts, the npm that pnpm runs), from Linux's /proc. */
function processTree(pid: number): number[] {
  let children: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const listed = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
      if (listed) children = children.concat(listed.split(" ").map(Number));
    }
  } catch {
    // Gone already, or no /proc (macOS): the process itself is all there is to kill.
  }
  return [pid, ...children.flatMap(processTree)];
}

function killTree(pid: number) {
  for (const member of processTree(pid)) {
    try {
      process.kill(member, "SIGKILL");
    } catch {
      // It exited meanwhile.
    }
  }
}
