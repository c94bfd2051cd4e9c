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

export function run(command: string, args: readonly string[], options: RunOptions): Promise<Ran> {
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
    const fail = (how: string) =>
      reject(
        new Error(
          `${command} ${args.join(" ")} (in ${options.cwd}) ${how}\nstdout: ${tail(stdout)}\nstderr: ${tail(stderr)}`,
        ),
      );
    child.on("error", (error) => {
      clearTimeout(timer);
      fail(`could not start: ${error.message}`);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (timedOut) fail(`was killed after ${timeoutMs} ms`);
      else if (code !== 0) fail(signal ? `was killed by ${signal}` : `exited ${code}`);
      else resolve({ stdout, stderr });
    });
  });
}

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
