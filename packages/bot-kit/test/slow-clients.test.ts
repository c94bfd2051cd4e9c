// The timeouts startBot serves with, given to servers made by Express, Hono and Fastify (and node:http made by hand)
// with hardenServer: a client that trickles its headers without a token, and one that sends a signed request's body a
// byte a second, are both cut soon after the timeouts, where Node's defaults would hold them for a minute and more.
// The timeouts here are 1 s for the headers and 2 s for the request; each case allows a second and a half beyond.

import type { Server } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { createInviteClient } from "@graph-invite/client";
import { type Simulator, start } from "@graph-invite/simulator";
import { serve } from "@hono/node-server";
import express from "express";
import fastify from "fastify";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Bot, createBot } from "../src/index.js";
import { fastifyHook, hardenServer, nodeHandler, serverTimeouts } from "../src/node/index.js";
import { recordingLogger } from "./harness.js";

const timeouts = { headersTimeoutMs: 1000, requestTimeoutMs: 2000 };

/** Each host's own way of making its server, hardened; resolves once it listens, with a way to close it. */
const hosts: Record<string, (bot: Bot) => Promise<{ server: Server; close: () => Promise<unknown> }>> = {
  "node:http": async (bot) => {
    const server = hardenServer(createServer(nodeHandler(bot)), timeouts).listen(0, "127.0.0.1");
    return { server, close: async () => server.close() };
  },
  "Express 5": async (bot) => {
    const app = express();
    app.use(nodeHandler(bot));
    const server = hardenServer(app.listen(0, "127.0.0.1"), timeouts);
    return { server, close: async () => server.close() };
  },
  Hono: async (bot) => {
    const app = new Hono();
    app.post("/api/calls", (context) => bot.fetch(context.req.raw));
    const server = hardenServer(serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }), timeouts) as Server;
    return { server, close: async () => server.close() };
  },
  "Fastify 5": async (bot) => {
    const app = fastify();
    app.addHook("onRequest", fastifyHook(bot));
    hardenServer(app.server, timeouts);
    await app.listen({ port: 0, host: "127.0.0.1" });
    return { server: app.server, close: () => app.close() };
  },
};

let sim: Simulator;
beforeAll(async () => {
  sim = await start();
});
afterAll(() => sim.close());

async function portOf(server: Server): Promise<number> {
  if (!server.listening) await new Promise<void>((resolve) => server.once("listening", resolve));
  return (server.address() as AddressInfo).port;
}

/**
 * Opens a connection, writes `head`, then one byte of `trickle` every `everyMs`, and resolves with how long the
 * server kept the connection open, or rejects once `giveUpMs` has passed with the connection still open.
 */
function trickle(port: number, head: string, everyMs: number, giveUpMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const started = Date.now();
    let timer: ReturnType<typeof setInterval> | undefined;
    const giveUp = setTimeout(() => {
      clearInterval(timer);
      socket.destroy();
      reject(new Error(`the server still held the connection after ${giveUpMs} ms`));
    }, giveUpMs);
    socket.on("connect", () => {
      socket.write(head);
      timer = setInterval(() => socket.write("x"), everyMs);
    });
    socket.on("data", () => {});
    socket.on("error", () => {});
    socket.on("close", () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve(Date.now() - started);
    });
  });
}

test("hardenServer refuses what is not an HTTP/1 server, saying so", () => {
  expect(() => hardenServer({ listen() {} })).toThrow(/node:http or node:https server/);
});

describe.each(Object.entries(hosts))("%s, given hardenServer", (_name, host) => {
  let bot: Bot;
  let served: Awaited<ReturnType<(typeof hosts)[string]>>;
  beforeAll(async () => {
    bot = createBot({
      client: createInviteClient({ credential: sim.credential(), baseUrl: sim.graphUrl }),
      auth: { appId: sim.app.appId, openIdConfigurationUrl: sim.openIdConfigurationUrl },
      selfCheck: false,
      logger: recordingLogger().logger,
    });
    served = await host(bot);
  });
  afterAll(async () => {
    served.server.closeAllConnections();
    await served.close();
    await bot.close();
  });

  test("cuts a client that trickles its headers, with no token, at the headers timeout", async () => {
    const port = await portOf(served.server);
    const held = await trickle(port, "POST /api/calls HTTP/1.1\r\nHost: bot.test\r\nX-Slow: ", 100, 2500);
    expect(held).toBeGreaterThanOrEqual(900);
  });

  test("cuts a signed request whose body comes a byte a second at the request timeout", async () => {
    const port = await portOf(served.server);
    const token = await sim.signNotificationToken();
    const head = [
      "POST /api/calls HTTP/1.1",
      "Host: bot.test",
      `Authorization: Bearer ${token}`,
      "Content-Type: application/json",
      "Content-Length: 1000",
      "",
      "{",
    ].join("\r\n");
    const held = await trickle(port, head, 1000, 3500);
    expect(held).toBeGreaterThanOrEqual(1900);
  });
});

test("the timeouts are checked at a tenth of the shorter, at least every second and at most every 100 ms", () => {
  expect(serverTimeouts()).toEqual({
    headersTimeout: 10_000,
    requestTimeout: 30_000,
    connectionsCheckingInterval: 1000,
  });
  expect(serverTimeouts({ headersTimeoutMs: 5000, requestTimeoutMs: 3000 }).connectionsCheckingInterval).toBe(300);
  expect(serverTimeouts({ headersTimeoutMs: 4000, requestTimeoutMs: 6000 }).connectionsCheckingInterval).toBe(400);
  expect(serverTimeouts({ headersTimeoutMs: 500 }).connectionsCheckingInterval).toBe(100);
  expect(serverTimeouts({ headersTimeoutMs: 60_000, requestTimeoutMs: 60_000 }).connectionsCheckingInterval).toBe(1000);
});
