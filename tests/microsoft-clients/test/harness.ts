// graph-invite-sim --tls as a real process, a bot's callback that answers 202, and Microsoft's clients run as Node
// processes that trust the simulator's CA through NODE_EXTRA_CA_CERTS (Node reads it only when it starts, which is
// why each client is a process of its own).
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import { request } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { SimulatorOptions } from "@graph-invite/simulator";
import { startProcess } from "@graph-invite/test-support/processes";
import { afterEach } from "vitest";

const bin = fileURLToPath(new URL("../node_modules/@graph-invite/simulator/bin/graph-invite-sim.js", import.meta.url));
const clients = new URL("../clients/", import.meta.url);
export const examples = new URL("../../../openapi/examples/", import.meta.url);

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

export interface RunningSimulator {
  readonly url: string;
  readonly caPath: string;
  readonly ca: string;
  readonly app: { readonly appId: string; readonly secret: string; readonly tenantId: string };
  /** What the simulator printed before it was ready. */
  readonly banner: string;
}

/** Starts `graph-invite-sim --tls --config <options as JSON>` and reads its banner; stopped after the test. */
export async function startSimulatorCli(options: SimulatorOptions): Promise<RunningSimulator> {
  const folder = mkdtempSync(join(tmpdir(), "graph-invite-clients-"));
  cleanups.push(() => rmSync(folder, { recursive: true, force: true }));
  const config = join(folder, "sim.json");
  writeFileSync(config, JSON.stringify(options));
  const sim = startProcess(process.execPath, [bin, "--tls", "--config", config], { label: "graph-invite-sim" });
  cleanups.push(() => sim.stop("SIGTERM"));
  const banner = await sim.waitForLine(/^ {2}state /);
  const line = (label: string) => {
    const value = new RegExp(`^ {2}${label} +(\\S+)`, "m").exec(banner)?.[1];
    if (value === undefined) throw new Error(`the banner has no ${label}: ${banner}`);
    return value;
  };
  const url = /^Graph simulator listening on (\S+)$/m.exec(banner)?.[1] ?? "";
  const caPath = line("CA certificate");
  return {
    url,
    caPath,
    ca: readFileSync(caPath, "utf8"),
    app: { appId: line("app id"), secret: line("app secret"), tenantId: line("tenant id") },
    banner,
  };
}

/** A bot's callback: answers every notification 202 and keeps its body. */
export async function startCallback(): Promise<{ url: string; received: unknown[] }> {
  const received: unknown[] = [];
  const server = createServer((incoming, response) => {
    let body = "";
    incoming.setEncoding("utf8");
    incoming.on("data", (chunk: string) => {
      body += chunk;
    });
    incoming.on("end", () => {
      received.push(JSON.parse(body));
      response.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/calls`, received };
}

/**
 * Runs one of the client scripts in `clients/` as a new Node process that trusts the simulator's CA, and returns
 * the JSON it printed.
 */
export async function runClient<T>(
  sim: RunningSimulator,
  script: string,
  args: readonly string[] = [],
  env: Record<string, string> = {},
): Promise<T> {
  const { stdout } = await promisify(execFile)(process.execPath, [fileURLToPath(new URL(script, clients)), ...args], {
    env: {
      ...process.env,
      NODE_EXTRA_CA_CERTS: sim.caPath,
      SIMULATOR: JSON.stringify({ url: sim.url, ...sim.app }),
      // The Azure SDK sends requests through HTTPS_PROXY when one is set (a CI machine's, for the npm registry);
      // the simulator is on loopback.
      NO_PROXY: [process.env["NO_PROXY"], "127.0.0.1", "localhost"].filter(Boolean).join(","),
      ...env,
    },
  }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
    throw new Error(`${script} failed: ${error.message}\n${error.stdout ?? ""}${error.stderr ?? ""}`);
  });
  const last = stdout.trim().split("\n").at(-1) ?? "";
  return JSON.parse(last) as T;
}

export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

/** A request of the test's own to the simulator, trusting its CA. */
export function send(
  sim: RunningSimulator,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      `${sim.url}${path}`,
      { method: options.method ?? "GET", headers: options.headers ?? {}, ca: sim.ca },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          text += chunk;
        });
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: text === "" ? undefined : JSON.parse(text),
          }),
        );
      },
    );
    outgoing.on("error", reject);
    outgoing.end(options.body);
  });
}

/** What the simulator's Graph routes received, from its control API. */
export async function requestsOf(
  sim: RunningSimulator,
): Promise<Array<{ method: string; path: string; status: number; receivedAt: string; headers: IncomingHttpHeaders }>> {
  const answer = await send(sim, "/simulator/requests");
  return (answer.body as { value: [] }).value;
}

export const example = <T = Record<string, unknown>>(name: string): T =>
  JSON.parse(readFileSync(new URL(name, examples), "utf8")) as T;

export const newId = () => randomUUID();
