// Proves what the bot's notification endpoint answers once the caller is authenticated, over loopback with real
// tokens: 404 and 405 for another path or method; 415 unless the body is JSON in UTF-8; 413 for a body over the
// limit, declared or chunked, and 202 at exactly the limit; 400 with JSON Pointers for Graph's real malformed
// payloads and for JSON that is not a notification; duplicates acknowledged but processed once; a call's
// notifications processed in the order they were accepted; the 202 sent before processing; and, as a property,
// that no body gets anything but 202 or 400, with every 400's pointers naming places in the body as posted.
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { inviteBody, userParticipant } from "@graph-invite/client";
import { exampleNames, placesIn } from "@graph-invite/test-support/examples";
import fc from "fast-check";
import { describe, expect, onTestFinished, test } from "vitest";
import { MemoryStore, type RefusedDelivery, type RosterEvent, type RosterState } from "../src/index.js";
import {
  example,
  exampleCallId,
  lifecycle,
  membersOf,
  type NotificationsBody,
  participantNamed,
  postNotification,
  type RawAnswer,
  type RawExchange,
  rawPost,
  rosterOf,
  signedHeaders,
  watch,
} from "./harness.js";

const { sharedWorld } = lifecycle();

// ---------------------------------------------------------------------------------------------------------------
// Bodies

const malformedDirectory = new URL("../../../openapi/reference/payloads/malformed/", import.meta.url);

// ---------------------------------------------------------------------------------------------------------------
// Requests and observation

const withMessageId = (headers: Record<string, string>, id: string) => ({
  ...headers,
  "X-Microsoft-Skype-Message-Id": id,
});

const exampleMember = "application:278405a3-f568-4b3e-b684-009193463064";

/**
 * The bot's store, with a gate: while it is held, writing a roster waits, so a test can see what the endpoint
 * answers while a notification's processing has provably not finished. Open unless a test holds it.
 */
class GatedStore extends MemoryStore {
  private gate: Promise<void> | undefined;

  /** Holds roster writes until the returned function is called (and, at the latest, when the test ends). */
  hold(): () => void {
    let open = () => {};
    this.gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const release = () => {
      this.gate = undefined;
      open();
    };
    onTestFinished(release);
    return release;
  }

  override async putRoster(roster: RosterState, events: readonly RosterEvent[]): Promise<boolean> {
    if (this.gate !== undefined) await this.gate;
    return super.putRoster(roster, events);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// JSON Pointers

const jsonPointer = /^(\/([^~/]|~[01])*)*$/;

/**
 * Whether an RFC 6901 pointer names a place in `document`: the value at it, or, for a `schema.required` issue, the
 * member that is missing from an object that is there.
 */
function resolves(document: unknown, pointer: string, code: string): boolean {
  if (pointer === "") return true;
  const tokens = pointer
    .slice(1)
    .split("/")
    .map((token) => token.replaceAll("~1", "/").replaceAll("~0", "~"));
  let node = document;
  for (const [index, token] of tokens.entries()) {
    if (typeof node !== "object" || node === null) return false;
    const member = Array.isArray(node)
      ? /^(0|[1-9][0-9]*)$/.test(token) && Number(token) < node.length
      : Object.hasOwn(node, token);
    if (!member) return code === "schema.required" && index === tokens.length - 1 && !Array.isArray(node);
    node = (node as Record<string, unknown>)[token];
  }
  return true;
}

/** The body as the endpoint read it (a string goes out as UTF-8, lone surrogates replaced), parsed as JSON. */
function parsed(body: string | Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
    return { ok: true, value: JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) };
  } catch {
    return { ok: false };
  }
}

interface ErrorDetail {
  readonly target: string;
  readonly code: string;
  readonly message: string;
}

/** The `details` of a 400 answer, after checking the shape of its error body. */
function detailsOf(answer: RawAnswer | RawExchange): ErrorDetail[] {
  expect(answer.status).toBe(400);
  expect(answer.body).toEqual({
    error: { code: "invalidNotification", message: expect.any(String), details: expect.any(Array) },
  });
  const { details } = (answer.body as { error: { details: ErrorDetail[] } }).error;
  expect(details.length).toBeGreaterThan(0);
  for (const detail of details) {
    expect(detail).toEqual({
      target: expect.stringMatching(jsonPointer),
      code: expect.any(String),
      message: expect.any(String),
    });
  }
  return details;
}

// ---------------------------------------------------------------------------------------------------------------

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

describe("bodies that are not notifications", () => {
  const malformed = readdirSync(malformedDirectory).sort();

  test.each(malformed)(
    "%s, as every malformed payload the repository holds, is refused with 400 json.syntax and kept as Graph sent it",
    async (file) => {
      const { sim, bot } = shared();
      const seen = watch(bot);
      const text = readFileSync(new URL(file, malformedDirectory), "utf8");
      expect(() => JSON.parse(text)).toThrow(SyntaxError);
      const before = (await bot.unmatched()).length;
      const answer = await postNotification(bot, text, await signedHeaders(sim));
      expect(answer.status).toBe(400);
      expect(detailsOf(answer)).toEqual([{ target: "", code: "json.syntax", message: expect.any(String) }]);
      await bot.idle();
      expect(seen.deliveries).toEqual([]);
      // Graph never sends a refused notification again: the text is kept, byte for byte, with why it was refused.
      const kept = (await bot.unmatched()).slice(before);
      expect(kept).toEqual([expect.objectContaining({ notification: text })]);
    },
  );

  test.each([
    ["comms-samples-docs-legacy-notification-missing-braces.json", ":", "after the end of the JSON value"],
    ["docs-beta-2018-invite-establishing-trailingcomma.json", "}", "trailing comma"],
    ["docs-beta-2018-invite-roster-endpointIdentity-trailingcommas.json", "}", "trailing comma"],
    ["docs-beta-2019-invite-failed-notification-500-580-5201.json", "}", "trailing comma"],
    ["docs-beta-call-mute-roster-js-comment.json", "/", "comment"],
  ])("%s gets 400 json.syntax at the root, with the line and column of its fault", async (file, char, cause) => {
    const { sim, bot } = shared();
    const seen = watch(bot);
    const text = readFileSync(new URL(file, malformedDirectory), "utf8");
    const answer = await postNotification(bot, text, await signedHeaders(sim));
    const [detail, ...others] = detailsOf(answer);
    expect(others).toEqual([]);
    expect(detail).toEqual({ target: "", code: "json.syntax", message: expect.stringContaining(cause) });
    const [, line = 0, column = 0] = /line (\d+), column (\d+)/.exec(detail?.message ?? "")?.map(Number) ?? [];
    expect(text.split("\n")[line - 1]?.[column - 1]).toBe(char);
    await bot.idle();
    expect(seen.deliveries).toEqual([]);
    expect(seen.refusals).toMatchObject([
      { status: 400, reason: "invalidNotification", issues: [{ pointer: "", code: "json.syntax" }] },
    ]);
  });

  test.each([
    ['{"value": 3}', [{ target: "/value", code: "schema.type" }]],
    ['{"value": [{"changeType": "updated"}]}', [{ target: "/value/0/resourceUrl", code: "schema.required" }]],
    ["[]", [{ target: "", code: "schema.type" }]],
    ["", [{ target: "", code: "json.syntax" }]],
    ["null", [{ target: "", code: "schema.type" }]],
  ])("%j gets 400 naming the pointer and the rule", async (body, expected) => {
    const { sim, bot } = shared();
    const seen = watch(bot);
    const details = detailsOf(await postNotification(bot, body, await signedHeaders(sim)));
    expect(details).toEqual(expected.map((detail) => ({ ...detail, message: expect.any(String) })));
    const document = parsed(body);
    if (document.ok) {
      for (const { target, code } of details) expect(resolves(document.value, target, code), target).toBe(true);
    }
    expect(seen.deliveries).toEqual([]);
  });

  test("a body that is not UTF-8 gets 400 json.encoding", async () => {
    const { sim, bot } = shared();
    const body = Buffer.concat([Buffer.from('{"value": ["'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"]}')]);
    const answer = await rawPost(bot.callbackUrl, await signedHeaders(sim), [body]);
    expect(detailsOf(answer)).toEqual([{ target: "", code: "json.encoding", message: expect.any(String) }]);
  });

  // The tolerant parser rewrites Graph's known deviations before it validates; the pointers of what is still wrong
  // must name the body as it was posted, not as it was rewritten.
  test.each([
    [
      "a roster whose resourceData is one participant object, not a collection",
      {
        changeType: "updated",
        resourceUrl: `/communications/calls/${exampleCallId}/participants`,
        resourceData: { id: "p", info: 3 },
      },
    ],
    [
      "an operation sent as a collection of one",
      {
        changeType: "deleted",
        resourceUrl: `/communications/calls/${exampleCallId}/operations/op`,
        resourceData: [{ "@odata.type": "#microsoft.graph.inviteParticipantsOperation", status: 7 }],
      },
    ],
    [
      "a resultInfo with Graph's old subCode spelling",
      {
        changeType: "deleted",
        resourceUrl: `/communications/calls/${exampleCallId}/operations/op`,
        resourceData: {
          "@odata.type": "#microsoft.graph.inviteParticipantsOperation",
          status: "failed",
          resultInfo: { code: 500, subCode: "not a number" },
        },
      },
    ],
  ])("400 for %s names places in the body as posted", async (_, notification) => {
    const { sim, bot } = shared();
    const document = { value: [notification] };
    const details = detailsOf(await postNotification(bot, JSON.stringify(document), await signedHeaders(sim)));
    const unresolved = details.filter(({ target, code }) => !resolves(document, target, code));
    expect(unresolved).toEqual([]);
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

describe("duplicates", () => {
  test("the same body twice with the same X-Microsoft-Skype-Message-Id: both 202, processed once", async () => {
    const { sim, bot } = shared();
    const seen = watch(bot);
    const callId = randomUUID();
    const messageId = randomUUID();
    const body = rosterOf(callId);
    for (let attempt = 0; attempt < 2; attempt++) {
      const answer = await postNotification(bot, body, withMessageId(await signedHeaders(sim), messageId));
      expect(answer.status).toBe(202);
      expect(answer.body).toBeUndefined();
    }
    expect(await membersOf(bot, callId)).toEqual([exampleMember]);
    expect(seen.deliveries).toMatchObject([{ messageId }]);
    expect(seen.rosters).toMatchObject([{ type: "joined", callId }]);
    expect(seen.duplicates).toEqual([{ tenantId: sim.app.tenantId, messageId }]);
    expect(seen.refusals).toEqual([]);
  });

  test("without a message id, a repeated body is processed again, and the roster stays right", async () => {
    // Nothing tells a repeat from a new notification with the same content when Graph sends no message id: a roster
    // that goes A, then A and B, then A again has the same body first and last. The repeat is processed, and the
    // roster, which ignores a state it holds, stays right.
    const { sim, bot } = shared();
    const seen = watch(bot);
    const callId = randomUUID();
    const body = rosterOf(callId);
    expect((await postNotification(bot, body, await signedHeaders(sim))).status).toBe(202);
    expect((await postNotification(bot, body, await signedHeaders(sim))).status).toBe(202);
    await bot.idle();
    expect(await membersOf(bot, callId)).toEqual([exampleMember]);
    expect(seen.deliveries).toHaveLength(2);
    expect(seen.rosters).toMatchObject([{ type: "joined", callId }]);
    expect(seen.refusals).toEqual([]);
  });

  test("different message ids with different bodies are both processed", async () => {
    const { sim, bot } = shared();
    const seen = watch(bot);
    const [first, second] = [randomUUID(), randomUUID()];
    for (const callId of [first, second]) {
      const answer = await postNotification(
        bot,
        rosterOf(callId),
        withMessageId(await signedHeaders(sim), randomUUID()),
      );
      expect(answer.status).toBe(202);
    }
    expect(await membersOf(bot, first)).toEqual([exampleMember]);
    expect(await membersOf(bot, second)).toEqual([exampleMember]);
    expect(seen.deliveries).toHaveLength(2);
    expect(seen.refusals).toEqual([]);
  });

  test("the message id, when Graph sends one, decides: the same body under two ids is two deliveries", async () => {
    const { sim, bot } = shared();
    const seen = watch(bot);
    const callId = randomUUID();
    const ids = [randomUUID(), randomUUID()];
    for (const id of ids) {
      expect((await postNotification(bot, rosterOf(callId), withMessageId(await signedHeaders(sim), id))).status).toBe(
        202,
      );
    }
    await bot.idle();
    expect(seen.deliveries.map((delivery) => delivery.messageId)).toEqual(ids);
    expect(seen.refusals).toEqual([]);
  });

  test("the simulator delivering every notification twice: the invite completes and each is processed once", async () => {
    const { sim, bot } = shared();
    sim.setScenario({ delivery: { duplicate: true } });
    onTestFinished(() => sim.setScenario({}));
    const seen = watch(bot);
    const call = sim.createCall({ kind: "group", callbackUri: bot.callbackUrl });
    const outcome = await bot.inviteAndWait(call.id, inviteBody(userParticipant("dup")));
    expect(outcome.status).toBe("completed");
    await sim.settled();
    await bot.idle();
    const sent = sim.deliveries().filter((delivery) => delivery.callId === call.id);
    expect(sent.filter((delivery) => delivery.duplicate)).toHaveLength(2);
    expect(sent.every((delivery) => delivery.outcome === "delivered")).toBe(true);
    expect(seen.deliveries).toHaveLength(2);
    expect(seen.duplicates).toHaveLength(2);
    expect(seen.refusals).toEqual([]);
    expect((await bot.operations(call.id))[0]?.history.map((step) => step.event)).toEqual([
      "sent",
      "accepted",
      "notification",
    ]);
    expect(await membersOf(bot, call.id)).toEqual(["user:dup"]);
  });
});

describe("order within a call", () => {
  test("rosters posted one after another while processing is held are applied in the order they arrived", async () => {
    const { sim, bot } = shared();
    const seen = watch(bot);
    const callId = randomUUID();
    const people = Array.from({ length: 6 }, (_, index) => participantNamed(`person-${index}`));
    const release = store.hold();
    // Each roster lists one more person: applied in any other order, someone would leave and join again.
    for (let count = 1; count <= people.length; count++) {
      const body = rosterOf(callId, people.slice(0, count));
      const answer = await postNotification(bot, body, withMessageId(await signedHeaders(sim), `m${count}`));
      expect(answer.status).toBe(202);
    }
    expect(seen.rosters).toEqual([]);
    release();
    expect(await membersOf(bot, callId)).toEqual(people.map((person) => `application:app-${person.id}`));
    expect(seen.rosters.map((event) => [event.type, event.key])).toEqual(people.map((person) => ["joined", person.id]));
  });

  test("rosters posted all at once are applied in the order the endpoint accepted them", async () => {
    const { sim, bot } = shared();
    const seen = watch(bot);
    const callId = randomUUID();
    const people = Array.from({ length: 8 }, (_, index) => participantNamed(`racer-${index}`));
    // Each roster lists only its own person: the last one applied decides who is in the call.
    const answers = await Promise.all(
      people.map(async (person) =>
        postNotification(bot, rosterOf(callId, [person]), withMessageId(await signedHeaders(sim), randomUUID())),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual(people.map(() => 202));
    await bot.idle();
    const accepted = seen.deliveries.map((delivery) => {
      const [notification] = delivery.notifications;
      return notification?.kind === "roster" ? notification.participants[0]?.id : undefined;
    });
    expect([...accepted].sort()).toEqual(people.map((person) => person.id).sort());
    const joined = seen.rosters.filter((event) => event.type === "joined").map((event) => event.key);
    expect(joined).toEqual(accepted);
    expect(await membersOf(bot, callId)).toEqual([`application:app-${accepted.at(-1)}`]);
  });
});

describe("acknowledgement", () => {
  test("202 comes back while the notification's processing is still held, and the processing follows", async () => {
    const { sim, bot } = shared();
    const seen = watch(bot);
    const callId = randomUUID();
    const release = store.hold();
    const answer = await postNotification(bot, rosterOf(callId), await signedHeaders(sim));
    expect(answer.status).toBe(202);
    expect(answer.body).toBeUndefined();
    expect(seen.rosters).toEqual([]);
    expect((await bot.roster(callId)).participants).toEqual([]);
    release();
    expect(await membersOf(bot, callId)).toEqual([exampleMember]);
    expect(seen.rosters).toMatchObject([{ type: "joined", callId }]);
  });
});

describe("any body, as a property", () => {
  /** The reference page's notifications (examples 1 to 5: each roster and each operation's end). */
  const enveloped = exampleNames()
    .filter((file) => file.endsWith(".roster-updated.json") || file.endsWith(".operation-completed.json"))
    .sort()
    .map((file) => example<NotificationsBody>(file));
  /** Those, and the first notification of each as it sometimes arrives: without its envelope. */
  const notifications: unknown[] = enveloped.flatMap((body) => [body, body.value[0]]);

  type Mutation = readonly [place: number, kind: "replace" | "delete" | "wrap" | "collapse", value: unknown];

  /** Applies each mutation at the place-th member (in document order) of the value, which it changes. */
  function mutate(document: unknown, mutations: readonly Mutation[]): unknown {
    const root: Record<string, unknown> = { document: structuredClone(document) };
    for (const [place, kind, value] of mutations) {
      const places = placesIn(root);
      const [parent, key] = places[place % places.length] ?? [root, "document"];
      const current = parent[key];
      if (kind === "replace") parent[key] = structuredClone(value);
      else if (kind === "delete" && Array.isArray(parent)) parent.splice(Number(key), 1);
      else if (kind === "delete") delete parent[key];
      else if (kind === "wrap") parent[key] = [current];
      else parent[key] = Array.isArray(current) ? current[0] : current;
    }
    return root["document"];
  }

  const mutation: fc.Arbitrary<Mutation> = fc.tuple(
    fc.nat(),
    fc.constantFrom("replace", "delete", "wrap", "collapse"),
    fc.jsonValue({ maxDepth: 2 }),
  );

  /** One of the reference page's notifications, with one to three mutations anywhere in it. */
  const mutated = fc
    .tuple(fc.constantFrom(...notifications), fc.array(mutation, { minLength: 1, maxLength: 3 }))
    .map(([document, mutations]) => JSON.stringify(mutate(document, mutations)) ?? "null");

  /**
   * Graph sometimes sends a roster's one participant as an object, or an operation in a collection of one; the
   * tolerant parser reshapes both. Here a notification's resourceData is reshaped so, then mutated inside.
   */
  const reshaped = fc
    .tuple(
      fc.constantFrom(...enveloped),
      fc.constantFrom("wrap", "collapse"),
      fc.array(mutation, { minLength: 0, maxLength: 2 }),
    )
    .map(([document, shape, mutations]) => {
      const copy = structuredClone(document);
      const [first] = copy.value;
      if (first !== undefined) {
        const data = first.resourceData;
        first.resourceData = mutate(shape === "wrap" ? [data] : Array.isArray(data) ? data[0] : data, mutations);
      }
      return JSON.stringify(copy);
    });

  /** Anything: text, JSON of any shape, bytes that may not be UTF-8, and notifications a little or much broken. */
  const bodies: fc.Arbitrary<string | Buffer> = fc.oneof(
    fc.string({ unit: "binary", maxLength: 200 }),
    fc.json({ maxDepth: 4 }),
    fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
    mutated,
    reshaped,
  );

  test("never a 5xx: always 202 (then processed without error) or 400 with JSON Pointer details", async () => {
    const { sim, bot } = shared();
    const seen = watch(bot);
    // One token for every run: minting a new one per body would only slow the property down.
    const headers = await signedHeaders(sim);
    await fc.assert(
      fc.asyncProperty(bodies, async (body) => {
        const answer = await postNotification(bot, body, headers);
        expect([202, 400]).toContain(answer.status);
        if (answer.status === 202) {
          expect(answer.body).toBeUndefined();
          await bot.idle();
          expect(seen.errors).toEqual([]);
        } else {
          detailsOf(answer);
        }
      }),
      { numRuns: 100 },
    );
  });

  /**
   * Breakages the contract forbids whatever the tolerant parser forgives: each with the place it must be reported at.
   * A receiver that accepted everything would pass the properties above; it fails this one.
   */
  const broken: ReadonlyArray<readonly [pointer: string, breakage: (notification: Record<string, unknown>) => void]> = [
    [
      "/value/0/resourceUrl",
      (notification) => {
        notification["resourceUrl"] = ["not", "a", "path"];
      },
    ],
    [
      "/value/0/changeType",
      (notification) => {
        notification["changeType"] = 7;
      },
    ],
    [
      "/value/0/resourceData",
      (notification) => {
        notification["resourceData"] = 42;
      },
    ],
    [
      "/value/0",
      (notification) => {
        delete notification["changeType"];
      },
    ],
  ];

  // A broken notification alone is refused with 400; beside a usable sibling, the delivery is acknowledged and the
  // broken one kept with the place it breaks, since Graph will not send either again.
  test("known breakages are refused naming the broken place, on every example, alone or beside a sibling", async () => {
    const { sim, bot } = shared();
    const headers = await signedHeaders(sim);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...enveloped),
        fc.constantFrom(...broken),
        fc.boolean(),
        async (document, [pointer, breakage], withSibling) => {
          const body = structuredClone(document);
          const [first] = body.value;
          if (first === undefined) throw new Error("an example without notifications");
          const sibling = structuredClone(first);
          body.value = withSibling ? [first, sibling] : [first];
          breakage(first);
          await bot.idle();
          const before = (await bot.unmatched()).length;
          const answer = await postNotification(bot, JSON.stringify(body), headers);
          const places = (reasonOrTargets: readonly string[]) =>
            reasonOrTargets.some((place) => place === pointer || place.startsWith(`${pointer}/`));
          if (!withSibling) {
            expect(answer.status).toBe(400);
            expect(places(detailsOf(answer).map(({ target }) => target))).toBe(true);
            return;
          }
          expect(answer.status).toBe(202);
          await bot.idle();
          // The sibling may be kept too, as an operation this bot never started: only the refusal is looked at.
          const kept = (await bot.unmatched())
            .slice(before)
            .filter((entry) => entry.reason.startsWith("a notification the parser refused"));
          expect(kept).toHaveLength(1);
          const place = /^a notification the parser refused: (\S+):/.exec(kept[0]?.reason ?? "")?.[1] ?? "";
          expect(places([place])).toBe(true);
        },
      ),
      { numRuns: 50 },
    );
  });

  test("every 400's details point at places in the body as posted", async () => {
    const { sim, bot } = shared();
    const headers = await signedHeaders(sim);
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated, reshaped), async (body) => {
        const answer = await postNotification(bot, body, headers);
        const document = parsed(body);
        if (answer.status !== 400 || !document.ok) return;
        const unresolved = detailsOf(answer).filter(({ target, code }) => !resolves(document.value, target, code));
        expect(unresolved).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });
});

describe("what the bot keeps of a refused body", () => {
  test("an authenticated body that breaks the contract gets 400 and is kept as unmatched, with the reason", async () => {
    const { sim, bot } = shared();
    const body = JSON.parse(rosterOf(randomUUID())) as { value: Array<Record<string, unknown>> };
    const [notification] = body.value;
    if (notification === undefined) throw new Error("the roster has no notification");
    notification["changeType"] = 7;
    await bot.idle();
    const before = (await bot.unmatched()).length;
    const text = JSON.stringify(body);
    const answer = await postNotification(bot, text, await signedHeaders(sim));
    expect(answer.status).toBe(400);
    await bot.idle();
    const kept = (await bot.unmatched()).slice(before);
    expect(kept).toEqual([
      {
        at: expect.any(String),
        callId: undefined,
        reason: expect.stringMatching(/^a delivery the parser refused: \/value\/0\/changeType: /),
        notification: text,
      },
    ]);
  });

  test("a body nested 200,000 deep, which no structured clone can copy, is refused and kept whole as its text", async () => {
    const { sim, bot } = shared();
    const depth = 200_000;
    const text = `{"value":[{"deep":${"[".repeat(depth)}${"]".repeat(depth)}}]}`;
    await bot.idle();
    const before = (await bot.unmatched()).length;
    const seen = watch(bot);
    const answer = await postNotification(bot, text, await signedHeaders(sim));
    expect(answer.status).toBe(400);
    await bot.idle();
    const kept = (await bot.unmatched()).slice(before);
    expect(kept.map((entry) => entry.notification)).toEqual([text]);
    expect(seen.errors).toEqual([]);
  });

  test("a body that is not JSON is kept as its text; a repeat of the same delivery is not kept twice", async () => {
    const { sim, bot } = shared();
    await bot.idle();
    const before = (await bot.unmatched()).length;
    const headers = { ...(await signedHeaders(sim)), "X-Microsoft-Skype-Message-Id": randomUUID() };
    for (let attempt = 0; attempt < 2; attempt++) {
      expect((await postNotification(bot, '{"value": [', headers)).status).toBe(400);
    }
    await bot.idle();
    const kept = (await bot.unmatched()).slice(before);
    expect(kept.map((entry) => entry.notification)).toEqual(['{"value": [']);
  });

  test("a request target that is not a URL path gets 404, not an error", async () => {
    const { bot } = shared();
    const seen = watch(bot);
    for (const target of ["//a:99999/", "//[bad/", "*"]) {
      const status = await new Promise<number>((resolve, reject) => {
        const request = httpRequest(bot.url, { method: "POST", path: target, agent: false }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        request.on("error", reject);
        request.end();
      });
      expect(status, target).toBe(404);
    }
    expect(seen.errors).toEqual([]);
  });
});
