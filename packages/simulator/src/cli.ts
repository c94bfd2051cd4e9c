// graph-invite-sim: runs the simulator until interrupted, configured by a JSON file and flags.
import { parseArgs } from "node:util";
import { ConfigError, checkOptions, parseConfig } from "./config.js";
import type { SimulatorOptions } from "./options.js";
import { type Simulator, start } from "./simulator.js";

export const usage = `Usage: graph-invite-sim [--config file.json] [--port N] [--host address] [--tls] [--public-url URL]

Runs a local Microsoft Graph for the participant: invite flow until interrupted.

  --config <file>  apps, directory users, calls and scenario (see the README)
  --port <n>       port to listen on (default: any free port)
  --host <addr>    address to listen on (default: 127.0.0.1)
  --tls            serve HTTPS with a certificate from a CA made at start; its
                   path is printed, for NODE_EXTRA_CA_CERTS
  --public-url <u> the origin clients reach it by (a proxy, a port mapping),
                   named in its metadata, tokens and Location headers
  --help           show this help
`;

export interface CliIo {
  readFile(path: string): string;
  /** Standard output: the help and the banner, which scripts read. */
  write(text: string): void;
  /** Standard error: what went wrong. */
  error(text: string): void;
}

/** Parses the arguments and starts the simulator; returns it, or the exit code for a usage or config error. */
export async function run(argv: readonly string[], io: CliIo): Promise<Simulator | number> {
  let flags: {
    config?: string | undefined;
    port?: string | undefined;
    host?: string | undefined;
    tls?: boolean | undefined;
    "public-url"?: string | undefined;
    help?: boolean | undefined;
  };
  try {
    flags = parseArgs({
      args: [...argv],
      options: {
        config: { type: "string" },
        port: { type: "string" },
        host: { type: "string" },
        tls: { type: "boolean" },
        "public-url": { type: "string" },
        help: { type: "boolean" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    io.error(`graph-invite-sim: ${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    return 2;
  }
  if (flags.help === true) {
    io.write(usage);
    return 0;
  }
  let options: SimulatorOptions = {};
  if (flags.config !== undefined) {
    try {
      options = parseConfig(io.readFile(flags.config));
    } catch (error) {
      // A ConfigError's message starts with the pointer; a read error's names the cause (ENOENT and the like).
      io.error(`graph-invite-sim: ${flags.config}: ${error instanceof Error ? error.message : String(error)}\n`);
      return 2;
    }
  }
  if (flags.port !== undefined) {
    const port = Number(flags.port);
    // Number() alone would also take "", " 80", "0x50" and "1e3".
    if (!/^\d{1,5}$/.test(flags.port) || port > 65535) {
      io.error(`graph-invite-sim: --port must be a port number, not ${JSON.stringify(flags.port)}\n`);
      return 2;
    }
    options = { ...options, port };
  }
  if (flags.host !== undefined) options = { ...options, host: flags.host };
  if (flags.tls === true) options = { ...options, tls: true };
  if (flags["public-url"] !== undefined) {
    try {
      // The same check as the config file's, so that the message names the rule.
      options = { ...options, publicUrl: checkOptions({ publicUrl: flags["public-url"] }).publicUrl as string };
    } catch (error) {
      io.error(`graph-invite-sim: --public-url ${error instanceof ConfigError ? error.rule : String(error)}\n`);
      return 2;
    }
  }

  let simulator: Simulator;
  try {
    simulator = await start(options);
  } catch (error) {
    io.error(`graph-invite-sim: could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  io.write(banner(simulator));
  // The listening address, not the URL: with --public-url that names a proxy or a mapping, not this socket.
  const hostname = options.host ?? "127.0.0.1";
  if (!["127.0.0.1", "::1", "[::1]", "localhost"].includes(hostname)) {
    io.error(
      `graph-invite-sim: warning: listening on ${hostname}, beyond this machine; anyone who can reach it can read ` +
        "its state and change its scenario, since the control API has no authentication\n",
    );
  }
  return simulator;
}

function banner(simulator: Simulator): string {
  const lines = [
    `Graph simulator listening on ${simulator.listeningUrl}`,
    ...(simulator.url === simulator.listeningUrl ? [] : [`  public URL          ${simulator.url}`]),
    `  console             ${simulator.url}/console`,
    `  Graph base URL      ${simulator.graphUrl}`,
    `  token endpoint      ${simulator.tokenUrl()}`,
    `  OpenID metadata     ${simulator.openIdConfigurationUrl}`,
    ...(simulator.caCertificatePath === undefined
      ? []
      : [`  CA certificate      ${simulator.caCertificatePath}  (NODE_EXTRA_CA_CERTS=${simulator.caCertificatePath})`]),
    `  app id              ${simulator.app.appId}`,
    `  app secret          ${simulator.app.secret}`,
    `  tenant id           ${simulator.app.tenantId}`,
    ...simulator.calls().map((call) => `  call ${call.id}  ${call.kind}, notifications to ${call.callbackUri}`),
    `  state               ${simulator.url}/simulator/state`,
    "",
  ];
  return `${lines.join("\n")}\n`;
}
