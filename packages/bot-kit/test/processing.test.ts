// How the bot processes what it acknowledged, on one instance: a call `deleted` without a state ends its roster (the
// real payload from Graph's documentation); a roster write that loses its compare-and-set to another writer is redone
// on the roster that writer left, and rosters converge whatever the interleaving of concurrent writers; and a large
// delivery gives the event loop a turn once its time slice is spent. Bodies go through bot.fetch with real tokens.
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createInviteClient } from "@graph-invite/client";
import { type Simulator, start } from "@graph-invite/simulator";
import { deltaRosterBody } from "@graph-invite/test-support/notifications";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Bot, type BotStore, type CallStateEvent, createBot, MemoryStore } from "../src/index.js";
import { nextTurn } from "../src/turns.js";
import { participantNamed, rosterOf, signedHeaders } from "./harness.js";

let sim: Simulator;
let headers: Record<string, string>;
beforeAll(async () => {
  sim = await start();
  // One token for the file: the bots' token caches then verify it once each.
  headers = await signedHeaders(sim);
});
afterAll(() => sim.close());

const bots: Bot[] = [];
afterAll(async () => {
  for (const bot of bots.splice(0)) {
    await bot.idle();
    bot.stopWaiting();
  }
});

function botOn(store: BotStore, maxBodyBytes?: number): Bot {
  const bot = createBot({
    client: createInviteClient({ credential: sim.credential(), baseUrl: sim.graphUrl }),
    auth: { appId: sim.app.appId, openIdConfigurationUrl: sim.openIdConfigurationUrl },
    store,
    ...(maxBodyBytes !== undefined && { maxBodyBytes }),
  });
  bots.push(bot);
  return bot;
}

async function post(bot: Bot, body: string): Promise<number> {
  const response = await bot.fetch(new Request("http://bot.test/api/calls", { method: "POST", headers, body }));
  await response.arrayBuffer();
  return response.status;
}

const ids = async (bot: Bot, callId: string) =>
  (await bot.roster(callId)).participants.map((member) => member.participant.id).sort();

describe("a call deleted without a state", () => {
  test("ends its roster: Graph's own payload, which carries only the call's @odata.id", async () => {
    const bot = botOn(new MemoryStore());
    const callId = randomUUID();
    const calls: CallStateEvent[] = [];
    bot.on("call", (event) => calls.push(event));
    expect(await post(bot, rosterOf(callId))).toBe(202);
    await bot.idle();
    expect((await bot.roster(callId)).participants).toHaveLength(1);

    const payload = readFileSync(
      new URL("../../../openapi/reference/payloads/docs-beta-call-reject-deleted-no-state.json", import.meta.url),
      "utf8",
    );
    expect(payload).not.toContain('"state"');
    expect(await post(bot, payload.replaceAll("57dab8b1-894c-409a-b240-bd8beae78896", callId))).toBe(202);
    await bot.idle();
    expect(await bot.roster(callId)).toEqual({ callId, participants: [], ended: true });
    expect(calls).toEqual([expect.objectContaining({ callId, changeType: "deleted", state: null })]);
    // A roster after the end is stale: the call has no roster any more.
    expect(await post(bot, rosterOf(callId))).toBe(202);
    await bot.idle();
    expect((await bot.roster(callId)).participants).toEqual([]);
  });
});

describe("a roster write that loses its compare-and-set", () => {
  test("is redone on the roster the other writer left, not dropped", async () => {
    const callId = randomUUID();
    let rival: Bot | undefined;
    let raced = false;
    let lost = 0;
    // The first write of this bot's roster lets another bot on the same store write first, between the read and the
    // write: the write then carries a stale revision and must lose.
    class Racing extends MemoryStore {
      override async putRoster(...args: Parameters<MemoryStore["putRoster"]>): Promise<boolean> {
        if (!raced && rival !== undefined) {
          raced = true;
          expect(await post(rival, deltaRosterBody(callId, 2, [participantNamed("rival")]))).toBe(202);
          await rival.idle();
        }
        const written = await super.putRoster(...args);
        if (!written) lost++;
        return written;
      }
    }
    const store = new Racing();
    const bot = botOn(store);
    rival = botOn(store);
    expect(await post(bot, deltaRosterBody(callId, 1, [participantNamed("first")]))).toBe(202);
    await bot.idle();
    expect(raced).toBe(true);
    expect(lost).toBe(1);
    expect(await ids(bot, callId)).toEqual(["first", "rival"]);
  });

  test("rosters converge under concurrent writers, whatever the interleaving", async () => {
    // Each write waits a turn of the event loop after its read, so that the writers' reads and writes interleave as
    // the schedule says; every lost compare-and-set is counted, so a run that forced no race is visible.
    class Interleaving extends MemoryStore {
      lost = 0;
      constructor(private readonly delays: () => number) {
        super();
      }
      override async roster(callId: string) {
        const roster = await super.roster(callId);
        for (let turn = this.delays(); turn > 0; turn--) await nextTurn();
        return roster;
      }
      override async putRoster(...args: Parameters<MemoryStore["putRoster"]>): Promise<boolean> {
        const written = await super.putRoster(...args);
        if (!written) this.lost++;
        return written;
      }
    }
    let races = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat({ max: 2 }), fc.nat({ max: 3 })), { minLength: 2, maxLength: 8 }),
        fc.infiniteStream(fc.nat({ max: 2 })),
        async (deliveries, delays) => {
          const stream = delays[Symbol.iterator]();
          const store = new Interleaving(() => stream.next().value ?? 0);
          const writers = [botOn(store), botOn(store), botOn(store)];
          const callId = randomUUID();
          // Each delivery names a newcomer of its own, through one of the writers, all at once.
          const statuses = await Promise.all(
            deliveries.map(([writer, sequence], index) =>
              post(writers[writer] as Bot, deltaRosterBody(callId, sequence, [participantNamed(`p${index}`)])),
            ),
          );
          expect(statuses.every((status) => status === 202)).toBe(true);
          await Promise.all(writers.map((writer) => writer.idle()));
          races += store.lost;
          expect(await ids(writers[0] as Bot, callId)).toEqual(deliveries.map((_, index) => `p${index}`).sort());
        },
      ),
      { numRuns: 40 },
    );
    // The schedules forced the race: writes were lost to other writers and redone.
    expect(races).toBeGreaterThan(0);
  });
});

describe("a large delivery", () => {
  test("gives the event loop a turn once its slice is spent, rather than run as one long task", async () => {
    const bot = botOn(new MemoryStore(), 16 * 1024 * 1024);
    // One call, so one task: three thousand newcomers, one notification each, with an event for each to announce.
    const callId = randomUUID();
    const notifications = Array.from(
      { length: 3000 },
      (_, index) =>
        (JSON.parse(deltaRosterBody(callId, index, [participantNamed(`p${index}`)])) as { value: unknown[] }).value[0],
    );
    expect(await post(bot, JSON.stringify({ value: notifications }))).toBe(202);
    // A MemoryStore never waits, so only the kit's own pacing lets these run before the processing ends.
    let turns = 0;
    let ticking = true;
    const tick = () => {
      turns++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    await bot.idle();
    const during = turns;
    ticking = false;
    expect(during).toBeGreaterThanOrEqual(2);
    expect((await bot.roster(callId)).participants).toHaveLength(3000);
  });
});
