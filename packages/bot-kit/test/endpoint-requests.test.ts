// Proves what the bot's notification endpoint answers once the caller is authenticated, over loopback with real
// tokens: 404 and 405 for another path or method; 415 unless the body is JSON in UTF-8; 413 for a body over the
// limit, declared or chunked, and 202 at exactly the limit; and what happens when the sender hangs up.

import { randomUUID } from "node:crypto";
import { request as httpRequest } from "node:http";
import { describe, expect, test } from "vitest";
import type { RefusedDelivery } from "../src/index.js";
import { exampleMember, GatedStore } from "./endpoint-bodies.js";
import { lifecycle, membersOf, postNotification, rawPost, rosterOf, signedHeaders, watch } from "./harness.js";

const { sharedWorld } = lifecycle();

const store = new GatedStore();

const shared = sharedWorld({}, { store });

describe("routing", () => {
  test("a POST to another path gets 404, whatever its token", async () => {
    const { sim, bot } = shared();
    for (const path of ["/api/other", "/api/calls/extra", "/"]) {
      const response = await fetch(`${bot.url}${path}`, {
        method: "POST",
        headers: await signedHeaders(sim),
        body: rosterOf(randomUUID()),
      });
      expect(response.status, path).toBe(404);
      expect(await response.json()).toEqual({ error: { code: "notFound", message: expect.any(String) } });
    }
  });

  test("another method on /api/calls gets 405 with Allow: POST", async () => {
    const { sim, bot } = shared();
    for (const method of ["GET", "PUT", "DELETE"]) {
      const response = await fetch(bot.callbackUrl, {
        method,
        headers: await signedHeaders(sim),
        ...(method === "GET" ? {} : { body: rosterOf(randomUUID()) }),
      });
      expect(response.status, method).toBe(405);
      expect(response.headers.get("allow")).toBe("POST");
      expect(await response.json()).toEqual({ error: { code: "methodNotAllowed", message: expect.any(String) } });
    }
  });
});

describe("media type", () => {
  test.each([
    ["text/plain", "text/plain"],
    ["application/json; charset=latin1", "application/json; charset=latin1"],
    ["application/json; charset=iso-8859-1", "application/json; charset=iso-8859-1"],
    ["a JSON-like media type", "application/json-patch+json"],
  ])("%s gets 415 and nothing is processed", async (_, contentType) => {
    const { sim, bot } = shared();
    const seen = watch(bot);
    const callId = randomUUID();
    const answer = await postNotification(bot, rosterOf(callId), {
      ...(await signedHeaders(sim)),
      "Content-Type": contentType,
    });
    expect(answer.status).toBe(415);
    expect(answer.body).toEqual({ error: { code: "unsupportedMediaType", message: expect.any(String) } });
    expect(answer.headers.get("connection")).toBe("close");
    expect(await membersOf(bot, callId)).toEqual([]);
    expect(seen.deliveries).toEqual([]);
  });

  test("a body without a Content-Type gets 415", async () => {
    const { sim, bot } = shared();
    const { Authorization } = await signedHeaders(sim);
    const body = rosterOf(randomUUID());
    const answer = await rawPost(
      bot.callbackUrl,
      { Authorization, "Content-Length": String(Buffer.byteLength(body)) },
      [body],
    );
    expect(answer.status).toBe(415);
    expect(answer.body).toMatchObject({ error: { code: "unsupportedMediaType" } });
  });

  test.each(["application/json", "application/json; charset=utf-8", 'Application/JSON; Charset="UTF-8"'])(
    "%s gets 202 and is processed",
    async (contentType) => {
      const { sim, bot } = shared();
      const callId = randomUUID();
      const answer = await postNotification(bot, rosterOf(callId), {
        ...(await signedHeaders(sim)),
        "Content-Type": contentType,
      });
      expect(answer.status).toBe(202);
      expect(await membersOf(bot, callId)).toEqual([exampleMember]);
    },
  );
});

describe("body size, with maxBodyBytes 1024", () => {
  const limit = 1024;
  const small = sharedWorld({}, { maxBodyBytes: limit });

  /** A valid notification of a new call, padded with JSON whitespace to exactly `bytes` bytes. */
  function padded(bytes: number): { callId: string; body: string } {
    const callId = randomUUID();
    const body = rosterOf(callId);
    expect(Buffer.byteLength(body)).toBeLessThan(bytes);
    return { callId, body: `${body}${"\n".repeat(bytes - Buffer.byteLength(body))}` };
  }

  /** The body in pieces of at most 256 bytes. */
  const chunked = (body: string) =>
    Array.from({ length: Math.ceil(body.length / 256) }, (_, i) => body.slice(i * 256, (i + 1) * 256));

  test("a declared Content-Length over the limit gets 413 at once, before any of the body is sent", async () => {
    const { sim, bot } = small();
    const seen = watch(bot);
    const answer = await rawPost(
      bot.callbackUrl,
      { ...(await signedHeaders(sim)), "Content-Length": String(limit + 1) },
      [],
      false,
    );
    expect(answer.status).toBe(413);
    expect(answer.body).toEqual({ error: { code: "payloadTooLarge", message: expect.stringContaining("1024") } });
    expect(answer.headers.connection).toBe("close");
    expect(seen.deliveries).toEqual([]);
    expect(seen.refusals).toEqual([{ status: 413, reason: "payloadTooLarge", message: expect.any(String) }]);
  });

  test("a valid notification of limit + 1 bytes gets 413 whether its length is declared or it is chunked", async () => {
    const { sim, bot } = small();
    const seen = watch(bot);
    const declared = padded(limit + 1);
    const answer = await postNotification(bot, declared.body, await signedHeaders(sim));
    expect(answer.status).toBe(413);
    expect(answer.body).toMatchObject({ error: { code: "payloadTooLarge" } });

    const streamed = padded(limit + 1);
    const headers = { ...(await signedHeaders(sim)), "Transfer-Encoding": "chunked" };
    const chunks = chunked(streamed.body);
    expect(chunks.length).toBeGreaterThan(1);
    const chunkedAnswer = await rawPost(bot.callbackUrl, headers, chunks);
    expect(chunkedAnswer.status).toBe(413);
    expect(chunkedAnswer.body).toMatchObject({ error: { code: "payloadTooLarge" } });
    expect(chunkedAnswer.headers.connection).toBe("close");

    expect(await membersOf(bot, declared.callId)).toEqual([]);
    expect(await membersOf(bot, streamed.callId)).toEqual([]);
    expect(seen.deliveries).toEqual([]);
  });

  test("a chunked body far over the limit gets 413", async () => {
    const { sim, bot } = small();
    const headers = { ...(await signedHeaders(sim)), "Transfer-Encoding": "chunked" };
    const answer = await rawPost(
      bot.callbackUrl,
      headers,
      Array.from({ length: 64 }, () => " ".repeat(1000)),
    );
    expect(answer.status).toBe(413);
    expect(answer.body).toMatchObject({ error: { code: "payloadTooLarge" } });
  });

  test("a valid notification of exactly the limit gets 202 and is processed, declared or chunked", async () => {
    const { sim, bot } = small();
    const declared = padded(limit);
    expect(Buffer.byteLength(declared.body)).toBe(limit);
    expect((await postNotification(bot, declared.body, await signedHeaders(sim))).status).toBe(202);
    expect(await membersOf(bot, declared.callId)).toEqual([exampleMember]);

    const streamed = padded(limit);
    const headers = { ...(await signedHeaders(sim)), "Transfer-Encoding": "chunked" };
    expect((await rawPost(bot.callbackUrl, headers, chunked(streamed.body))).status).toBe(202);
    expect(await membersOf(bot, streamed.callId)).toEqual([exampleMember]);
  });

  test("the limit counts bytes, not characters", async () => {
    const { sim, bot } = small();
    // "é" is two bytes in UTF-8: a body of them reaches the limit in bytes with fewer characters than the limit.
    const named = (name: string) =>
      rosterOf(randomUUID()).replace('"isMuted":false', `"isMuted":false,"displayNote":"${name}"`);
    const room = limit - Buffer.byteLength(named(""));
    const name = "é".repeat(Math.floor(room / 2));
    const atLimit = `${named(name)}${" ".repeat(room % 2)}`;
    expect(Buffer.byteLength(atLimit)).toBe(limit);
    expect(atLimit.length).toBeLessThan(limit);
    expect((await postNotification(bot, atLimit, await signedHeaders(sim))).status).toBe(202);

    const over = named(`${name}é`);
    expect(Buffer.byteLength(over)).toBeGreaterThan(limit);
    expect(over.length).toBeLessThan(limit);
    expect((await postNotification(bot, over, await signedHeaders(sim))).status).toBe(413);
  });
});

describe("a sender that hangs up", () => {
  test("mid-body is a refusal the bot reports, not an error, and nothing is processed", async () => {
    const { sim, bot } = shared();
    const seen = watch(bot);
    const refused = new Promise<RefusedDelivery>((resolve) => {
      const stop = bot.on("refused", (refusal) => {
        stop();
        resolve(refusal);
      });
    });
    const request = httpRequest(bot.callbackUrl, {
      method: "POST",
      headers: { ...(await signedHeaders(sim)), "Content-Length": 4096 },
    });
    request.on("error", () => {});
    request.write(rosterOf(randomUUID()).slice(0, 100));
    // Once the bot has authenticated the request and started reading its body, the sender hangs up.
    await new Promise((resolve) => setTimeout(resolve, 50));
    request.destroy();
    expect(await refused).toEqual({
      status: 499,
      reason: "clientClosedRequest",
      message: "The sender closed the connection before the answer.",
    });
    await bot.idle();
    expect(seen.errors).toEqual([]);
    expect(seen.deliveries).toEqual([]);
  });
});
