// Several instances of one bot on one Redis, in this process: each with its own RedisStore handle and connection,
// as separate processes would have. The waiting instance is never the one Graph delivers to, and its periodic
// re-read is set to a minute, so only the store's change feed can wake it in time. (tests/scale-out runs the same
// with real processes, a load balancer and crashes.)
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { createInviteClient, type InviteClient, inviteBody, userParticipant } from "@graph-invite/client";
import { type Simulator, start } from "@graph-invite/simulator";
import { deltaRosterBody } from "@graph-invite/test-support/notifications";
import { type RedisServer, skipRedisTests, startRedis, startRedisCluster } from "@graph-invite/test-support/redis";
import { createClient, createCluster } from "redis";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import type { CallStateEvent, OperationRecord, RosterEvent } from "../src/index.js";
import { type StartedBot, startBot } from "../src/node/index.js";
import { type AnyRedisConnection, RedisStore, type RedisStoreOptions } from "../src/redis/index.js";
import { participantNamed, postNotification, signedHeaders } from "./harness.js";
import { until } from "./store-contract.js";

/** One Redis server, or a three-primary cluster: where the instances' store lives. */
interface SharedRedis {
  /** A client on it, not yet connected, named so that CLIENT LIST tells the instances apart. */
  connect(name?: string): AnyRedisConnection & { destroy(): unknown };
  /** The server that holds the keys under `prefix`: the only one, or the cluster primary that serves their slot. */
  holding(prefix: string): Promise<RedisServer>;
  stop(): Promise<void>;
}

const backends: Array<{ label: string; start: () => Promise<SharedRedis> }> = [
  {
    label: "one Redis",
    async start() {
      const server = await startRedis({ persistent: true });
      return {
        connect: (name) => createClient({ url: server.url, ...(name !== undefined && { name }) }),
        holding: async () => server,
        stop: () => server.stop(),
      };
    },
  },
  {
    label: "a three-primary Redis Cluster",
    async start() {
      const cluster = await startRedisCluster({ persistent: true });
      return {
        connect: (name) =>
          createCluster({ rootNodes: [...cluster.rootNodes], ...(name !== undefined && { defaults: { name } }) }),
        holding: (prefix) => cluster.nodeFor(`{${prefix}}`),
        stop: () => cluster.stop(),
      };
    },
  },
];

describe.skipIf(skipRedisTests).each(backends)("instances sharing $label", ({ start: startShared }) => {
  let redis: SharedRedis;
  let sim: Simulator;
  let prefix: string;
  const running = new Set<{ bot: StartedBot; client: { destroy(): unknown }; frozen: boolean }>();

  beforeAll(async () => {
    [redis, sim] = await Promise.all([startShared(), start()]);
  });
  afterAll(async () => {
    await sim?.close();
    await redis?.stop();
  });
  afterEach(async () => {
    for (const instance of running) await stop(instance);
  });

  /**
   * An instance: a bot on its own connection to the shared Redis, under this test's prefix. A `frozen` one claims
   * deliveries and answers them, then never gets to write what they say, as an instance killed at that moment.
   */
  async function instance(
    frozen = false,
    extra: {
      /** The connection's name, which its feed reader's duplicate keeps: CLIENT LIST tells the instances apart. */
      name?: string;
      store?: (options: RedisStoreOptions) => RedisStore;
      invites?: InviteClient;
      broadcastEvents?: boolean;
    } = {},
  ) {
    const client = redis.connect(extra.name);
    client.on("error", () => {});
    await client.connect();
    const options = { client, prefix, feedBlockMs: 500, heartbeatMs: 600 };
    const bot = await startBot({
      client: extra.invites ?? createInviteClient({ credential: sim.credential(), baseUrl: sim.graphUrl }),
      auth: { appId: sim.app.appId, openIdConfigurationUrl: sim.openIdConfigurationUrl },
      store: frozen ? new FrozenStore(options) : (extra.store?.(options) ?? new RedisStore(options)),
      recheckIntervalMs: 60_000,
      ...(extra.broadcastEvents !== undefined && { broadcastEvents: extra.broadcastEvents }),
    });
    const handle = { bot, client, frozen };
    running.add(handle);
    const rosters: RosterEvent[] = [];
    const calls: CallStateEvent[] = [];
    bot.on("roster", (event) => rosters.push(event));
    bot.on("call", (event) => calls.push(event));
    return { ...handle, rosters, calls };
  }

  async function stop(handle: { bot: StartedBot; client: { destroy(): unknown }; frozen: boolean }) {
    running.delete(handle);
    // A frozen instance's work never ends: close its server without waiting for it.
    const closed = handle.bot.close();
    if (!handle.frozen) await closed;
    handle.client.destroy();
  }

  /** The moment the simulator sent the operation's terminal notification (the attempt that reached the bot). */
  function terminalSentAt(operationId: string | null): number {
    const delivery = sim
      .deliveries()
      .find(
        (each) =>
          each.kind === "operation" &&
          JSON.stringify(each.body).includes(operationId ?? "?") &&
          /"status":"(completed|failed)"/i.test(JSON.stringify(each.body)),
      );
    const attempt = delivery?.attempts.at(-1);
    if (attempt === undefined) throw new Error(`no terminal notification for ${operationId}`);
    return Date.parse(attempt.sentAt);
  }

  beforeAll(() => {
    prefix = `instances-${randomUUID()}:`;
  });

  test("the instance that waits hears within a second of Graph's terminal notification reaching another", async () => {
    const [waiting, receiving] = [await instance(), await instance()];
    const [ann, bob] = [randomUUID(), randomUUID()];
    sim.setScenario({ answers: { [bob]: { kind: "decline", afterMs: 50 }, [ann]: { kind: "accept", afterMs: 50 } } });
    const call = sim.createCall({ kind: "group", callbackUri: receiving.bot.callbackUrl });
    const [accepted, declined] = await Promise.all(
      [ann, bob].map(async (user) => {
        const outcome = await waiting.bot.inviteAndWait(call.id, inviteBody(userParticipant(user)));
        return { outcome, at: Date.now() };
      }),
    );
    expect(accepted?.outcome.status).toBe("completed");
    expect(declined?.outcome).toMatchObject({ status: "failed", resultInfo: { code: 603 } });
    for (const ended of [accepted, declined]) {
      expect((ended?.at ?? 0) - terminalSentAt(ended?.outcome.operationId ?? null)).toBeLessThan(1000);
    }
  });

  /**
   * Three instances, every notification of a call delivered to one of them in turn (as a load balancer would),
   * roster changes and the call's end: how many times the listeners of the fleet hear each event.
   */
  async function fleetHears(broadcastEvents: boolean) {
    const fleet = [
      await instance(false, { broadcastEvents }),
      await instance(false, { broadcastEvents }),
      await instance(false, { broadcastEvents }),
    ];
    // Each inbox is opened, and each wish for every event recorded, by the instance's first sign of life.
    await sleep(300);
    const callId = `call-${randomUUID()}`;
    const joiners = [1, 2, 3, 4, 5, 6].map((n) => participantNamed(`p-${n}`));
    for (const [index, joiner] of joiners.entries()) {
      const body = deltaRosterBody(callId, index + 1, [joiner]);
      const target = fleet[index % fleet.length]?.bot as StartedBot;
      expect((await postNotification(target, body, await signedHeaders(sim))).status).toBe(202);
      await target.idle();
    }
    const ended = {
      value: [
        {
          changeType: "deleted",
          resourceUrl: `/communications/calls/${callId}`,
          resourceData: { "@odata.type": "#microsoft.graph.call", state: "terminated" },
        },
      ],
    };
    const last = fleet[0]?.bot as StartedBot;
    expect((await postNotification(last, JSON.stringify(ended), await signedHeaders(sim))).status).toBe(202);
    for (const { bot } of fleet) await bot.idle();
    return { fleet, joiners: joiners.length };
  }

  test("each roster and call event is emitted once in the fleet, by the instance that processed it", async () => {
    const { fleet, joiners } = await fleetHears(false);
    // Given time to arrive, had any instance re-emitted another's events.
    await sleep(1000);
    const joined = fleet.flatMap((member) => member.rosters).filter((event) => event.type === "joined");
    expect(joined).toHaveLength(joiners);
    expect(new Set(joined.map((event) => event.key)).size).toBe(joiners);
    // The call's end: one call event, and one "left" per participant, all on the instance that processed it.
    expect(fleet.map((member) => member.calls.length)).toEqual([1, 0, 0]);
    expect(fleet.flatMap((member) => member.rosters).filter((event) => event.type === "left")).toHaveLength(joiners);
    expect(fleet[0]?.rosters.filter((event) => event.type === "left")).toHaveLength(joiners);
  });

  test("with broadcastEvents, every instance emits every roster and call event, once each", async () => {
    const { fleet, joiners } = await fleetHears(true);
    await until(() => fleet.every((member) => member.rosters.length >= 2 * joiners && member.calls.length >= 1));
    await sleep(500);
    for (const member of fleet) {
      const keys = member.rosters.map((event) => `${event.type}:${event.key}`);
      expect(keys.filter((key) => key.startsWith("joined:"))).toHaveLength(joiners);
      expect(keys.filter((key) => key.startsWith("left:"))).toHaveLength(joiners);
      expect(new Set(keys).size).toBe(keys.length);
      expect(member.calls).toEqual([expect.objectContaining({ callId: expect.any(String), state: "terminated" })]);
    }
  });

  test("an instance that restarts picks up the invite it had in flight, and ends it at its deadline", async () => {
    const first = await instance();
    const user = randomUUID();
    sim.setScenario({ answers: { [user]: { kind: "no-answer", afterMs: 3000 } } });
    const call = sim.createCall({ kind: "group", callbackUri: first.bot.callbackUrl });
    const clientContext = randomUUID();
    const pending = first.bot.inviteAndWait(call.id, inviteBody(userParticipant(user), clientContext), {
      timeoutMs: 1500,
    });
    pending.catch(() => {});
    await until(() => sim.operations().length > 0 && JSON.stringify(sim.operations()).includes(clientContext));
    await sleep(100);
    const crashedAt = Date.now();
    await stop(first);
    await expect(pending).rejects.toThrow(/closed/);

    const restarted = await instance();
    const outcome = await restarted.bot.waitFor(clientContext);
    expect(outcome.status).toBe("timed-out");
    // At its deadline, not at the next re-read a minute later: three seconds for the new instance to start on a
    // loaded machine (a cluster client connects to three nodes).
    expect(Date.now() - crashedAt).toBeLessThan(1500 + 3000);
    expect(outcome.record.history.map((step) => step.event)).toEqual(["sent", "accepted", "timed-out"]);
  });

  test("a terminal notification that arrives while no instance waits is recorded, and waitFor finds it", async () => {
    const [sender, receiver] = [await instance(), await instance()];
    const user = randomUUID();
    sim.setScenario({ answers: { [user]: { kind: "accept", afterMs: 600 } } });
    const call = sim.createCall({ kind: "group", callbackUri: receiver.bot.callbackUrl });
    const clientContext = randomUUID();
    const pending = sender.bot.inviteAndWait(call.id, inviteBody(userParticipant(user), clientContext));
    pending.catch(() => {});
    await until(() => JSON.stringify(sim.operations()).includes(clientContext));
    await stop(sender);
    let records: Awaited<ReturnType<StartedBot["operations"]>> = [];
    await until(async () => {
      records = await receiver.bot.operations(call.id);
      return records[0]?.status === "completed";
    });
    expect(records).toEqual([expect.objectContaining({ clientContext, status: "completed" })]);
    const later = await instance();
    expect((await later.bot.waitFor(clientContext)).status).toBe("completed");
    await expect(later.bot.waitFor("never-sent")).rejects.toThrow(/no invite with clientContext never-sent/);
  });

  test("Redis restarting while an instance waits: its feed comes back, and the outcome written after reaches it", async () => {
    const [waiting, receiving] = [await instance(), await instance()];
    const user = randomUUID();
    // Answered once the server is back: a cluster node takes a few seconds to see the cluster whole again.
    sim.setScenario({ answers: { [user]: { kind: "accept", afterMs: 4000 } } });
    const call = sim.createCall({ kind: "group", callbackUri: receiving.bot.callbackUrl });
    const outcome = waiting.bot.inviteAndWait(call.id, inviteBody(userParticipant(user)));
    await until(() => sim.operations().some((operation) => operation.status === "running"));
    await (await redis.holding(prefix)).restart();
    const ended = await outcome;
    expect(ended.status).toBe("completed");
    expect(Date.now() - terminalSentAt(ended.operationId)).toBeLessThan(1000);
  });

  test("an outcome written while the waiting instance's feed is cut off, its entry lost: a re-read delivers it", async () => {
    // A connection of the test's own, made before the server asks for a password, so it stays usable while it does.
    const admin = createClient({ url: (await redis.holding(prefix)).url });
    admin.on("error", () => {});
    await admin.connect();
    try {
      const [waiting, receiving] = [await instance(false, { name: "waiting" }), await instance()];
      const user = randomUUID();
      sim.setScenario({ answers: { [user]: { kind: "accept", afterMs: 1000 } } });
      const call = sim.createCall({ kind: "group", callbackUri: receiving.bot.callbackUrl });
      const outcome = waiting.bot.inviteAndWait(call.id, inviteBody(userParticipant(user)));
      outcome.catch(() => {});
      await until(async () => (await waiting.bot.operations(call.id))[0]?.status === "running");

      // Cut the waiting instance's feed reader, and refuse it a new connection until the outcome is written.
      const list = String(await admin.sendCommand(["CLIENT", "LIST"]));
      const reader = list.split("\n").find((line) => / name=waiting /.test(line) && / cmd=xread\b/.test(line));
      const id = /\bid=(\d+)/.exec(reader ?? "")?.[1];
      expect(id).toBeDefined();
      await admin.sendCommand(["CONFIG", "SET", "requirepass", randomUUID()]);
      try {
        await admin.sendCommand(["CLIENT", "KILL", "ID", String(id)]);
        await until(async () => (await receiving.bot.operations(call.id))[0]?.status === "completed", 10_000);
        await receiving.bot.idle();
        // The feed loses what was written meanwhile (trimmed, as a short feedLength would): only a re-read can tell.
        for (const inbox of String(await admin.sendCommand(["KEYS", `{${prefix}}inbox:*`])).split(",")) {
          if (inbox !== "") await admin.sendCommand(["XTRIM", inbox, "MAXLEN", "0"]);
        }
      } finally {
        await admin.sendCommand(["CONFIG", "SET", "requirepass", ""]);
      }
      const back = Date.now();
      const ended = await Promise.race([outcome, sleep(10_000).then(() => undefined)]);
      expect(ended?.status).toBe("completed");
      // The re-read follows the reconnection at once, long before the minute of the periodic one.
      expect(Date.now() - back).toBeLessThan(5000);
    } finally {
      await admin.sendCommand(["CONFIG", "SET", "requirepass", ""]).catch(() => {});
      admin.destroy();
    }
  });

  test("a notification that names its operation by id alone is held while another instance awaits Graph's answer", async () => {
    // The sending instance's answer from Graph is held back until the receiving one has the notification.
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const answered: Array<string | null> = [];
    const graph = createInviteClient({ credential: sim.credential(), baseUrl: sim.graphUrl });
    const holding: InviteClient = {
      ...graph,
      async invite(callId, body, options) {
        const result = await graph.invite(callId, body, options);
        answered.push(result.ok ? result.operationId : null);
        await held;
        return result;
      },
    };
    const [sender, receiver] = [await instance(false, { invites: holding }), await instance()];
    // The simulator's own notifications go nowhere: the test sends the one that matters, to the other instance.
    sim.setScenario({ delivery: { drop: ["operation", "roster"] } });
    try {
      const call = sim.createCall({ kind: "group", callbackUri: receiver.bot.callbackUrl });
      const outcome = sender.bot.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID())), {
        timeoutMs: 8000,
      });
      await until(() => answered.length === 1);
      const operationId = answered[0] ?? "";
      const body = {
        value: [
          {
            changeType: "deleted",
            resourceUrl: `/communications/calls/${call.id}/operations/${operationId}`,
            resourceData: {
              "@odata.type": "#microsoft.graph.inviteParticipantsOperation",
              id: operationId,
              status: "completed",
            },
          },
        ],
      };
      expect((await postNotification(receiver.bot, JSON.stringify(body), await signedHeaders(sim))).status).toBe(202);
      await receiver.bot.idle();
      release();
      const ended = await outcome;
      expect(ended).toMatchObject({ status: "completed", operationId });
      expect(ended.record.history.map((step) => step.event)).toContain("notification");
      expect(await receiver.bot.unmatched()).toEqual([]);
    } finally {
      release();
      sim.setScenario({});
    }
  });

  test("a notification answered by an instance that stopped before processing it is processed by another", async () => {
    const [waiting, dying] = [await instance(), await instance(true)];
    const user = randomUUID();
    sim.setScenario({ answers: { [user]: { kind: "accept", afterMs: 50 } } });
    const call = sim.createCall({ kind: "group", callbackUri: dying.bot.callbackUrl });
    const started = Date.now();
    const outcome = waiting.bot.inviteAndWait(call.id, inviteBody(userParticipant(user)));
    // The frozen instance answers 202 to the terminal notification and the roster, and stops: no heartbeat from now.
    await until(() =>
      sim.deliveries().some((delivery) => delivery.kind === "operation" && delivery.outcome === "delivered"),
    );
    dying.bot.stopWaiting();
    const ended = await outcome;
    expect(ended.status).toBe("completed");
    // Taken over once the stopped instance's heartbeat (600 ms) has lapsed, at the next look (every second).
    expect(Date.now() - started).toBeLessThan(600 + 1000 + 1500);
    expect(ended.record.history.map((step) => step.event)).toContain("notification");
    await until(async () => (await waiting.bot.roster(call.id)).participants.length > 0);
    await waiting.bot.idle();
    expect(await (await redis.holding(prefix)).command("ZCARD", `{${prefix}}unfinished`)).toBe("0");
  });

  test("two instances applying notifications of one operation and one roster at once lose neither", async () => {
    // Once armed, each instance's first read of the record and of the roster waits until the other instance has read
    // too: both then write on the same revision, and one of each pair of writes must lose its compare-and-set.
    const race = { armed: false, lostOperations: 0, lostRosters: 0 };
    const barriers = new Map<string, { count: number; open: () => void; opened: Promise<void> }>();
    const meet = async (what: string) => {
      let barrier = barriers.get(what);
      if (barrier === undefined) {
        let open: () => void = () => {};
        const opened = new Promise<void>((resolve) => {
          open = resolve;
        });
        barrier = { count: 0, open, opened };
        barriers.set(what, barrier);
      }
      if (++barrier.count === 2) barrier.open();
      // A safety net: a schedule that never brings the second reader must not hang the test.
      await Promise.race([barrier.opened, sleep(5000)]);
    };
    class Racing extends RedisStore {
      private readonly met = new Set<string>();
      private async once(what: string) {
        if (!race.armed || this.met.has(what)) return;
        this.met.add(what);
        await meet(what);
      }
      override async operationByContext(clientContext: string) {
        const record = await super.operationByContext(clientContext);
        await this.once("operation");
        return record;
      }
      override async roster(callId: string) {
        const roster = await super.roster(callId);
        await this.once("roster");
        return roster;
      }
      override async putOperation(record: OperationRecord) {
        const written = await super.putOperation(record);
        if (!written && race.armed) race.lostOperations++;
        return written;
      }
      override async putRoster(...args: Parameters<RedisStore["putRoster"]>) {
        const written = await super.putRoster(...args);
        if (!written && race.armed) race.lostRosters++;
        return written;
      }
    }
    const racing = (options: RedisStoreOptions) => new Racing(options);
    const [a, b] = [await instance(false, { store: racing }), await instance(false, { store: racing })];
    const user = randomUUID();
    sim.setScenario({
      answers: { [user]: { kind: "accept", afterMs: 10 } },
      delivery: { drop: ["operation", "roster"] },
    });
    const call = sim.createCall({ kind: "group", callbackUri: a.bot.callbackUrl });
    const clientContext = randomUUID();
    const outcome = a.bot.inviteAndWait(call.id, inviteBody(userParticipant(user), clientContext), { timeoutMs: 5000 });
    await until(() => sim.operations().some((operation) => operation.status === "completed"));
    const simulated = sim.operations().find((operation) => JSON.stringify(operation).includes(clientContext));
    const operationNotification = (status: string) =>
      JSON.stringify({
        value: [
          {
            changeType: "deleted",
            resource: `/communications/calls/${call.id}/operations/${simulated?.id}`,
            resourceUrl: `/communications/calls/${call.id}/operations/${simulated?.id}`,
            resourceData: {
              "@odata.type": "#microsoft.graph.inviteParticipantsOperation",
              id: simulated?.id,
              status,
              clientContext,
            },
          },
        ],
      });
    const headers = async () => ({ ...(await signedHeaders(sim)), "X-Microsoft-Skype-Message-Id": randomUUID() });
    const signed = await Promise.all([headers(), headers(), headers(), headers()]);
    race.armed = true;
    // The same terminal notification, twice under different message ids, and two rosters each naming one newcomer.
    const deliveries = await Promise.all([
      postNotification(a.bot, operationNotification("completed"), signed[0] ?? {}),
      postNotification(b.bot, operationNotification("completed"), signed[1] ?? {}),
      postNotification(a.bot, deltaRosterBody(call.id, 1, [participantNamed("p-a")]), signed[2] ?? {}),
      postNotification(b.bot, deltaRosterBody(call.id, 2, [participantNamed("p-b")]), signed[3] ?? {}),
    ]);
    expect(deliveries.map((delivery) => delivery.status)).toEqual([202, 202, 202, 202]);
    expect((await outcome).status).toBe("completed");
    await Promise.all([a.bot.idle(), b.bot.idle()]);
    const [record] = await a.bot.operations(call.id);
    const steps = record?.history.map((step) => step.event) ?? [];
    expect(steps.filter((event) => event === "notification")).toHaveLength(1);
    expect(steps.filter((event) => event === "duplicate-notification")).toHaveLength(1);
    const members = (await b.bot.roster(call.id)).participants.map((member) => member.participant.id);
    expect(members).toEqual(expect.arrayContaining(["p-a", "p-b"]));
    // The race was forced: each pair of writes had a loser, which was redone.
    expect(race.lostOperations).toBeGreaterThan(0);
    expect(race.lostRosters).toBeGreaterThan(0);
  });
});

/** A store whose writes never complete: the instance it serves stops between its answer and its processing. */
class FrozenStore extends RedisStore {
  override putOperation(record: OperationRecord): Promise<boolean> {
    return record.revision === 0 ? super.putOperation(record) : new Promise(() => {});
  }

  override putRoster(): Promise<boolean> {
    return new Promise(() => {});
  }
}
