// graph-invite-bot as real processes (bin/graph-invite-bot.js, which runs dist/): `serve` prints its banner and
// keeps running, a second process creates a call and invites through it (exit 0, the lifecycle on stdout), SIGTERM
// stops `serve` with exit 0; `--help` exits 0, and usage, configuration and connection errors exit 2, 2 and 1 with
// no stack trace. Build dist first (`npx turbo run build --filter=@graph-invite/bot`); `pnpm test` does.
import { resolve } from "node:path";
import { freePort } from "@graph-invite/test-support/ports";
import { type StartedProcess, startProcess } from "@graph-invite/test-support/processes";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { usage } from "../src/cli.js";

const bin = resolve(import.meta.dirname, "../bin/graph-invite-bot.js");

/** Every process a test started; whatever still runs is killed after each test, and after the file. */
const running = new Set<StartedProcess>();
async function killAll(): Promise<void> {
  const started = [...running];
  running.clear();
  await Promise.all(started.map((each) => each.stop("SIGKILL")));
}

/** The environment without the caller's GRAPH_INVITE_* settings, plus `env`. */
function environment(env: Record<string, string>): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("GRAPH_INVITE_")));
  return { ...clean, ...env };
}

function bot(argv: string[], env: Record<string, string> = {}): StartedProcess {
  const started = startProcess(process.execPath, [bin, ...argv], { env: environment(env), label: "graph-invite-bot" });
  running.add(started);
  return started;
}

/** Runs a command to its end. */
async function command(argv: string[], env: Record<string, string> = {}) {
  const spawned = bot(argv, env);
  const [code, signal] = await spawned.exited;
  const result = { code, signal, stdout: spawned.stdout(), stderr: spawned.stderr() };
  expect(`${result.stdout}${result.stderr}`).not.toMatch(/\n\s+at /);
  return result;
}

afterEach(killAll);
afterAll(killAll);

describe("serve, and a second process that drives it", () => {
  // Not in `running`: this one lives for the group, and is killed after it (or stopped by the last test).
  let served: StartedProcess | undefined;
  let banner = "";
  let controlUrl = "";
  const serve = () => {
    if (served === undefined) throw new Error("serve has not started");
    return served;
  };
  const controlEnv = () => ({ GRAPH_INVITE_CONTROL_PORT: new URL(controlUrl).port });

  beforeAll(async () => {
    served = bot(["serve"], { GRAPH_INVITE_PORT: "0", GRAPH_INVITE_CONTROL_PORT: "0" });
    running.delete(served);
    banner = await served.waitForLine(/^ {2}simulator {6}http:/);
    controlUrl = /^ {2}control {8}(http:\/\/127\.0\.0\.1:\d+) \(loopback only\)$/m.exec(banner)?.[1] ?? "";
  });
  afterAll(() => served?.stop("SIGKILL"));

  it("prints the banner and keeps running", async () => {
    expect(banner).toMatch(
      /^graph-invite-bot: talking to a simulator in this process\n {2}notifications {2}http:\/\/127\.0\.0\.1:\d+\/api\/calls\n/,
    );
    expect(controlUrl).not.toBe("");
    const status = (await (await fetch(`${controlUrl}/status`)).json()) as { mode: string };
    expect(status.mode).toBe("simulator");
    expect(serve().child.exitCode).toBeNull();
    expect(serve().stderr()).toBe("");
  });

  it("an invite through a second process exits 0 with the lifecycle on stdout", async () => {
    const call = await command(["call", "--kind", "group", "--json"], controlEnv());
    expect({ code: call.code, stderr: call.stderr }).toEqual({ code: 0, stderr: "" });
    const { id } = JSON.parse(call.stdout) as { id: string };

    const invite = await command(["invite", "user", "u-process", "--call", id, "--name", "Ann"], controlEnv());
    expect(invite.stderr).toBe("");
    expect(invite.code).toBe(0);
    const lines = invite.stdout.split("\n");
    expect(lines[0]).toMatch(new RegExp(`^invite \\S+ into call ${id}: completed: operation \\S+`));
    expect(lines.filter((line) => /^ {2}\d\d:/.test(line)).map((line) => line.slice(16).split(" ")[0])).toEqual([
      "sent",
      "accepted",
      "notification",
    ]);
    expect(invite.stdout).toContain(`roster of call ${id}: 1 in the call\n  • Ann (user u-process)\n`);
    // serve printed each step as it happened.
    expect(serve().stdout()).toMatch(/^operation \S+ {2}notification +completed/m);
    expect(serve().stdout()).toContain(`call ${id}  + Ann (user u-process) joined`);
    expect(serve().child.exitCode).toBeNull();
  });

  it("SIGTERM stops serve with exit 0, and its ports close", async () => {
    serve().child.kill("SIGTERM");
    expect(await serve().exited).toEqual([0, null]);
    expect(serve().stderr()).toBe("");
    await expect(fetch(`${controlUrl}/status`)).rejects.toThrow();
    const after = await command(["operations"], controlEnv());
    expect(after.code).toBe(1);
    expect(after.stderr).toContain("no bot is running");
  });
});

describe("commands that exit at once", () => {
  it("--help prints the usage on stdout and exits 0", async () => {
    expect(await command(["--help"])).toEqual({ code: 0, signal: null, stdout: usage, stderr: "" });
  });

  it.each([
    [["invite", "robot", "r1", "--call", "c1"], '<who> is user, guest, phone or app, not "robot"'],
    [["--bogus"], "Unknown option '--bogus'"],
  ])("the usage error %j exits 2 with the reason and the usage on stderr and no stack trace", async (argv, reason) => {
    const { code, stdout, stderr } = await command(argv);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain(reason);
    expect(stderr).toContain(usage);
  });

  it("no command at all exits 2 with the usage alone on stderr", async () => {
    expect(await command([])).toEqual({ code: 2, signal: null, stdout: "", stderr: usage });
  });

  it("a configuration error exits 2, naming the variable", async () => {
    const { code, stdout, stderr } = await command(["serve"], { GRAPH_INVITE_PORT: "70000" });
    expect({ code, stdout, stderr }).toEqual({
      code: 2,
      stdout: "",
      stderr: "graph-invite-bot: GRAPH_INVITE_PORT: must be an integer from 0 to 65535\n",
    });
  });

  it("a command with no bot running exits 1", async () => {
    const port = await freePort();
    const { code, stdout, stderr } = await command(["roster", "--call", "c1"], {
      GRAPH_INVITE_CONTROL_PORT: String(port),
    });
    expect({ code, stdout }).toEqual({ code: 1, stdout: "" });
    expect(stderr).toBe(
      `graph-invite-bot: no bot is running at http://127.0.0.1:${port}: start one with "graph-invite-bot serve"\n`,
    );
  });
});
