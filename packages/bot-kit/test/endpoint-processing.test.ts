// Proves how the bot's notification endpoint processes what it accepts, over loopback with real tokens: duplicates
// acknowledged but processed once; a call's notifications processed in the order they were accepted; and the 202
// sent before processing.

import { randomUUID } from "node:crypto";
import { inviteBody, userParticipant } from "@graph-invite/client";
import { describe, expect, onTestFinished, test } from "vitest";
import { exampleMember, GatedStore, withMessageId } from "./endpoint-bodies.js";
import { lifecycle, membersOf, participantNamed, postNotification, rosterOf, signedHeaders, watch } from "./harness.js";

const { sharedWorld } = lifecycle();

const store = new GatedStore();

const shared = sharedWorld({}, { store });

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
