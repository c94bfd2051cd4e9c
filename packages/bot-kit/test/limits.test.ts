// What keeps the kit bounded: verified tokens are cached (one RS256 check per token, however many deliveries reuse
// it), never past their exp, and at most so many; Node's header and request timeouts hold at what startBot sets,
// not at Node's 30 s check interval; an invite's history stays bounded under a body of a thousand repeats; and MemoryStore
// forgets each kind of state by age, count and bytes.
import { randomUUID } from "node:crypto";
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { inviteBody, userParticipant } from "@graph-invite/client";
import { type Simulator, start } from "@graph-invite/simulator";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import {
  type CallbackAuthOptions,
  createCallbackAuthenticator,
  MemoryStore,
  maxHistory,
  type OperationRecord,
  type RosterState,
} from "../src/index.js";
import { startBot } from "../src/node/index.js";
import { emptyRoster } from "../src/testing.js";
import { example, lifecycle, postNotification, signedHeaders } from "./harness.js";

let sim: Simulator;
beforeAll(async () => {
  sim = await start();
});
afterAll(() => sim.close());

describe("the verified-token cache", () => {
  /** Counts RS256 signature checks: jose verifies through WebCrypto. */
  function countVerifications(): () => number {
    const spy = vi.spyOn(crypto.subtle, "verify");
    return () => spy.mock.calls.length;
  }

  /** An authenticator of the simulator's notification tokens. */
  const authenticatorFor = (options: Partial<CallbackAuthOptions> = {}) =>
    createCallbackAuthenticator({
      appId: sim.app.appId,
      openIdConfigurationUrl: sim.openIdConfigurationUrl,
      ...options,
    });

  test("a token Graph reuses is verified once; another token is verified on its own", async () => {
    const authenticator = authenticatorFor();
    const token = await sim.signNotificationToken();
    const other = await sim.signNotificationToken({ tid: randomUUID() });
    const verifications = countVerifications();
    for (let delivery = 0; delivery < 10; delivery++) {
      expect(await authenticator.authenticate(`Bearer ${token}`)).toMatchObject({ ok: true });
    }
    expect(verifications()).toBe(1);
    expect(await authenticator.authenticate(`Bearer ${other}`)).toMatchObject({ ok: true });
    expect(verifications()).toBe(2);
    vi.restoreAllMocks();
  });

  test("with tokenCacheSize 0 every delivery is verified", async () => {
    const authenticator = authenticatorFor({ tokenCacheSize: 0 });
    const token = await sim.signNotificationToken();
    const verifications = countVerifications();
    for (let delivery = 0; delivery < 3; delivery++) await authenticator.authenticate(`Bearer ${token}`);
    expect(verifications()).toBe(3);
    vi.restoreAllMocks();
  });

  test("holds exactly tokenCacheSize tokens: all of them are reused, and one more pushes out the oldest", async () => {
    const size = 3;
    const authenticator = authenticatorFor({ tokenCacheSize: size });
    const tokens = await Promise.all(
      Array.from({ length: size + 1 }, (_, index) => sim.signNotificationToken({ jti: `t${index}` })),
    );
    const held = tokens.slice(0, size);
    const verifications = countVerifications();
    try {
      for (const token of held) expect(await authenticator.authenticate(`Bearer ${token}`)).toMatchObject({ ok: true });
      expect(verifications()).toBe(size);
      // Every one of the `size` tokens is still held: none is verified again.
      for (const token of held) await authenticator.authenticate(`Bearer ${token}`);
      expect(verifications()).toBe(size);
      // One more: the oldest goes, the others stay.
      await authenticator.authenticate(`Bearer ${tokens[size]}`);
      expect(verifications()).toBe(size + 1);
      for (const token of tokens.slice(1)) await authenticator.authenticate(`Bearer ${token}`);
      expect(verifications()).toBe(size + 1);
      await authenticator.authenticate(`Bearer ${tokens[0]}`);
      expect(verifications()).toBe(size + 2);
    } finally {
      vi.restoreAllMocks();
    }
  });

  test("a cached token is not trusted past its exp: it is verified again, and the leeway then decides", async () => {
    const authenticator = authenticatorFor({ clockToleranceSeconds: 0 });
    // Three seconds, so that a busy machine still verifies it once before it expires.
    const token = await sim.signNotificationToken({}, { expiresIn: 3 });
    expect(await authenticator.authenticate(`Bearer ${token}`)).toMatchObject({ ok: true });
    const { exp } = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()) as { exp: number };
    await sleep(exp * 1000 - Date.now() + 100);
    expect(await authenticator.authenticate(`Bearer ${token}`)).toMatchObject({ ok: false, reason: "expired" });
  });

  test("a cached token still meets the tenant allow-list", async () => {
    const tenant = randomUUID();
    const authenticator = authenticatorFor({ allowedTenants: [tenant] });
    const token = await sim.signNotificationToken({ tid: randomUUID() });
    for (let delivery = 0; delivery < 2; delivery++) {
      expect(await authenticator.authenticate(`Bearer ${token}`)).toMatchObject({ status: 403 });
    }
  });

  test("an Authorization header longer than any real token is refused unread", async () => {
    const authenticator = createCallbackAuthenticator({ appId: "a", openIdConfigurationUrl: "http://127.0.0.1:9/" });
    const answer = await authenticator.authenticate(`Bearer ${"a".repeat(1024 * 1024)}`);
    expect(answer).toMatchObject({ ok: false, status: 401, reason: "missing-token" });
  });
});

describe("Node's timeouts, as startBot sets them", () => {
  /** Opens a connection, trickles `text` a byte at a time, and resolves with how long until the server closed it. */
  function trickle(url: string, text: string): Promise<number> {
    const { hostname, port } = new URL(url);
    const started = performance.now();
    return new Promise((resolve) => {
      const socket = connect(Number(port), hostname);
      let index = 0;
      const timer = setInterval(() => {
        if (index < text.length && !socket.destroyed) socket.write(text[index++] ?? "");
      }, 100);
      socket.on("close", () => {
        clearInterval(timer);
        resolve(performance.now() - started);
      });
      socket.on("error", () => {});
      socket.resume();
    });
  }

  test("a client that trickles its headers is cut at headersTimeoutMs, not at Node's 30 s check", async () => {
    const bot = await startBot({
      client: { invite: async () => ({ ok: false }) } as never,
      auth: { appId: sim.app.appId, openIdConfigurationUrl: sim.openIdConfigurationUrl },
      headersTimeoutMs: 600,
      requestTimeoutMs: 1200,
    });
    try {
      const headers = `POST /api/calls HTTP/1.1\r\nHost: bot\r\n${"X-Slow: y\r\n".repeat(50)}`;
      expect(await trickle(bot.url, headers)).toBeLessThan(3000);
    } finally {
      await bot.close();
    }
  });
});

describe("startBot on a port that is taken", () => {
  test("rejects with the listen error, and stops following its store, so the process can exit", async () => {
    const taken = await startBot({
      client: { invite: async () => ({ ok: false }) } as never,
      auth: { appId: sim.app.appId, openIdConfigurationUrl: sim.openIdConfigurationUrl },
    });
    let following = 0;
    // A store shared by several processes follows the others' changes from the start, on a connection of its own.
    class SharedStore extends MemoryStore {
      watch(): () => void {
        following++;
        return () => {
          following--;
        };
      }
    }
    try {
      const port = Number(new URL(taken.url).port);
      await expect(
        startBot({
          client: { invite: async () => ({ ok: false }) } as never,
          auth: { appId: sim.app.appId, openIdConfigurationUrl: sim.openIdConfigurationUrl },
          store: new SharedStore(),
          port,
        }),
      ).rejects.toThrow(/EADDRINUSE/);
      expect(following).toBe(0);
    } finally {
      await taken.close();
    }
  });
});

describe("an invite's history under repeats", () => {
  const { world } = lifecycle();

  test("1200 repeats of its terminal notification keep the history at maxHistory, and count what was dropped", async () => {
    const { sim: graph, bot } = await world();
    const call = graph.createCall({ kind: "group", callbackUri: bot.callbackUrl });
    const outcome = await bot.inviteAndWait(call.id, inviteBody(userParticipant("x")));
    expect(outcome.status).toBe("completed");
    const completed = example<{ value: Array<Record<string, unknown>> }>(
      "example-1-invite-one-participant.operation-completed.json",
    );
    const notification = structuredClone(completed.value[0]) as Record<string, unknown>;
    const resourceData = notification["resourceData"] as Record<string, unknown>;
    resourceData["clientContext"] = outcome.clientContext;
    resourceData["id"] = outcome.operationId;
    const body = JSON.stringify({ value: Array.from({ length: 1200 }, () => notification) });
    expect((await postNotification(bot, body, await signedHeaders(graph))).status).toBe(202);
    await bot.idle();
    const [record] = (await bot.operations(call.id)) as [OperationRecord];
    expect(record.history).toHaveLength(maxHistory);
    expect(record.history[0]?.event).toBe("sent");
    expect(record.history.at(-1)?.event).toBe("duplicate-notification");
    expect(record.droppedSteps).toBeGreaterThan(1100);
  });
});

describe("MemoryStore's retention", () => {
  const roster = (callId: string): RosterState => ({ ...emptyRoster(callId) });

  function clock() {
    let now = 1_000_000;
    return {
      now: () => now,
      advance: (ms: number) => {
        now += ms;
      },
    };
  }

  test("delivery keys are forgotten after their age, so a later delivery with that id is new", async () => {
    const time = clock();
    const store = new MemoryStore({ now: time.now, retention: { deliveries: { maxAgeMs: 1000 } } });
    expect(await store.claimDelivery("m")).toBe(true);
    time.advance(999);
    expect(await store.claimDelivery("m")).toBe(false);
    time.advance(1001);
    expect(await store.claimDelivery("m")).toBe(true);
  });

  test("rosters are forgotten by age since their last change, and by count, least recently changed first", async () => {
    const time = clock();
    const store = new MemoryStore({ now: time.now, retention: { rosters: { maxAgeMs: 1000, maxCount: 2 } } });
    await store.putRoster({ ...roster("a"), revision: (await store.roster("a"))?.revision ?? 0 }, []);
    await store.putRoster({ ...roster("b"), revision: (await store.roster("b"))?.revision ?? 0 }, []);
    await store.putRoster({ ...roster("a"), revision: (await store.roster("a"))?.revision ?? 0 }, []);
    await store.putRoster({ ...roster("c"), revision: (await store.roster("c"))?.revision ?? 0 }, []);
    expect(await store.roster("b")).toBeUndefined();
    expect(await store.roster("a")).toBeDefined();
    time.advance(1001);
    expect(await store.roster("a")).toBeUndefined();
    expect(await store.roster("c")).toBeUndefined();
  });

  test("finished operations are forgotten by count; one still waiting is kept, and by id too", async () => {
    const store = new MemoryStore({ retention: { operations: { maxCount: 2 } } });
    const record = (clientContext: string, status: OperationRecord["status"]): OperationRecord => ({
      clientContext,
      callId: "call",
      operationId: `op-${clientContext}`,
      status,
      request: { participants: [], clientContext },
      resultInfo: null,
      error: null,
      late: false,
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
      deadline: null,
      revision: 0,
      history: [],
    });
    await store.putOperation(record("waiting", "running"));
    await store.putOperation(record("done-1", "completed"));
    await store.putOperation(record("done-2", "failed"));
    expect((await store.operations()).map((kept) => kept.clientContext)).toEqual(["waiting", "done-2"]);
    expect(await store.putOperation({ ...record("waiting", "completed"), revision: 1 })).toBe(true);
    await store.putOperation(record("done-3", "completed"));
    expect((await store.operations()).map((kept) => kept.clientContext)).toEqual(["waiting", "done-3"]);
    expect(await store.operationById("op-done-2")).toBeUndefined();
    expect(await store.operationById("op-done-3")).toMatchObject({ clientContext: "done-3" });
  });

  test("unmatched entries are forgotten by bytes: 40 refused 1 MiB bodies keep at most the budget", async () => {
    const store = new MemoryStore({ retention: { unmatched: { maxBytes: 4 * 1024 * 1024 } } });
    const body = "x".repeat(1024 * 1024);
    for (let index = 0; index < 40; index++) {
      await store.recordUnmatched({ at: "", callId: undefined, reason: `${index}`, notification: body });
    }
    const kept = await store.unmatched();
    expect(kept.map((entry) => entry.reason)).toEqual(["36", "37", "38", "39"]);
  });

  test("the defaults are documented figures, each overridable on its own", () => {
    const store = new MemoryStore({ retention: { unmatched: { maxCount: 5 } } });
    expect(store.retention.unmatched).toEqual({ maxAgeMs: 24 * 3600_000, maxCount: 5, maxBytes: 16 * 1024 * 1024 });
    expect(store.retention.deliveries).toEqual({ maxAgeMs: 3600_000, maxCount: 10_000 });
  });
});
