// graph-invite-bot run in process through `run`: its usage and configuration errors (exit 2, told on standard
// error without a stack trace), and a command with no bot to talk to (exit 1).

import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import type { AddressInfo, Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "@graph-invite/test-support/ports";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { usage } from "../src/cli.js";
import { cli } from "./cli-runs.js";

const configDir = mkdtempSync(join(tmpdir(), "graph-invite-bot-cli-"));

afterAll(() => rmSync(configDir, { recursive: true, force: true }));

function configFile(content: unknown): string {
  const path = join(configDir, `${randomUUID()}.json`);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
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
