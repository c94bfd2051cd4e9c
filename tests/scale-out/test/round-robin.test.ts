// The load balancer's stand-in: requests spread in turn, dead instances skipped, bounded bodies.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { freePort } from "@graph-invite/test-support/ports";
import { afterEach, describe, expect, it } from "vitest";
import { type RoundRobin, startRoundRobin } from "../src/round-robin.js";

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.allSettled(closers.splice(0).map((close) => close()));
});

/** A target that answers with its name and the body it got; `reset` destroys the connection instead. */
async function target(name: string, behaviour: "answer" | "reset" = "answer"): Promise<string> {
  const server: Server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    request.on("end", () => {
      if (behaviour === "reset") {
        request.socket.destroy();
        return;
      }
      response.writeHead(202, { "x-target": name }).end(`${name}:${request.method}:${request.url}:${body}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function proxy(targets: string[], maxBodyBytes?: number): Promise<RoundRobin> {
  const started = await startRoundRobin(targets, maxBodyBytes === undefined ? {} : { maxBodyBytes });
  closers.push(() => started.close());
  return started;
}

const post = (url: string, body: string) =>
  fetch(url, { method: "POST", body, headers: { "Content-Type": "application/json" } });

describe("the round-robin proxy", () => {
  it("sends each request to the next target in turn, with its path, body and the target's answer", async () => {
    const rr = await proxy([await target("a"), await target("b"), await target("c")]);
    const answers = [];
    for (let index = 0; index < 6; index++) {
      const response = await post(`${rr.url}/api/calls?n=${index}`, `{"n":${index}}`);
      expect(response.status).toBe(202);
      answers.push(await response.text());
    }
    expect(answers).toEqual([
      'a:POST:/api/calls?n=0:{"n":0}',
      'b:POST:/api/calls?n=1:{"n":1}',
      'c:POST:/api/calls?n=2:{"n":2}',
      'a:POST:/api/calls?n=3:{"n":3}',
      'b:POST:/api/calls?n=4:{"n":4}',
      'c:POST:/api/calls?n=5:{"n":5}',
    ]);
    expect(rr.stats).toEqual({ forwarded: 6, refusedTargets: 0, failed: 0 });
    expect(rr.routed.map((route) => route.target)).toEqual([0, 1, 2, 0, 1, 2]);
  });

  it("skips a target that refuses connections, and answers 502 only when every target does", async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const rr = await proxy([dead, await target("b")]);
    const texts = await Promise.all([0, 1, 2, 3].map(async (n) => (await post(rr.url, `${n}`)).text()));
    expect(texts.every((text) => text.startsWith("b:"))).toBe(true);
    expect(rr.stats.refusedTargets).toBe(2);
    expect(rr.routed.map((route) => [route.target, route.status])).toEqual([
      [1, 202],
      [1, 202],
      [1, 202],
      [1, 202],
    ]);

    const none = await proxy([dead, `http://127.0.0.1:${await freePort()}`]);
    const response = await post(none.url, "{}");
    expect(response.status).toBe(502);
    expect(await response.text()).toContain("every target refused");
  });

  it("answers 502 without trying elsewhere when a target breaks off after it took the request", async () => {
    const rr = await proxy([await target("a", "reset"), await target("b")]);
    const response = await post(rr.url, "{}");
    expect(response.status).toBe(502);
    expect(rr.stats).toEqual({ forwarded: 0, refusedTargets: 0, failed: 1 });
    // Logged against the target that took it: the scale-out verdict reads who may have claimed the delivery.
    expect(rr.routed).toEqual([{ messageId: undefined, target: 0, status: 502 }]);
  });

  it("refuses a body over its limit with 413, without forwarding it", async () => {
    const rr = await proxy([await target("a")], 10);
    const response = await post(rr.url, "x".repeat(11));
    expect(response.status).toBe(413);
    expect(rr.stats.forwarded).toBe(0);
  });
});
