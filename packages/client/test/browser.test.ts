// The client in a real browser: Chromium's fetch, Request and AbortSignal rather than Node's. One loopback server
// serves the page, the bundled client and the Graph endpoint, so the page and Graph share an origin and no request
// leaves the machine.
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { browserBundle, launchChromium } from "@graph-invite/test-support/browser";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Answer, accepted, callId, failed, fixture, operationId, type ReceivedRequest } from "./graph-server.js";

const bundle = browserBundle(resolve(import.meta.dirname, "../src/index.ts"));

// Graph throttles the first invite (Retry-After in fractional seconds, as Graph documents), accepts the retry, and
// forbids the second invite.
const answers: Answer[] = [
  failed(429, fixture("docs-concepts-throttling-429-TooManyRequests-error.json"), { "Retry-After": "0.05" }),
  accepted(),
  failed(403, fixture("docs-concepts-onlinemeeting-access-policy-Unauthorized-error.json")),
];
const invites: ReceivedRequest[] = [];

const page = `
import { createInviteClient, inviteBody, userParticipant } from "/client.js";
const client = createInviteClient({ baseUrl: location.origin + "/v1.0", credential: async () => "browser-token" });
const body = inviteBody(userParticipant("278405a3-f568-4b3e-b684-009193463064"), "browser-context");
const first = await client.invite(${JSON.stringify(callId)}, body);
const second = await client.invite(${JSON.stringify(callId)}, body);
window.results = {
  first: first.ok ? { operationId: first.operationId, location: first.location } : first.error.kind,
  second: second.ok ? "accepted" : { kind: second.error.kind, status: second.error.status, code: second.error.code },
};
`;

const server = createServer((incoming, response: ServerResponse) => {
  const chunks: Buffer[] = [];
  incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
  incoming.on("end", () => {
    const url = incoming.url ?? "";
    if (incoming.method === "POST" && url.endsWith("/participants/invite")) {
      const request = { method: "POST", url, headers: incoming.headers, body: Buffer.concat(chunks).toString("utf8") };
      const index = invites.push(request) - 1;
      answers[Math.min(index, answers.length - 1)]?.(response, request, index);
      return;
    }
    const files: Record<string, string> = {
      "/": `<!doctype html><meta charset="utf-8"><script type="module" src="/page.js"></script>`,
      "/page.js": page,
      "/client.js": bundle,
    };
    const file = files[url];
    response.writeHead(file === undefined ? 404 : 200, {
      "Content-Type": url === "/" ? "text/html" : "text/javascript",
    });
    response.end(file ?? "");
  });
});

let browser: Browser;

beforeAll(async () => {
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  server.closeAllConnections();
  await new Promise((closed) => server.close(closed));
});

it("invites through Chromium's fetch: retries a 429 as Retry-After says, then returns Graph's 403 typed", async () => {
  const tab = await browser.newPage();
  const problems: string[] = [];
  tab.on("pageerror", (error) => problems.push(error.message));
  const { port } = server.address() as AddressInfo;
  await tab.goto(`http://127.0.0.1:${port}/`);
  const results = await tab
    .waitForFunction(() => (window as { results?: unknown }).results, undefined, { timeout: 60_000 })
    .then((handle) => handle.jsonValue());

  expect(problems).toEqual([]);
  expect(results).toEqual({
    first: {
      operationId,
      location: `https://graph.microsoft.com/v1.0/communications/calls/${callId}/operations/${operationId}`,
    },
    second: { kind: "graph", status: 403, code: "Unauthorized" },
  });
  expect(invites).toHaveLength(3);
  for (const invite of invites) {
    expect(invite.headers.authorization).toBe("Bearer browser-token");
    expect(JSON.parse(invite.body)).toMatchObject({ clientContext: "browser-context" });
  }
});
