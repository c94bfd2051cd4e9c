// One suite, six hosts: the kit's receiver answers the same through node:http (nodeHandler), Express 5 (the same
// handler as middleware, at the app's root passing other paths on, or mounted at the notification path, which Express
// strips from `url`), Fastify 5 (fastifyHook, which answers before Fastify reads the body), Hono (bot.fetch on a
// route, served by @hono/node-server) and a bare fetch-style call of bot.fetch with a Web Request, as Deno, Bun and
// workers make. Each host: a signed roster
// is acknowledged with 202 and processed; no token gets 401 before the body is read; other content types 415; an
// oversized body 413; a body that breaks the contract 400 with JSON Pointers; a repeated delivery is processed once;
// keys that cannot be fetched give 503 with Retry-After.
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createInviteClient } from "@graph-invite/client";
import { type Simulator, start } from "@graph-invite/simulator";
import { serve } from "@hono/node-server";
import express from "express";
import fastify from "fastify";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Bot, type BotOptions, type CallbackAuthOptions, createBot, type RefusedDelivery } from "../src/index.js";
import { fastifyHook, nodeHandler } from "../src/node/index.js";
import { exampleMember, freePort, recordingLogger, rosterOf, signedHeaders } from "./harness.js";

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

interface Host {
  /** POSTs to the bot's notification path (or to `path`). */
  post(body: string | ReadableStream<Uint8Array>, headers: Record<string, string>, path?: string): Promise<Answer>;
  close(): Promise<void>;
}

const path = "/api/calls";

async function listening(server: Server): Promise<string> {
  if (!server.listening) await new Promise<void>((resolve) => server.once("listening", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function overHttp(server: Server): Host {
  const origin = listening(server);
  return {
    async post(body, headers, target = path) {
      const response = await fetch(`${await origin}${target}`, {
        method: "POST",
        headers,
        body,
        ...(typeof body !== "string" && { duplex: "half" }),
      } as RequestInit);
      return read(response);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function read(response: Response): Promise<Answer> {
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === "" ? undefined : JSON.parse(text) };
}

const hosts: Record<string, (bot: Bot) => Host> = {
  "node:http": (bot) => overHttp(createServer(nodeHandler(bot)).listen(0, "127.0.0.1")),
  "Express 5": (bot) => {
    const app = express();
    app.use(nodeHandler(bot));
    app.get("/health", (_request, response) => {
      response.send("ok");
    });
    return overHttp(app.listen(0, "127.0.0.1"));
  },
  "Express 5, mounted at the notification path": (bot) => {
    const app = express();
    app.use("/api/calls", nodeHandler(bot));
    return overHttp(app.listen(0, "127.0.0.1"));
  },
  "Fastify 5": (bot) => {
    const app = fastify();
    app.addHook("onRequest", fastifyHook(bot));
    app.get("/health", async () => "ok");
    void app.listen({ port: 0, host: "127.0.0.1" });
    return overHttp(app.server);
  },
  Hono: (bot) => {
    const app = new Hono();
    app.post(path, (context) => bot.fetch(context.req.raw));
    return overHttp(serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }) as Server);
  },
  "a bare fetch call": (bot) => ({
    post: async (body, headers) =>
      read(
        await bot.fetch(
          new Request(`http://bot.test${path}`, {
            method: "POST",
            headers,
            body,
            ...(typeof body !== "string" && { duplex: "half" }),
          } as RequestInit),
        ),
      ),
    close: async () => {},
  }),
};

let sim: Simulator;
beforeAll(async () => {
  sim = await start();
});
afterAll(() => sim.close());

function botFor(auth: Partial<CallbackAuthOptions> = {}, options: Partial<BotOptions> = {}): Bot {
  return createBot({
    client: createInviteClient({ credential: sim.credential(), baseUrl: sim.graphUrl }),
    auth: { appId: sim.app.appId, openIdConfigurationUrl: sim.openIdConfigurationUrl, ...auth },
    selfCheck: false,
    ...options,
  });
}

/** Who is in the call's roster, as `kind:id` of their identity, once the bot has processed what it acknowledged. */
async function members(bot: Bot, callId: string): Promise<string[]> {
  await bot.idle();
  return (await bot.roster(callId)).participants.map((member) => {
    const identity = member.participant.info?.identity as Record<string, { id?: string } | null> | undefined;
    const [kind, value] = Object.entries(identity ?? {}).find(([key]) => !key.startsWith("@")) ?? [];
    return `${kind}:${value?.id}`;
  });
}

/** A body stream that records whether anyone read from it. */
function watchedBody(text: string): { stream: ReadableStream<Uint8Array>; pulled: () => boolean } {
  let pulled = false;
  const bytes = new TextEncoder().encode(text);
  // A high-water mark of 0: the stream asks for data only when someone reads, not to fill a queue ahead.
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        pulled = true;
        controller.enqueue(bytes);
        controller.close();
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulled: () => pulled };
}

describe.each(Object.entries(hosts))("through %s", (name, host) => {
  let bot: Bot;
  let server: Host;
  beforeAll(() => {
    bot = botFor();
    server = host(bot);
  });
  afterAll(async () => {
    await server.close();
    await bot.idle();
    bot.stopWaiting();
  });

  test("a signed roster is acknowledged with 202 and then processed", async () => {
    const callId = randomUUID();
    const answer = await server.post(rosterOf(callId), await signedHeaders(sim));
    expect(answer).toMatchObject({ status: 202, body: undefined });
    expect(await members(bot, callId)).toEqual([exampleMember]);
  });

  test("no token: 401 with a bare Bearer challenge, and the body is never read", async () => {
    const callId = randomUUID();
    const body = watchedBody(rosterOf(callId));
    const answer = await server.post(body.stream, { "Content-Type": "application/json" });
    expect(answer.status).toBe(401);
    expect(answer.headers.get("www-authenticate")).toBe("Bearer");
    expect(answer.body).toEqual({ error: { code: "missing-token", message: expect.any(String) } });
    expect(await members(bot, callId)).toEqual([]);
    // Over HTTP the client's stream may be read into the socket; only the bare call proves the handler's restraint.
    if (name === "a bare fetch call") expect(body.pulled()).toBe(false);
  });

  test("a token signed by someone else gets 401 invalid_token", async () => {
    const token = (await sim.signNotificationToken()).replace(/\.[^.]+$/, ".c2lnbmF0dXJl");
    const answer = await server.post(rosterOf(randomUUID()), {
      Authorization: `Bearer ${token}`,
      "Content-Type": "application/json",
    });
    expect(answer.status).toBe(401);
    expect(answer.headers.get("www-authenticate")).toMatch(/^Bearer error="invalid_token"/);
  });

  test("a body that is not JSON in UTF-8 gets 415", async () => {
    const answer = await server.post(rosterOf(randomUUID()), {
      ...(await signedHeaders(sim)),
      "Content-Type": "text/plain",
    });
    expect(answer.status).toBe(415);
    expect(answer.body).toMatchObject({ error: { code: "unsupportedMediaType" } });
  });

  test("a body over the limit gets 413 and nothing is processed", async () => {
    const callId = randomUUID();
    const padded = rosterOf(callId).replace(/}$/, `,"padding":"${"x".repeat(1024 * 1024)}"}`);
    const answer = await server.post(padded, await signedHeaders(sim));
    expect(answer.status).toBe(413);
    expect(answer.body).toMatchObject({ error: { code: "payloadTooLarge" } });
    expect(await members(bot, callId)).toEqual([]);
  });

  test("a body that breaks the contract gets 400 naming the place as a JSON Pointer", async () => {
    const body = rosterOf(randomUUID()).replace('"changeType":"updated"', '"changeType":7');
    const answer = await server.post(body, await signedHeaders(sim));
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({
      error: { code: "invalidNotification", details: [{ target: "/value/0/changeType", code: expect.any(String) }] },
    });
  });

  test("a delivery repeated with its message id is acknowledged twice and processed once", async () => {
    const callId = randomUUID();
    const headers = { ...(await signedHeaders(sim)), "X-Microsoft-Skype-Message-Id": randomUUID() };
    const joined: string[] = [];
    const stop = bot.on("roster", (event) => {
      if (event.callId === callId) joined.push(event.type);
    });
    expect((await server.post(rosterOf(callId), headers)).status).toBe(202);
    expect((await server.post(rosterOf(callId), headers)).status).toBe(202);
    await bot.idle();
    stop();
    expect(joined).toEqual(["joined"]);
  });
});

describe.each(Object.entries(hosts))("through %s, with signing keys that cannot be fetched", (_name, host) => {
  test("503 with Retry-After, and nothing processed", async () => {
    const bot = botFor({ openIdConfigurationUrl: `http://127.0.0.1:${await freePort()}/openid`, fetchTimeoutMs: 1000 });
    const server = host(bot);
    try {
      const callId = randomUUID();
      const answer = await server.post(rosterOf(callId), await signedHeaders(sim));
      expect(answer.status).toBe(503);
      expect(answer.headers.get("retry-after")).toBe("5");
      expect(answer.body).toMatchObject({ error: { code: "keys-unavailable" } });
      expect(await members(bot, callId)).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

describe("as Express middleware", () => {
  test("requests for other paths fall through to the app's own routes", async () => {
    const bot = botFor();
    const app = express();
    app.use(nodeHandler(bot));
    app.get("/health", (_request, response) => {
      response.send("ok");
    });
    const server = app.listen(0, "127.0.0.1");
    try {
      const response = await fetch(`${await listening(server)}/health`);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe("ok");
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });

  test("mounted after a body parser, it refuses with 500 bodyAlreadyRead and logs why, rather than read nothing", async () => {
    const { logger, lines } = recordingLogger();
    const bot = botFor({}, { logger });
    const refused: RefusedDelivery[] = [];
    const errors: unknown[] = [];
    bot.on("refused", (refusal) => refused.push(refusal));
    bot.on("error", (error) => errors.push(error));
    const app = express();
    app.use(express.json());
    app.use(nodeHandler(bot));
    const server = overHttp(app.listen(0, "127.0.0.1"));
    try {
      const answer = await server.post(rosterOf(randomUUID()), await signedHeaders(sim));
      expect(answer.status).toBe(500);
      expect(answer.body).toMatchObject({
        error: { code: "bodyAlreadyRead", message: expect.stringMatching(/before any body parser/) },
      });
      expect(refused).toEqual([expect.objectContaining({ status: 500, reason: "bodyAlreadyRead" })]);
      // Not an error event: that one says a delivery was acknowledged and then failed.
      expect(errors).toEqual([]);
      expect(lines).toEqual([
        expect.objectContaining({
          level: "error",
          message: expect.stringMatching(/read before the bot's handler, by a body parser/),
        }),
      ]);
    } finally {
      await server.close();
    }
  });
});

describe("a body read before the bot's Web handler", () => {
  test("given to bot.fetch, is refused with 500 bodyAlreadyRead, not a raw ERR_INVALID_STATE", async () => {
    const { logger, lines } = recordingLogger();
    const bot = botFor({}, { logger });
    const request = new Request("http://bot.test/api/calls", {
      method: "POST",
      headers: await signedHeaders(sim),
      body: rosterOf(randomUUID()),
    });
    await request.text();
    const answer = await read(await bot.fetch(request));
    expect(answer).toMatchObject({ status: 500, body: { error: { code: "bodyAlreadyRead" } } });
    expect(lines.map((line) => line.level)).toEqual(["error"]);
  });

  test("read by Hono's c.req.json() first, is refused the same way", async () => {
    const bot = botFor({}, { logger: recordingLogger().logger });
    const app = new Hono();
    app.post(path, async (context) => {
      await context.req.json();
      return bot.fetch(context.req.raw);
    });
    const server = overHttp(serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }) as Server);
    try {
      const answer = await server.post(rosterOf(randomUUID()), await signedHeaders(sim));
      expect(answer).toMatchObject({ status: 500, body: { error: { code: "bodyAlreadyRead" } } });
    } finally {
      await server.close();
    }
  });
});

describe("as a Fastify hook", () => {
  test("other requests go on to the app's routes, and the notification path needs no route of its own", async () => {
    const bot = botFor();
    const app = fastify();
    app.addHook("onRequest", fastifyHook(bot));
    app.get("/health", async () => "ok");
    await app.listen({ port: 0, host: "127.0.0.1" });
    try {
      const origin = await listening(app.server);
      expect(await (await fetch(`${origin}/health`)).text()).toBe("ok");
      expect((await fetch(`${origin}/nowhere`, { method: "POST" })).status).toBe(404);
      const answer = await fetch(`${origin}/api/calls`, {
        method: "POST",
        headers: await signedHeaders(sim),
        body: rosterOf(randomUUID()),
      });
      expect(answer.status).toBe(202);
    } finally {
      await app.close();
    }
  });
});
