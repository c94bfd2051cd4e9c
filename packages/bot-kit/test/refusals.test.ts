// Outcomes that say why. A bot configured with the wrong app id refuses every notification Graph sends: it warns
// within a second of the first refusal, naming auth.appId, and the invite's timed-out outcome lists the refusals with
// the expected and the received audience. Refusals are logged at a bounded rate however many arrive.
import { randomUUID } from "node:crypto";
import { inviteBody, userParticipant } from "@graph-invite/client";
import { describe, expect, test, vi } from "vitest";
import type { RefusedDelivery } from "../src/index.js";
import { lifecycle, postNotification, recordingLogger, rosterOf, signedHeaders } from "./harness.js";

const { world } = lifecycle();

describe("a bot given the wrong app id", () => {
  test("warns within a second of the first refused callback, and its timed-out outcome names both audiences", async () => {
    const { logger, lines } = recordingLogger();
    const wrongAppId = randomUUID();
    const { sim, bot } = await world({}, { logger, auth: { appId: wrongAppId } });
    const refusedAt: number[] = [];
    bot.on("refused", () => refusedAt.push(Date.now()));
    const call = sim.createCall({ kind: "group", callbackUri: bot.callbackUrl });
    const outcome = bot.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())), { timeoutMs: 8000 });

    await vi.waitFor(() => expect(refusedAt.length).toBeGreaterThan(0), { timeout: 8000 });
    // Once the first refusal is reported, its warning follows within a second.
    await vi.waitFor(() => expect(lines.some((line) => line.fields["setting"] === "auth.appId")).toBe(true), {
      timeout: 1000,
    });
    const warning = lines.find((line) => line.fields["setting"] === "auth.appId");
    expect(warning).toMatchObject({
      level: "warn",
      fields: { reason: "wrong-audience", detail: { expected: wrongAppId, received: sim.app.appId } },
    });
    expect(warning?.message).toContain(wrongAppId);
    expect(warning?.message).toContain(sim.app.appId);

    const ended = await outcome;
    expect(ended.status).toBe("timed-out");
    expect(ended.refusedWhileWaiting).toEqual([
      {
        reason: "wrong-audience",
        status: 401,
        count: refusedAt.length,
        message: expect.stringMatching(/auth\.appId/),
        detail: { expected: wrongAppId, received: sim.app.appId },
        setting: "auth.appId",
        lastAt: expect.any(String),
      },
    ]);
  });
});

describe("refusals", () => {
  test("wrong-audience names the expected and the received audience", async () => {
    const { sim, bot } = await world();
    const refused: RefusedDelivery[] = [];
    bot.on("refused", (refusal) => refused.push(refusal));
    const answer = await postNotification(
      bot,
      rosterOf(randomUUID()),
      await signedHeaders(sim, { aud: "someone-else" }),
    );
    expect(answer.status).toBe(401);
    expect(refused).toEqual([
      {
        status: 401,
        reason: "wrong-audience",
        message: `The token is for the app id "someone-else", not this bot's app id "${sim.app.appId}" (auth.appId).`,
        detail: { expected: sim.app.appId, received: "someone-else" },
        setting: "auth.appId",
      },
    ]);
  });

  test("are logged once per reason however many arrive, and counted", async () => {
    const { logger, lines } = recordingLogger();
    const { sim, bot } = await world({}, { logger });
    const foreign = await signedHeaders(sim, { aud: "someone-else" });
    for (let i = 0; i < 30; i++) await postNotification(bot, rosterOf(randomUUID()), foreign);
    for (let i = 0; i < 5; i++)
      await postNotification(bot, rosterOf(randomUUID()), { "Content-Type": "application/json" });
    expect(lines.map((line) => [line.level, line.fields["reason"], line.fields["total"]])).toEqual([
      ["warn", "wrong-audience", 1],
      ["warn", "missing-token", 1],
    ]);
  });

  test("an invite whose callback URL has the wrong path times out listing the 404s, naming the path setting", async () => {
    const { sim, bot } = await world();
    const call = sim.createCall({ kind: "group", callbackUri: `${bot.url}/elsewhere` });
    const outcome = await bot.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())), { timeoutMs: 8000 });
    expect(outcome.status).toBe("timed-out");
    expect(outcome.refusedWhileWaiting).toEqual([
      expect.objectContaining({ reason: "notFound", setting: "path", status: 404 }),
    ]);
  });
});
