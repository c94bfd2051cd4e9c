// The application on Node: a notification endpoint on node:http, a local Graph from @graph-invite/simulator, and the
// invite flow between them.
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { type Simulator, start } from "@graph-invite/simulator";
import { type FlowReport, inviteAndWait } from "./flow.js";

export interface NodeReport extends FlowReport {
  readonly node: string;
  /** Who the simulator lists in the call once every notification is delivered. */
  readonly roster: readonly string[];
}

const adele = "278405a3-f568-4b3e-b684-009193463064";

async function readText(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Bodies POSTed to the endpoint, handed out in the order they arrived. */
function notificationEndpoint() {
  const bodies: string[] = [];
  const waiting: ((body: string) => void)[] = [];
  const server = createServer(async (request, response) => {
    const body = await readText(request);
    response.writeHead(202).end();
    const waiter = waiting.shift();
    if (waiter) {
      waiter(body);
    } else {
      bodies.push(body);
    }
  });
  const next = () =>
    new Promise<string>((resolve, reject) => {
      const body = bodies.shift();
      if (body !== undefined) {
        resolve(body);
        return;
      }
      const timer = setTimeout(() => reject(new Error("no notification arrived within 20 s")), 20_000);
      waiting.push((arrived) => {
        clearTimeout(timer);
        resolve(arrived);
      });
    });
  return { server, next };
}

export async function main(): Promise<NodeReport> {
  const endpoint = notificationEndpoint();
  await new Promise<void>((listening) => endpoint.server.listen(0, "127.0.0.1", listening));
  let sim: Simulator | undefined;
  try {
    sim = await start();
    const { port } = endpoint.server.address() as AddressInfo;
    const call = sim.createCall({ kind: "group", callbackUri: `http://127.0.0.1:${port}/api/calls` });
    const report = await inviteAndWait({
      graphUrl: sim.graphUrl,
      credential: sim.credential(),
      callId: call.id,
      userId: adele,
      nextNotification: endpoint.next,
    });
    await sim.settled();
    const roster = (sim.call(call.id)?.participants ?? []).map(
      (participant) => participant.info.identity?.user?.id ?? "",
    );
    return { ...report, node: process.version, roster };
  } finally {
    // Also when the simulator failed to start: an endpoint left listening would keep the process alive.
    await sim?.close();
    endpoint.server.closeAllConnections();
    endpoint.server.close();
  }
}
