// graph-invite-bot run in process through `run`: its usage and configuration errors (exit 2, told on standard
// error without a stack trace), a command with no bot to talk to (exit 1), and every command against a bot that
// `serve` started on free ports, in simulator mode and against an external simulator: calls, invites of each kind,
// replace, move, rosters, operations, a declined invite (exit 1) and an invite that times out.
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, request as httpRequest } from "node:http";
import type { AddressInfo, Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { OperationRecord, Roster } from "@graph-invite/bot-kit";
import { type Simulator, start } from "@graph-invite/simulator";
import { freePort } from "@graph-invite/test-support/ports";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type CliIo, run, type Served, usage } from "../src/cli.js";

type Env = Record<string, string>;

interface Ran {
  readonly code: number;
  /** Standard output. */
  readonly output: string;
  /** Standard error. */
  readonly errors: string;
}

const configDir = mkdtempSync(join(tmpdir(), "graph-invite-bot-cli-"));
afterAll(() => rmSync(configDir, { recursive: true, force: true }));

function configFile(content: unknown): string {
  const path = join(configDir, `${randomUUID()}.json`);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

function io(env: Env, sink: { output: string; errors: string }): CliIo {
  return {
    env,
    readFile: (path) => readFileSync(path, "utf8"),
    write: (text) => {
      sink.output += text;
    },
    error: (text) => {
      sink.errors += text;
    },
  };
}

/** Runs a command that is not `serve`; it must exit, and print no stack trace. */
async function cli(env: Env, ...argv: string[]): Promise<Ran> {
  const sink = { output: "", errors: "" };
  const result = await run(argv, io(env, sink));
  if (typeof result !== "number") {
    await result.close();
    throw new Error(`${argv.join(" ")} served a bot instead of exiting`);
  }
  expect(`${sink.output}${sink.errors}`).not.toMatch(/\n\s+at /);
  return { code: result, ...sink };
}

interface ServedBot {
  /** The environment that points a command at this bot's control API. */
  readonly env: Env;
  readonly banner: string;
  readonly notificationsUrl: string;
  readonly controlUrl: string;
  readonly simulatorUrl: string;
  /** Everything `serve` printed so far: the banner, then a line per event. */
  log(): string;
}

/** Runs `serve` on free ports with `env`; returns the bot and what its banner said. */
async function serve(env: Env): Promise<{ served: Served; bot: ServedBot }> {
  const sink = { output: "", errors: "" };
  const result = await run(["serve"], io({ GRAPH_INVITE_PORT: "0", GRAPH_INVITE_CONTROL_PORT: "0", ...env }, sink));
  if (typeof result === "number") throw new Error(`serve exited ${result}: ${sink.errors}`);
  const banner = sink.output;
  const url = (label: string) => {
    const found = new RegExp(`^ {2}${label} +(http://\\S+)`, "m").exec(banner)?.[1];
    if (found === undefined) throw new Error(`no ${label} URL in the banner:\n${banner}`);
    return found;
  };
  const controlUrl = url("control");
  return {
    served: result,
    bot: {
      env: { GRAPH_INVITE_CONTROL_PORT: new URL(controlUrl).port },
      banner,
      notificationsUrl: url("notifications"),
      controlUrl,
      simulatorUrl: url("simulator"),
      log: () => `${sink.output}${sink.errors}`,
    },
  };
}

/** A bot served before the group's tests and closed after them. */
function servedBot(env: () => Env = () => ({})): () => ServedBot {
  let served: Served | undefined;
  let bot: ServedBot | undefined;
  beforeAll(async () => {
    ({ served, bot } = await serve(env()));
  });
  afterAll(async () => {
    await served?.close();
  });
  return () => {
    if (bot === undefined) throw new Error("the bot has not started");
    return bot;
  };
}

async function json<T>(response: Promise<Response>): Promise<T> {
  const answer = await response;
  const body = (await answer.json()) as T;
  if (!answer.ok) throw new Error(`HTTP ${answer.status}: ${JSON.stringify(body)}`);
  return body;
}

/** Creates a call through the CLI and returns its id. */
async function createCall(bot: ServedBot, kind: "group" | "meeting" | "p2p"): Promise<string> {
  const { code, output, errors } = await cli(bot.env, "call", "--kind", kind, "--json");
  expect({ code, errors }).toEqual({ code: 0, errors: "" });
  const call = JSON.parse(output) as { id: string; kind: string };
  expect(call.kind).toBe(kind);
  return call.id;
}

/** What a completed invite prints: its outcome, its lifecycle, then the roster. */
function expectCompleted(ran: Ran, callId: string): void {
  expect(ran.errors).toBe("");
  expect(ran.code).toBe(0);
  const lines = ran.output.split("\n");
  expect(lines[0]).toMatch(new RegExp(`^invite \\S+ into call ${callId}: completed: operation \\S+, clientContext `));
  const steps = lines.filter((line) => /^ {2}\d\d:\d\d:\d\d\.\d{3} {2}/.test(line)).map((line) => line.slice(16));
  expect(steps).toEqual([
    expect.stringMatching(/^sent +POST \/communications\/calls\/.+\/participants\/invite$/),
    expect.stringMatching(/^accepted +running/),
    expect.stringMatching(/^notification +completed/),
  ]);
  expect(lines).toContain(
    `roster of call ${callId}: ${lines.filter((line) => line.startsWith("  • ")).length} in the call`,
  );
}

describe("usage", () => {
  const none = {};

  it("--help prints the usage on standard output and exits 0", async () => {
    expect(await cli(none, "--help")).toEqual({ code: 0, output: usage, errors: "" });
    expect(usage).toMatch(/^Usage: graph-invite-bot <command>/);
    expect(await cli(none, "invite", "--help")).toEqual({ code: 0, output: usage, errors: "" });
  });

  it("no command prints the usage on standard error and exits 2", async () => {
    expect(await cli(none)).toEqual({ code: 2, output: "", errors: usage });
  });

  it.each([
    [["dance"], 'graph-invite-bot: unknown command "dance"'],
    [["--bogus"], "graph-invite-bot: Unknown option '--bogus'"],
    [["roster", "--call"], "graph-invite-bot: Option '--call <value>' argument missing"],
    [["serve", "--json=yes"], "graph-invite-bot: Option '--json' does not take an argument"],
    [["invite", "user"], "graph-invite-bot: invite needs <who> and <id>"],
    [["invite", "robot", "r1", "--call", "c1"], 'graph-invite-bot: <who> is user, guest, phone or app, not "robot"'],
    [["invite", "guest", "g1", "--call", "c1"], "graph-invite-bot: --name is required"],
    [["invite", "user", "u1"], "graph-invite-bot: --call is required"],
    [["invite", "user", "u1", "--call", ""], "graph-invite-bot: --call is required"],
    [["replace", "user", "u1", "--call", "c1"], "graph-invite-bot: --replaces is required"],
    [["move", "user", "u1", "--call", "c1", "--from", "m1"], "graph-invite-bot: --participant is required"],
    [["invite", "user", "u1", "--call", "c1", "--timeout", "0"], "graph-invite-bot: --timeout is a positive"],
    [["invite", "user", "u1", "--call", "c1", "--timeout", "1s"], "graph-invite-bot: --timeout is a positive"],
    [["invite", "user", "u1", "--call", "c1", "--call-kind", "conference"], "--call-kind is group, meeting or p2p"],
    [["call"], "graph-invite-bot: --kind is group, meeting or p2p"],
    [["call", "--kind", "conference"], "graph-invite-bot: --kind is group, meeting or p2p"],
    [["roster"], "graph-invite-bot: --call is required"],
  ])("%j exits 2 with the reason and the usage on standard error", async (argv, reason) => {
    const { code, output, errors } = await cli(none, ...argv);
    expect(code).toBe(2);
    expect(output).toBe("");
    expect(errors).toMatch(/^graph-invite-bot: /);
    expect(errors).toContain(reason);
    expect(errors).toContain(usage);
  });

  it.each(["12345678901", "+012345678901", "+1 234 567 8901", "+1234567890123456"])(
    "an invalid phone number %j exits 2, saying it is not E.164",
    async (number) => {
      const { code, output, errors } = await cli(none, "invite", "phone", number, "--call", "c1");
      expect(code).toBe(2);
      expect(output).toBe("");
      expect(errors).toBe(
        `graph-invite-bot: ${JSON.stringify(number)} is not an E.164 phone number, such as +12345678901\n`,
      );
    },
  );
});

describe("configuration errors exit 2, naming the source", () => {
  it.each([
    [{ GRAPH_INVITE_CONTROL_PORT: "70000" }, "GRAPH_INVITE_CONTROL_PORT: must be an integer from 0 to 65535"],
    [{ GRAPH_INVITE_APP_ID: "a" }, "GRAPH_INVITE_TENANT_ID: missing: Microsoft Graph needs"],
    [{ GRAPH_INVITE_CLOUD: "azure" }, "GRAPH_INVITE_CLOUD: must be one of global, usGovL4, usGovL5Dod"],
  ])("%j", async (env, message) => {
    const { code, output, errors } = await cli(env, "operations");
    expect({ code, output }).toEqual({ code: 2, output: "" });
    expect(errors).toMatch(new RegExp(`^graph-invite-bot: ${message}.*\\n$`));
  });

  it("--config names the file's JSON Pointer", async () => {
    const path = configFile({ port: 70000 });
    const { code, errors } = await cli({}, "serve", "--config", path);
    expect(code).toBe(2);
    expect(errors).toBe(`graph-invite-bot: ${path}#/port: must be an integer from 0 to 65535\n`);
  });

  it("GRAPH_INVITE_CONFIG names the file too", async () => {
    const path = configFile({ cloud: "azure" });
    const { code, errors } = await cli({ GRAPH_INVITE_CONFIG: path }, "serve");
    expect(code).toBe(2);
    expect(errors).toBe(`graph-invite-bot: ${path}#/cloud: must be one of global, usGovL4, usGovL5Dod\n`);
  });

  it("a config file that cannot be read names the file and the cause", async () => {
    const path = join(configDir, "missing.json");
    const { code, errors } = await cli({}, "serve", "--config", path);
    expect(code).toBe(2);
    expect(errors).toMatch(/^graph-invite-bot: .*missing\.json: ENOENT/);
  });
});

describe("without a running bot", () => {
  it.each([
    [["roster", "--call", "c1"]],
    [["operations"]],
    [["call", "--kind", "group"]],
    [["invite", "user", "u1", "--call", "c1"]],
  ])("%j exits 1: no bot is running at the control URL", async (argv) => {
    const port = await freePort();
    const { code, output, errors } = await cli({ GRAPH_INVITE_CONTROL_PORT: String(port) }, ...argv);
    expect({ code, output }).toEqual({ code: 1, output: "" });
    expect(errors).toBe(
      `graph-invite-bot: no bot is running at http://127.0.0.1:${port}: start one with "graph-invite-bot serve"\n`,
    );
  });

  it("serve refuses the China cloud at start and exits with the reason", async () => {
    const { code, output, errors } = await cli(
      {
        GRAPH_INVITE_TENANT_ID: "t",
        GRAPH_INVITE_APP_ID: "a",
        GRAPH_INVITE_APP_SECRET: "s",
        GRAPH_INVITE_CLOUD: "China",
      },
      "serve",
    );
    expect(code).toBe(2);
    expect(output).toBe("");
    expect(errors).toBe(
      "graph-invite-bot: GRAPH_INVITE_CLOUD: participant: invite is not available in the China cloud operated by 21Vianet\n",
    );
  });

  describe("with a port taken by another server", () => {
    let other: Server | undefined;
    afterEach(async () => {
      const server = other;
      other = undefined;
      if (server !== undefined) await new Promise((closed) => server.close(closed));
    });

    /** An HTTP server that is not a graph-invite-bot: it answers everything with an HTML 404. */
    async function takePort(): Promise<number> {
      const server = createHttpServer((_, response) => {
        response.writeHead(404, { "Content-Type": "text/html" }).end("<html>not here</html>");
      });
      other = server;
      await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
      return (server.address() as AddressInfo).port;
    }

    it.each([
      ["GRAPH_INVITE_PORT", "GRAPH_INVITE_CONTROL_PORT"],
      ["GRAPH_INVITE_CONTROL_PORT", "GRAPH_INVITE_PORT"],
    ])("serve exits 1 when %s is taken, naming the address", async (taken, free) => {
      const port = await takePort();
      const { code, output, errors } = await cli({ [taken]: String(port), [free]: "0" }, "serve");
      expect({ code, output }).toEqual({ code: 1, output: "" });
      expect(errors).toBe(`graph-invite-bot: listen EADDRINUSE: address already in use 127.0.0.1:${port}\n`);
    });

    it("a command whose control port answers with something else than the bot exits 1", async () => {
      const port = await takePort();
      const { code, output, errors } = await cli({ GRAPH_INVITE_CONTROL_PORT: String(port) }, "roster", "--call", "c1");
      expect({ code, output }).toEqual({ code: 1, output: "" });
      expect(errors).toBe(
        `graph-invite-bot: http://127.0.0.1:${port}/calls/c1/roster answered HTTP 404 with something that is not graph-invite-bot's\n`,
      );
    });
  });
});

describe("a served bot in simulator mode", () => {
  const bot = servedBot();

  it("prints a banner with the notification, control and simulator URLs", async () => {
    const { banner, notificationsUrl, controlUrl, simulatorUrl } = bot();
    expect(banner.split("\n")[0]).toBe("graph-invite-bot: talking to a simulator in this process");
    expect(notificationsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/calls$/);
    expect(controlUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(banner).toContain(`  control        ${controlUrl} (loopback only)\n`);
    expect(await json(fetch(`${controlUrl}/status`))).toEqual({
      mode: "simulator",
      callbackUrl: notificationsUrl,
      simulatorUrl,
    });
    expect((await fetch(`${simulatorUrl}/simulator/state`)).status).toBe(200);
  });

  it("call --kind group --json creates a call in the simulator whose callback is the bot", async () => {
    const id = await createCall(bot(), "group");
    const state = await json<{ calls: Array<{ id: string; kind: string; callbackUri: string }> }>(
      fetch(`${bot().simulatorUrl}/simulator/state`),
    );
    expect(state.calls.find((call) => call.id === id)).toMatchObject({
      kind: "group",
      callbackUri: bot().notificationsUrl,
    });
  });

  it("call --kind meeting without --json says what it created", async () => {
    const { code, output } = await cli(bot().env, "call", "--kind", "meeting");
    expect(code).toBe(0);
    expect(output).toMatch(/^created meeting call \S+\n$/);
  });

  it("invite user --name Ann prints the lifecycle and a roster with Ann, and exits 0", async () => {
    const callId = await createCall(bot(), "group");
    const ann = randomUUID();
    const ran = await cli(bot().env, "invite", "user", ann, "--call", callId, "--name", "Ann");
    expectCompleted(ran, callId);
    expect(ran.output).toContain(`roster of call ${callId}: 1 in the call\n  • Ann (user ${ann})`);
    expect(bot().log()).toMatch(new RegExp(`^call ${callId} {2}\\+ Ann \\(user ${ann}\\) joined`, "m"));
  });

  it("invite phone, guest and app each complete, and the roster lists them all", async () => {
    const callId = await createCall(bot(), "group");
    const appId = randomUUID();
    expectCompleted(await cli(bot().env, "invite", "phone", "+12345678901", "--call", callId), callId);
    expectCompleted(await cli(bot().env, "invite", "guest", "g1", "--name", "Guest", "--call", callId), callId);
    const last = await cli(bot().env, "invite", "app", appId, "--call", callId, "--call-kind", "group");
    expectCompleted(last, callId);
    expect(last.output).toContain(`roster of call ${callId}: 3 in the call\n`);
    for (const member of ["(phone +12345678901)", "Guest (guest g1)", `(application ${appId})`]) {
      expect(last.output).toMatch(new RegExp(`^ {2}• .*${member.replace(/[()+]/g, "\\$&")}`, "m"));
    }
  });

  it("--context sets the clientContext the invite is known by", async () => {
    const callId = await createCall(bot(), "group");
    const context = `cli-${randomUUID()}`;
    const ran = await cli(bot().env, "invite", "user", "u-context", "--call", callId, "--context", context);
    expectCompleted(ran, callId);
    expect(ran.output).toMatch(
      new RegExp(`^invite ${context} into call ${callId}: completed: .*clientContext ${context}$`, "m"),
    );
  });

  it("invite --json prints the outcome and the roster as JSON; --tenant names the invitee's tenant", async () => {
    const callId = await createCall(bot(), "group");
    const ran = await cli(
      bot().env,
      "invite",
      "user",
      "u-json",
      "--call",
      callId,
      "--tenant",
      "other-tenant",
      "--json",
    );
    expect({ code: ran.code, errors: ran.errors }).toEqual({ code: 0, errors: "" });
    const { outcome, roster } = JSON.parse(ran.output) as { outcome: OperationRecord; roster: Roster };
    expect(outcome).toMatchObject({ callId, status: "completed" });
    expect(outcome.request.participants[0]?.identity).toMatchObject({
      user: { id: "u-json", tenantId: "other-tenant" },
    });
    expect(roster).toMatchObject({
      callId,
      ended: false,
      participants: [{ participant: { info: { identity: { user: { id: "u-json" } } } } }],
    });
  });

  it("invite --call-kind p2p with one invitee into a peer-to-peer call is fine", async () => {
    const callId = await createCall(bot(), "p2p");
    expectCompleted(await cli(bot().env, "invite", "user", "u-p2p", "--call", callId, "--call-kind", "p2p"), callId);
  });

  it("replace: the invitee joins the group call, and the peer-to-peer call ends", async () => {
    const p2p = await createCall(bot(), "p2p");
    const group = await createCall(bot(), "group");
    const ran = await cli(bot().env, "replace", "user", "u-replace", "--call", group, "--replaces", p2p);
    expectCompleted(ran, group);
    expect(ran.output).toMatch(/^ {2}• \(user u-replace\)/m);
    const roster = await cli(bot().env, "roster", "--call", p2p);
    expect(roster).toEqual({ code: 0, output: `roster of call ${p2p}: call ended\n`, errors: "" });
    expect(bot().log()).toContain(`call ${p2p}  updated terminated`);
  });

  it("move: a participant of one meeting moves into another", async () => {
    const { simulatorUrl, notificationsUrl } = bot();
    const mover = randomUUID();
    // The CLI's `call` seeds nobody, so the source meeting is created through the simulator's control API.
    const source = await json<{ id: string }>(
      fetch(`${simulatorUrl}/simulator/calls`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          kind: "meeting",
          callbackUri: notificationsUrl,
          participants: [{ id: "p-mover", identity: { user: { id: mover } } }],
        }),
      }),
    );
    const target = await createCall(bot(), "meeting");
    const ran = await cli(
      bot().env,
      ...["move", "user", mover, "--call", target, "--from", source.id, "--participant", "p-mover"],
      ...["--call-kind", "meeting"],
    );
    expectCompleted(ran, target);
    expect(ran.output).toContain(`roster of call ${target}: 1 in the call\n  • (user ${mover})`);
    const state = await json<{ calls: Array<{ id: string; participants: Array<{ info: unknown }> }> }>(
      fetch(`${simulatorUrl}/simulator/state`),
    );
    expect(JSON.stringify(state.calls.find((call) => call.id === source.id)?.participants)).not.toContain(mover);
    const sourceRoster = await cli(bot().env, "roster", "--call", source.id, "--json");
    expect((JSON.parse(sourceRoster.output) as Roster).participants).toEqual([]);
  });

  it("operations --call --json lists the call's invites, and roster --json its participants", async () => {
    const callId = await createCall(bot(), "group");
    for (const user of ["op-1", "op-2"]) {
      expect((await cli(bot().env, "invite", "user", user, "--call", callId)).code).toBe(0);
    }
    const operations = await cli(bot().env, "operations", "--call", callId, "--json");
    expect(operations.code).toBe(0);
    const records = JSON.parse(operations.output) as OperationRecord[];
    expect(records).toHaveLength(2);
    for (const record of records) {
      expect(record).toMatchObject({ callId, status: "completed", operationId: expect.any(String) });
      expect(record.history.map((step) => step.event)).toEqual(["sent", "accepted", "notification"]);
    }
    const text = await cli(bot().env, "operations", "--call", callId);
    expect(text.output.match(/^invite \S+ into call \S+: completed/gm)).toHaveLength(2);
    expect((await cli(bot().env, "operations", "--call", randomUUID())).output).toBe("no invites yet\n");
    const all = JSON.parse((await cli(bot().env, "operations", "--json")).output) as OperationRecord[];
    expect(all.length).toBeGreaterThan(2);
    expect(all.filter((record) => record.callId === callId)).toEqual(records);

    const roster = await cli(bot().env, "roster", "--call", callId, "--json");
    expect(roster.code).toBe(0);
    const parsed = JSON.parse(roster.output) as Roster;
    expect(parsed).toMatchObject({ callId, ended: false });
    expect(parsed.participants.map((member) => member.participant.info.identity?.user?.id).sort()).toEqual([
      "op-1",
      "op-2",
    ]);
  });

  it("a declined invite prints how it failed, and exits 1", async () => {
    const { simulatorUrl, env } = bot();
    await json(
      fetch(`${simulatorUrl}/simulator/scenario`, {
        method: "PUT",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ answers: { "u-decline": { kind: "decline", code: 603, subcode: 5400 } } }),
      }),
    );
    const callId = await createCall(bot(), "group");
    const ran = await cli(env, "invite", "user", "u-decline", "--call", callId);
    expect(ran.code).toBe(1);
    expect(ran.errors).toBe("");
    expect(ran.output).toMatch(new RegExp(`^invite \\S+ into call ${callId}: failed: 603/5400`));
    expect(ran.output).toMatch(/^ {2}\S+ {2}notification +failed/m);
    expect(ran.output).toContain(`roster of call ${callId}: 0 in the call\n`);
  });

  it("an invite into a call the simulator does not know is rejected, and exits 1", async () => {
    const ran = await cli(bot().env, "invite", "user", "u1", "--call", "no-such-call");
    expect(ran.code).toBe(1);
    expect(ran.output).toMatch(/^invite \S+ into call no-such-call: rejected: /);
  });

  it("roster of a call the bot knows nothing of is empty", async () => {
    expect(await cli(bot().env, "roster", "--call", "unknown")).toEqual({
      code: 0,
      output: "roster of call unknown: 0 in the call\n",
      errors: "",
    });
  });
});

describe("--timeout", () => {
  // A bot of its own: the unanswered invite below rings on in its simulator after the test.
  const bot = servedBot();

  it("an invite nobody answers in time exits 1 with 'timed out', without waiting for the ring to end", async () => {
    const { simulatorUrl, env } = bot();
    await json(
      fetch(`${simulatorUrl}/simulator/scenario`, {
        method: "PUT",
        headers: { "Content-Type": "application/json" },
        // The invitee rings for 5 s; the CLI is told to wait 300 ms.
        body: JSON.stringify({ answers: { "u-silent": { kind: "no-answer", afterMs: 5000 } } }),
      }),
    );
    const callId = await createCall(bot(), "group");
    const ran = await cli(env, "invite", "user", "u-silent", "--call", callId, "--timeout", "300");
    expect(ran.code).toBe(1);
    expect(ran.output).toMatch(/: timed out: no terminal notification; clientContext \S+ stays recorded/);
    // The command returned once its own timeout passed, so the simulator is still ringing the invitee: the command
    // does not wait for the simulator to settle, which would take the whole 5 s ring.
    const state = await json<{ operations: Array<{ callId: string; status: string }> }>(
      fetch(`${simulatorUrl}/simulator/state`),
    );
    expect(state.operations.find((operation) => operation.callId === callId)?.status).toBe("running");
  });
});

describe("a served bot against an external simulator", () => {
  let sim: Simulator | undefined;
  const simulator = () => {
    if (sim === undefined) throw new Error("the simulator has not started");
    return sim;
  };
  beforeAll(async () => {
    sim = await start();
  });
  // Registered after the simulator's beforeAll, so the bot starts after it and is closed before it.
  const bot = servedBot(() => ({
    GRAPH_INVITE_SIMULATOR_URL: `${simulator().url}/`,
    GRAPH_INVITE_TENANT_ID: simulator().app.tenantId,
    GRAPH_INVITE_APP_ID: simulator().app.appId,
    GRAPH_INVITE_APP_SECRET: simulator().app.secret,
  }));
  afterAll(async () => {
    await sim?.close();
  });

  it("says it talks to a simulator, and names it", () => {
    const { banner, simulatorUrl } = bot();
    expect(banner.split("\n")[0]).toBe("graph-invite-bot: talking to a simulator");
    expect(simulatorUrl).toBe(simulator().url);
  });

  it("creates a call there, and an invite completes on the simulator's authenticated notifications", async () => {
    const callId = await createCall(bot(), "group");
    expect(simulator().call(callId)?.kind).toBe("group");
    const ran = await cli(bot().env, "invite", "user", "u-external", "--call", callId, "--name", "Ext");
    expectCompleted(ran, callId);
    expect(ran.output).toContain(`roster of call ${callId}: 1 in the call\n  • Ext (user u-external)`);
    await simulator().settled();
    const deliveries = simulator().deliveries();
    expect(deliveries.length).toBeGreaterThan(0);
    for (const delivery of deliveries) {
      expect(delivery).toMatchObject({ outcome: "delivered" });
      expect(delivery.attempts.map((attempt) => attempt.status)).toEqual([202]);
    }
    expect(bot().log()).not.toMatch(/^refused /m);
  });
});

describe("the control API", () => {
  const bot = servedBot();

  /** A request to the control API with headers as given, Host included. */
  function control(
    path: string,
    method: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<{ status: number; body: { error?: string } }> {
    const { controlUrl } = bot();
    return new Promise((resolve, reject) => {
      const request = httpRequest(`${controlUrl}${path}`, { method, headers, agent: false }, (response) => {
        let text = "";
        response.on("data", (chunk) => {
          text += chunk;
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
      });
      request.on("error", reject);
      request.end(body);
    });
  }

  const host = () => new URL(bot().controlUrl).host;
  const invite = (clientContext: string) =>
    JSON.stringify({
      callId: randomUUID(),
      body: {
        participants: [
          {
            "@odata.type": "#microsoft.graph.invitationParticipantInfo",
            identity: {
              "@odata.type": "#microsoft.graph.identitySet",
              user: { "@odata.type": "#microsoft.graph.identity", id: "u" },
            },
          },
        ],
        clientContext,
      },
    });

  it("refuses what a web page can send: an Origin, a foreign Host, a body that is not JSON", async () => {
    const json = { "Content-Type": "application/json" };
    expect(await control("/status", "GET", { Host: host(), Origin: "http://evil.example" })).toEqual({
      status: 403,
      body: { error: "the control API does not answer web pages" },
    });
    expect(
      (await control("/status", "GET", { Host: `attacker.example:${new URL(bot().controlUrl).port}` })).status,
    ).toBe(403);
    const before = JSON.parse((await cli(bot().env, "operations", "--json")).output) as unknown[];
    expect((await control("/invite", "POST", { Host: host(), "Content-Type": "text/plain" }, invite("a"))).status).toBe(
      415,
    );
    expect(JSON.parse((await cli(bot().env, "operations", "--json")).output)).toEqual(before);
    expect((await control("/status", "GET", { Host: host(), ...json })).status).toBe(200);
  });

  it("answers 409 for a clientContext used before, and 400 for a path that does not decode", async () => {
    const headers = { Host: host(), "Content-Type": "application/json" };
    const clientContext = randomUUID();
    // The call does not exist, so the first invite ends at once, refused by the simulator with 404.
    const command = invite(clientContext);
    const first = await control("/invite", "POST", headers, command);
    expect(first.status).toBe(200);
    // The same command again is a retry: the first one's outcome, and nothing sent.
    expect(await control("/invite", "POST", headers, command)).toEqual(first);
    // The same clientContext for another call is another invite.
    const again = await control("/invite", "POST", headers, invite(clientContext));
    expect(again).toEqual({
      status: 409,
      body: {
        error: `clientContext ${clientContext} was used by an earlier invite with another call or body; Graph needs it to be unique.`,
      },
    });
    expect((await control("/calls/%E0%A4%A/roster", "GET", headers)).status).toBe(400);
  });

  it("answers an invite with settle false at its outcome, and lists the roster events and the process's figures", async () => {
    const headers = { Host: host(), "Content-Type": "application/json" };
    const get = async <T>(path: string) => {
      const answer = await control(path, "GET", headers);
      expect(answer.status).toBe(200);
      return answer.body as T;
    };
    const call = await control("/calls", "POST", headers, JSON.stringify({ kind: "group" }));
    const callId = (call.body as { id: string }).id;
    const clientContext = randomUUID();
    const command = JSON.parse(invite(clientContext)) as { callId: string };
    command.callId = callId;
    const answered = await control("/invite", "POST", headers, JSON.stringify({ ...command, settle: false }));
    expect(answered.status).toBe(200);
    // No roster: it was not waited for.
    expect(Object.keys(answered.body)).toEqual(["outcome"]);
    expect((answered.body as unknown as { outcome: { status: string } }).outcome.status).toBe("completed");

    const deadline = Date.now() + 5000;
    let events: Array<{ callId: string; type: string; key: string; at: string }> = [];
    while (Date.now() < deadline && !events.some((event) => event.callId === callId)) {
      ({ events } = await get<{ events: typeof events }>("/events/roster"));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(events.filter((event) => event.callId === callId)).toEqual([
      { callId, type: "joined", key: expect.any(String), at: expect.any(String) },
    ]);
    const stats = await get<{ cpuUsage: { user: number }; deliveries: number; notifications: number }>("/stats");
    expect(stats.cpuUsage.user).toBeGreaterThan(0);
    expect(stats.deliveries).toBeGreaterThanOrEqual(2);
    expect(stats.notifications).toBeGreaterThanOrEqual(stats.deliveries);

    expect(stats).toMatchObject({ redisCommands: null });

    // Re-attaching to an invite that has ended answers at once with its outcome; one the store never had is 404.
    const reattached = await control(`/operations/${clientContext}/outcome`, "GET", headers);
    expect(reattached.status).toBe(200);
    expect(reattached.body).toEqual({ outcome: (answered.body as unknown as { outcome: unknown }).outcome });
    expect((await control(`/operations/${randomUUID()}/outcome`, "GET", headers)).status).toBe(404);
  });
});
