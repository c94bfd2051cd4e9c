// Metrics and traces, read back through OpenTelemetry's own SDK and its in-memory exporters, for a bot that invites
// through the simulator and receives its signed notifications: what is counted, how long things took, and the spans
// of the invite's POST and of each delivery's processing, linked by operation.
import { randomUUID } from "node:crypto";
import { inviteBody, userParticipant } from "@graph-invite/client";
import * as api from "@opentelemetry/api";
import { describe, expect, test } from "vitest";
import { importOptional, instrumentationScope } from "../src/telemetry.js";
import { lifecycle, postNotification, signedHeaders } from "./harness.js";
import { count, points, recorded, useSdk } from "./telemetry-sdk.js";

const { spanExporter } = useSdk();

describe("a bot with OpenTelemetry's API installed", () => {
  const { world } = lifecycle();

  test("counts invites by outcome and records how long each took", async () => {
    const { sim, bot } = await world();
    const [ann, bob] = [randomUUID(), randomUUID()];
    // Each terminal notification arrives before Graph's answer, which then changes an invite that has ended already.
    sim.setScenario({
      answers: { [ann]: { kind: "accept", afterMs: 200 }, [bob]: { kind: "decline", afterMs: 10 } },
      delivery: { terminalBeforeResponse: true },
    });
    const call = sim.createCall({ kind: "group", callbackUri: bot.callbackUrl });
    const before = {
      completed: await count("graph_invite.invites", { "graph_invite.invite.outcome": "completed" }),
      failed: await count("graph_invite.invites", { "graph_invite.invite.outcome": "failed" }),
      rejected: await count("graph_invite.invites", { "graph_invite.invite.outcome": "rejected" }),
    };
    const outcomes = await Promise.all([
      bot.inviteAndWait(call.id, inviteBody(userParticipant(ann))),
      bot.inviteAndWait(call.id, inviteBody(userParticipant(bob))),
      bot.inviteAndWait(call.id, inviteBody(Array.from({ length: 6 }, () => userParticipant(randomUUID())))),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["completed", "failed", "rejected"]);
    await sim.settled();
    await bot.idle();
    // Graph's answer after the outcome is not counted as another.
    expect(await count("graph_invite.invites", { "graph_invite.invite.outcome": "completed" })).toBe(
      before.completed + 1,
    );
    expect(await count("graph_invite.invites", { "graph_invite.invite.outcome": "failed" })).toBe(before.failed + 1);
    expect(await count("graph_invite.invites", { "graph_invite.invite.outcome": "rejected" })).toBe(
      before.rejected + 1,
    );
    const [completed] = await recorded("graph_invite.invite.duration", { "graph_invite.invite.outcome": "completed" });
    // Ann answers after 200 ms: the invite took at least that, in seconds.
    expect(completed?.count).toBeGreaterThanOrEqual(1);
    expect(completed?.max).toBeGreaterThanOrEqual(0.2);
    expect(completed?.max).toBeLessThan(60);
  });

  test("counts deliveries as accepted, duplicate or refused by reason, and times each answer", async () => {
    const { sim, bot } = await world();
    const user = randomUUID();
    sim.setScenario({ answers: { [user]: { kind: "accept", afterMs: 10 } }, delivery: { duplicate: true } });
    const call = sim.createCall({ kind: "group", callbackUri: bot.callbackUrl });
    const accepted = await count("graph_invite.deliveries", { "graph_invite.delivery.outcome": "accepted" });
    const duplicates = await count("graph_invite.deliveries", { "graph_invite.delivery.outcome": "duplicate" });
    const timed = (await recorded("graph_invite.delivery.answer.duration", { "http.response.status_code": 202 }))[0];
    await bot.inviteAndWait(call.id, inviteBody(userParticipant(user)));
    await sim.settled();
    await bot.idle();
    const sent = sim.deliveries().filter((delivery) => delivery.callId === call.id).length;
    expect(sent).toBeGreaterThan(1);
    expect(await count("graph_invite.deliveries", { "graph_invite.delivery.outcome": "accepted" })).toBe(
      accepted + sent / 2,
    );
    expect(await count("graph_invite.deliveries", { "graph_invite.delivery.outcome": "duplicate" })).toBe(
      duplicates + sent / 2,
    );
    const answers = (await recorded("graph_invite.delivery.answer.duration", { "http.response.status_code": 202 }))[0];
    expect((answers?.count ?? 0) - (timed?.count ?? 0)).toBe(sent);

    // A token for another app: refused as Graph's would not be, with the reason.
    const wrongAudience = await signedHeaders(sim, { aud: randomUUID() });
    expect((await postNotification(bot, "{}", wrongAudience)).status).toBe(401);
    const refused = await points("graph_invite.deliveries");
    expect(refused).toContainEqual(
      expect.objectContaining({
        attributes: expect.objectContaining({
          "graph_invite.delivery.outcome": "refused",
          "http.response.status_code": 401,
          "graph_invite.refusal.reason": expect.stringMatching(/audience/),
        }),
      }),
    );
  });

  test("an invite's POST is a client span, and the processing of its notifications links to it", async () => {
    const { sim, bot } = await world();
    const user = randomUUID();
    sim.setScenario({ answers: { [user]: { kind: "accept", afterMs: 300 } } });
    const call = sim.createCall({ kind: "group", callbackUri: bot.callbackUrl });
    const outcome = await bot.inviteAndWait(call.id, inviteBody(userParticipant(user)));
    await sim.settled();
    await bot.idle();

    const spans = spanExporter.getFinishedSpans();
    const posts = spans.filter((span) => span.kind === api.SpanKind.CLIENT);
    expect(posts).toHaveLength(1);
    const [post] = posts;
    expect(post?.name).toBe("POST");
    expect(post?.instrumentationScope.name).toBe(instrumentationScope);
    expect(post?.attributes).toMatchObject({
      "http.request.method": "POST",
      "http.response.status_code": 200,
      "url.template": "/communications/calls/{call-id}/participants/invite",
      "graph_invite.client_context": outcome.clientContext,
      "graph_invite.operation.id": outcome.operationId,
    });
    expect(post?.status.code).toBe(api.SpanStatusCode.UNSET);
    expect(outcome.record.traceparent).toBe(`00-${post?.spanContext().traceId}-${post?.spanContext().spanId}-01`);

    const processing = spans.filter((span) => span.kind === api.SpanKind.CONSUMER);
    expect(processing.length).toBeGreaterThan(0);
    const linked = processing.filter((span) =>
      span.links.some((link) => link.context.spanId === post?.spanContext().spanId),
    );
    // The operation's notifications (the terminal one at least) link to the POST; roster deliveries do not.
    expect(linked.length).toBeGreaterThanOrEqual(1);
    expect(linked[0]?.name).toBe("process graph_invite.delivery");
    expect(linked[0]?.attributes["messaging.operation.type"]).toBe("process");
  });

  test("a POST Graph refuses ends its span as an error with the status", async () => {
    const { bot } = await world();
    await bot.inviteAndWait(randomUUID(), inviteBody(userParticipant(randomUUID())));
    const [post] = spanExporter.getFinishedSpans().filter((span) => span.kind === api.SpanKind.CLIENT);
    expect(post?.attributes).toMatchObject({ "http.response.status_code": 404, "error.type": "404" });
    expect(post?.status.code).toBe(api.SpanStatusCode.ERROR);
  });

  test("openTelemetry: false records nothing", async () => {
    const { sim, bot } = await world({}, { openTelemetry: false });
    const user = randomUUID();
    sim.setScenario({ answers: { [user]: { kind: "accept", afterMs: 10 } } });
    const call = sim.createCall({ kind: "group", callbackUri: bot.callbackUrl });
    const completed = await count("graph_invite.invites", { "graph_invite.invite.outcome": "completed" });
    await bot.inviteAndWait(call.id, inviteBody(userParticipant(user)));
    await sim.settled();
    await bot.idle();
    expect(spanExporter.getFinishedSpans()).toEqual([]);
    expect(await count("graph_invite.invites", { "graph_invite.invite.outcome": "completed" })).toBe(completed);
  });
});

test("an optional package that is not installed loads as undefined, without throwing", async () => {
  expect(await importOptional("@opentelemetry/an-api-that-does-not-exist")).toBeUndefined();
  expect(await importOptional<typeof api>("@opentelemetry/api")).toHaveProperty("metrics");
});
