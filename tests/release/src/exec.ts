// Running the tools a release and a consumer run (pnpm, npm, tsc, esbuild, node) as child processes, with their
// output in the error when one fails, so that a failing test says what the tool said.
import { execFile } from "node:child_process";

export interface Ran {
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Killed after this long; the default is two minutes. */
  readonly timeoutMs?: number;
}

const tail = (text: string) => (text.length > 4000 ? `…${text.slice(-4000)}` : text);

export function run(command: string, args: readonly string[], options: RunOptions): Promise<Ran> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {
        cwd: options.cwd,
        env: options.env ?? process.env,
        timeout: options.timeoutMs ?? 120_000,
        killSignal: "SIGKILL",
        maxBuffer: 64 * 1024 * 1024,
        encoding: "utf8",
      },
      (error, stdout, stderr) => {
        if (error) {
          const how = error.killed ? `was killed after ${options.timeoutMs ?? 120_000} ms` : `exited ${error.code}`;
          const output = [`stdout: ${tail(stdout)}`, `stderr: ${tail(stderr)}`].join("\n");
          reject(new Error(`${command} ${args.join(" ")} (in ${options.cwd}) ${how}\n${output}`));
          return;
        }
        resolve({ stdout, stderr });
      },
    );
  });
}
