// The edges of the receiver's contract through every host: a body of exactly maxBodyBytes is accepted and one byte
// more is refused, whether the sender declares its length or streams it chunked; and a callback URL that carries a
// query string (Graph keeps whatever the bot gave as callbackUri) still reaches the bot. And bot.fetch's own answer, a
// Web Response: no body where there is nothing to say, a connection closed whose body was left unread, and a body held
// to the limit whatever length its Request declares. And a store that cannot claim a delivery gets the sender a 500 on
// a closed connection, so that Graph sends it again, with the failure reported.
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createInviteClient } from "@graph-invite/client";
import { type Simulator, start } from "@graph-invite/simulator";
import { serve } from "@hono/node-server";
import express from "express";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Bot, type BotOptions, createBot, MemoryStore } from "../src/index.js";
import { nodeHandler } from "../src/node/index.js";
import { exampleMember, rosterOf, signedHeaders } from "./harness.js";

const path = "/api/calls";
const maxBodyBytes = 4096;

let sim: Simulator;
beforeAll(async () => {
  sim = await start();
});
afterAll(() => sim.close());

/** Sends `body` to the bot through a host, as a string (with Content-Length) or as a stream (chunked, no length). */
type Send = (
  target: string,
  body: string | ReadableStream<Uint8Array>,
  headers: Record<string, string>,
) => Promise<number>;

async function origin(server: Server): Promise<string> {
  if (!server.listening) await new Promise<void>((resolve) => server.once("listening", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A host: how to send to the bot through it, and how to close it. */
interface Host {
  readonly send: Send;
  readonly close: () => Promise<void>;
}

function overHttp(server: Server): Host {
  return {
    async send(target, body, headers) {
      const init = { method: "POST", headers, body, ...(typeof body !== "string" && { duplex: "half" }) };
      const response = await fetch(`${await origin(server)}${target}`, init as RequestInit);
      await response.arrayBuffer();
      return response.status;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const hosts: Record<string, (bot: Bot) => Host> = {
  "node:http": (bot) => overHttp(createServer(nodeHandler(bot)).listen(0, "127.0.0.1")),
  "Express 5": (bot) => {
    const app = express();
    app.use(nodeHandler(bot));
    return overHttp(app.listen(0, "127.0.0.1"));
  },
  Hono: (bot) => {
    const app = new Hono();
    app.post(path, (context) => bot.fetch(context.req.raw));
    return overHttp(serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }) as Server);
  },
  "a bare fetch call": (bot) => ({
    async send(target, body, headers) {
      const init = { method: "POST", headers, body, ...(typeof body !== "string" && { duplex: "half" }) };
      const response = await bot.fetch(new Request(`http://bot.test${target}`, init as RequestInit));
      await response.arrayBuffer();
      return response.status;
    },
    close: async () => {},
  }),
};

/** The example roster of `callId`, padded with spaces (which JSON ignores) to exactly `bytes` bytes. */
function rosterOfSize(callId: string, bytes: number): string {
  const body = rosterOf(callId);
  const padding = bytes - Buffer.byteLength(body);
  if (padding < 0) throw new Error(`the roster alone is ${Buffer.byteLength(body)} bytes`);
  return `${body}${" ".repeat(padding)}`;
}

/** A bot of the simulator's app, with `options` on top; its self-check off unless they turn it on. */
function simulatorBot(options: Partial<BotOptions> = {}): Bot {
  return createBot({
    client: createInviteClient({ credential: sim.credential(), baseUrl: sim.graphUrl }),
    auth: { appId: sim.app.appId, openIdConfigurationUrl: sim.openIdConfigurationUrl },
    selfCheck: false,
    ...options,
  });
}

/** The text as a stream of small chunks, so that no Content-Length is sent and the limit is met while reading. */
function streamed(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + 1000));
      offset += 1000;
    },
  });
}

async function members(bot: Bot, callId: string): Promise<string[]> {
  await bot.idle();
  return (await bot.roster(callId)).participants.map((member) => {
    const identity = member.participant.info?.identity as Record<string, { id?: string } | null> | undefined;
    const [kind, value] = Object.entries(identity ?? {}).find(([key]) => !key.startsWith("@")) ?? [];
    return `${kind}:${value?.id}`;
  });
}

describe.each(Object.entries(hosts))("through %s", (_name, host) => {
  let bot: Bot;
  let server: ReturnType<(typeof hosts)[string]>;
  beforeAll(() => {
    bot = createBot({
      client: createInviteClient({ credential: sim.credential(), baseUrl: sim.graphUrl }),
      auth: { appId: sim.app.appId, openIdConfigurationUrl: sim.openIdConfigurationUrl },
      maxBodyBytes,
    });
    server = host(bot);
  });
  afterAll(async () => {
    await server.close();
    await bot.idle();
    bot.stopWaiting();
  });

  test.each([
    ["with its length declared", (text: string) => text],
    ["streamed without a length", streamed],
  ])("a body of exactly maxBodyBytes, %s, is accepted and processed; one byte more gets 413", async (_how, as) => {
    const callId = randomUUID();
    const exact = rosterOfSize(callId, maxBodyBytes);
    expect(await server.send(path, as(exact), await signedHeaders(sim))).toBe(202);
    expect(await members(bot, callId)).toEqual([exampleMember]);

    const other = randomUUID();
    expect(await server.send(path, as(rosterOfSize(other, maxBodyBytes + 1)), await signedHeaders(sim))).toBe(413);
    expect(await members(bot, other)).toEqual([]);
  });
});

describe("a store that fails to claim a delivery, through node:http", () => {
  test("gets 500 with no body and the connection closed, and the error is reported; an accepted delivery keeps its connection", async () => {
    const failure = new Error("the store cannot claim the delivery");
    class FailingClaims extends MemoryStore {
      override async claimDelivery(): Promise<boolean> {
        throw failure;
      }
    }
    const bot = simulatorBot({ store: new FailingClaims() });
    const errors: unknown[] = [];
    bot.on("error", (error) => errors.push(error));
    const server = createServer(nodeHandler(bot)).listen(0, "127.0.0.1");
    try {
      const headers = { ...(await signedHeaders(sim)), "X-Microsoft-Skype-Message-Id": randomUUID() };
      const response = await fetch(`${await origin(server)}${path}`, {
        method: "POST",
        headers,
        body: rosterOf(randomUUID()),
        signal: AbortSignal.timeout(5000),
      });
      expect(response.status).toBe(500);
      expect(response.headers.get("connection")).toBe("close");
      expect(await response.text()).toBe("");
      expect(errors).toEqual([failure]);
      // Only that answer closes its connection: one the bot accepts keeps it for Graph's next delivery.
      const accepted = await fetch(`${await origin(server)}${path}`, {
        method: "POST",
        headers: await signedHeaders(sim),
        body: rosterOf(randomUUID()),
        signal: AbortSignal.timeout(5000),
      });
      expect(accepted.status).toBe(202);
      expect(accepted.headers.get("connection")).toBe("keep-alive");
    } finally {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      bot.stopWaiting();
    }
  });
});

describe("the answer of bot.fetch, a Web Response", () => {
  test("has no body and no Content-Type when there is nothing to say, and closes a connection whose body was left unread", async () => {
    const bot = simulatorBot({ maxBodyBytes });
    try {
      const post = async (body: string) =>
        bot.fetch(new Request(`http://bot.test${path}`, { method: "POST", headers: await signedHeaders(sim), body }));
      const accepted = await post(rosterOf(randomUUID()));
      expect(accepted.status).toBe(202);
      expect(accepted.body).toBeNull();
      expect(accepted.headers.get("content-type")).toBeNull();
      expect(accepted.headers.get("connection")).toBeNull();
      expect(await accepted.text()).toBe("");
      const tooLarge = await post(rosterOfSize(randomUUID(), maxBodyBytes + 1));
      expect(tooLarge.status).toBe(413);
      expect(tooLarge.headers.get("connection")).toBe("close");
      await bot.idle();
    } finally {
      bot.stopWaiting();
    }
  });

  test("holds a body longer than its declared length to maxBodyBytes", async () => {
    // A Request built by code in front of the bot may declare any length: only the network enforces it.
    const bot = simulatorBot({ maxBodyBytes });
    try {
      const callId = randomUUID();
      const headers = { ...(await signedHeaders(sim)), "Content-Length": "100" };
      const body = rosterOfSize(callId, maxBodyBytes + 1);
      const response = await bot.fetch(new Request(`http://bot.test${path}`, { method: "POST", headers, body }));
      expect(response.status).toBe(413);
      expect(await members(bot, callId)).toEqual([]);
    } finally {
      bot.stopWaiting();
    }
  });
});

describe.each(["node:http", "Express 5"])("a callback URL with a query string, through %s", (name) => {
  test("reaches the bot, which processes the notification", async () => {
    const bot = createBot({
      client: createInviteClient({ credential: sim.credential(), baseUrl: sim.graphUrl }),
      auth: { appId: sim.app.appId, openIdConfigurationUrl: sim.openIdConfigurationUrl },
    });
    const server = hosts[name]?.(bot);
    try {
      const callId = randomUUID();
      expect(await server?.send(`${path}?tenant=contoso&route=a%2Fb`, rosterOf(callId), await signedHeaders(sim))).toBe(
        202,
      );
      expect(await members(bot, callId)).toEqual([exampleMember]);
      // Only the query is set aside: another path is still not the notification path.
      expect(await server?.send(`${path}x?tenant=contoso`, rosterOf(randomUUID()), await signedHeaders(sim))).toBe(404);
    } finally {
      await server?.close();
      bot.stopWaiting();
    }
  });
});
