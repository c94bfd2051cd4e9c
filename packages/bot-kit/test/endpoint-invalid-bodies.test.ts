// Proves that the bot's notification endpoint answers 400 with JSON Pointers for Graph's real malformed payloads and
// for JSON that is not a notification, and, as a property, that no body gets anything but 202 or 400, with every
// 400's pointers naming places in the body as posted; and what the bot keeps of a refused body.

import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { exampleNames, placesIn } from "@graph-invite/test-support/examples";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { detailsOf, GatedStore, malformedDirectory, parsed, resolves } from "./endpoint-bodies.js";
import {
  example,
  exampleCallId,
  lifecycle,
  type NotificationsBody,
  postNotification,
  rawPost,
  rosterOf,
  signedHeaders,
  watch,
} from "./harness.js";

const { sharedWorld } = lifecycle();

const store = new GatedStore();

const shared = sharedWorld({}, { store });

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
