import { randomUUID } from "node:crypto";
import { createInviteClient, type InviteSuccess, userParticipant } from "@graph-invite/client";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type Delivery, type DeliveryAttempt, type Scenario, type Simulator, start } from "../src/index.js";
import { type Answerer, type Callback, startCallback } from "./callback.js";

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  // Last started, first stopped: the simulator goes before the callback it delivers to.
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface World {
  readonly sim: Simulator;
  readonly callback: Callback;
  readonly callId: string;
  /** Invites one user and fails the test unless Graph accepted it. */
  invite(userId?: string): Promise<InviteSuccess>;
}

async function world(answer: Answerer, scenario: Scenario): Promise<World> {
  const callback = await startCallback(answer);
  cleanups.push(() => callback.stop());
  const sim = await start({ scenario });
  cleanups.push(() => sim.close());
  const call = sim.createCall({ kind: "group", callbackUri: callback.url });
  const client = createInviteClient({ credential: sim.credential(), baseUrl: sim.graphUrl });
  return {
    sim,
    callback,
    callId: call.id,
    async invite(userId = randomUUID()) {
      const result = await client.invite(call.id, {
        participants: [userParticipant(userId, { displayName: "Adele Vance" })],
        clientContext: randomUUID(),
      });
      if (!result.ok) throw new Error(`the invite failed: ${JSON.stringify(result.error)}`);
      return result;
    },
  };
}

const statuses = (delivery: Delivery | undefined) => delivery?.attempts.map((attempt) => attempt.status);
const messageIdOf = (attempt: DeliveryAttempt | undefined) => attempt?.headers["X-Microsoft-Skype-Message-Id"];
const sentAt = (attempt: DeliveryAttempt | undefined) => Date.parse(attempt?.sentAt ?? "");

/** What a received notification is about, read from its body as a bot would. */
function about(callback: Callback): Array<"operation" | "roster" | "other"> {
  return callback.bodies().map(({ value: [notification] }) => {
    const url = String(notification?.["resourceUrl"]);
    if (url.includes("/operations/")) return "operation";
    return url.endsWith("/participants") ? "roster" : "other";
  });
}

describe("retries", () => {
  it("retries a 503 with the same message id and a fresh token each time, until the callback answers 202", async () => {
    const { sim, callback, invite } = await world((index) => (index < 2 ? 503 : 202), {
      delivery: { retryDelayMs: 20 },
    });
    await invite();
    await sim.settled();

    const [operation, roster, ...rest] = sim.deliveries();
    expect(rest).toEqual([]);
    expect(operation?.kind).toBe("operation");
    expect(operation?.outcome).toBe("delivered");
    expect(statuses(operation)).toEqual([503, 503, 202]);
    expect(operation?.attempts.map((attempt) => attempt.attempt)).toEqual([1, 2, 3]);
    expect(operation?.attempts.map((attempt) => attempt.error)).toEqual([null, null, null]);
    for (const attempt of operation?.attempts ?? []) {
      expect(attempt.durationMs).toBeGreaterThanOrEqual(0);
      expect(new Date(attempt.sentAt).toISOString()).toBe(attempt.sentAt);
    }
    expect(roster?.kind).toBe("roster");
    expect(roster?.outcome).toBe("delivered");
    expect(statuses(roster)).toEqual([202]);

    // The callback saw the same notification three times, then the roster.
    expect(about(callback)).toEqual(["operation", "operation", "operation", "roster"]);
    const tries = callback.received.slice(0, 3);
    expect(tries.map((request) => request.headers["x-microsoft-skype-message-id"])).toEqual(
      Array(3).fill(operation?.messageId),
    );
    expect(operation?.attempts.map(messageIdOf)).toEqual(Array(3).fill(operation?.messageId));
    expect(new Set(tries.map((request) => request.body))).toEqual(new Set([JSON.stringify(operation?.body)]));
    expect(callback.received[3]?.headers["x-microsoft-skype-message-id"]).toBe(roster?.messageId);
    expect(roster?.messageId).not.toBe(operation?.messageId);

    const tokens = tries.map((request) => request.headers.authorization);
    expect(tokens.every((token) => /^Bearer [\w-]+\.[\w-]+\.[\w-]+$/.test(token ?? ""))).toBe(true);
    expect(new Set(tokens).size).toBe(3);
    expect(operation?.attempts.map((attempt) => attempt.headers["Authorization"])).toEqual(tokens);
  });

  it("keeps trying a callback that is down until it comes back on the same port", async () => {
    // Ten attempts wait 10 s in all from the first: room for a loaded machine between that attempt and the restart.
    const { sim, callback, invite } = await world(() => 202, { delivery: { retryDelayMs: 20, maxAttempts: 10 } });
    await callback.stop();
    await invite();
    // Back once an attempt has failed, not after a fixed time: on a busy machine the invite alone can take longer.
    await vi.waitFor(() => expect(sim.deliveries()[0]?.attempts.length).toBeGreaterThan(0), {
      timeout: 30_000,
      interval: 5,
    });
    await callback.listen();
    const backAt = performance.now();
    await sim.settled();

    const [operation, roster] = sim.deliveries();
    expect(operation?.outcome).toBe("delivered");
    const failed = operation?.attempts.slice(0, -1) ?? [];
    expect(failed.length).toBeGreaterThanOrEqual(1);
    for (const attempt of failed) {
      expect(attempt.status).toBeNull();
      expect(attempt.error).toMatch(/ECONNREFUSED/);
    }
    expect(operation?.attempts.at(-1)).toMatchObject({ status: 202, error: null });
    expect(operation?.attempts.map(messageIdOf)).toEqual(Array(failed.length + 1).fill(operation?.messageId));
    expect(roster?.outcome).toBe("delivered");

    // Nothing sent while it was down arrived: each notification reached it once, after it came back.
    expect(about(callback)).toEqual(["operation", "roster"]);
    expect(callback.received[0]?.at).toBeGreaterThan(backAt);
  });

  it("gives up after maxAttempts on a callback that always answers 500, doubling the wait between attempts", async () => {
    const retryDelayMs = 50;
    const { sim, callback, invite } = await world(() => 500, { delivery: { retryDelayMs, maxAttempts: 4 } });
    await invite();
    await sim.settled();

    const deliveries = sim.deliveries();
    expect(deliveries.map((delivery) => delivery.outcome)).toEqual(["failed", "failed"]);
    expect(deliveries.map(statuses)).toEqual([
      [500, 500, 500, 500],
      [500, 500, 500, 500],
    ]);
    expect(callback.received).toHaveLength(8);

    const attempts = deliveries[0]?.attempts ?? [];
    for (let retry = 1; retry < attempts.length; retry++) {
      const expected = retryDelayMs * 2 ** (retry - 1);
      const gap = sentAt(attempts[retry]) - sentAt(attempts[retry - 1]);
      // Timers never fire early; the slack below covers millisecond rounding, the bound above a loaded machine.
      expect(gap).toBeGreaterThanOrEqual(expected - 2);
      expect(gap).toBeLessThan(expected + 500);
    }
  });

  it("does not retry a 4xx: a 401 is rejected after one attempt", async () => {
    const { sim, callback, invite } = await world(() => 401, { delivery: { retryDelayMs: 20 } });
    await invite();
    await sim.settled();

    const deliveries = sim.deliveries();
    expect(deliveries.map((delivery) => delivery.outcome)).toEqual(["rejected", "rejected"]);
    expect(deliveries.map(statuses)).toEqual([[401], [401]]);
    expect(about(callback)).toEqual(["operation", "roster"]);
  });

  it.each([408, 429])("retries a %i", async (status) => {
    const { sim, callback, invite } = await world((index) => (index === 0 ? status : 202), {
      delivery: { retryDelayMs: 20 },
    });
    await invite();
    await sim.settled();

    const [operation, roster] = sim.deliveries();
    expect(operation?.outcome).toBe("delivered");
    expect(statuses(operation)).toEqual([status, 202]);
    expect(statuses(roster)).toEqual([202]);
    expect(about(callback)).toEqual(["operation", "operation", "roster"]);
  });
});

describe("scenario delivery controls", () => {
  it("delayMs waits before each notification", async () => {
    const delayMs = 120;
    const { sim, callback, invite } = await world(() => 202, { delivery: { delayMs } });
    const { operationId } = await invite();
    await sim.settled();

    const completedAt = Date.parse(sim.operation(operationId ?? "")?.completedAt ?? "");
    const [operation, roster] = sim.deliveries();
    const first = operation?.attempts[0];
    expect(sentAt(first) - completedAt).toBeGreaterThanOrEqual(delayMs - 2);
    const firstEnded = sentAt(first) + (first?.durationMs ?? 0);
    expect(sentAt(roster?.attempts[0]) - firstEnded).toBeGreaterThanOrEqual(delayMs - 3);

    const [opArrived, rosterArrived] = callback.received.map((request) => request.at);
    expect((rosterArrived ?? 0) - (opArrived ?? 0)).toBeGreaterThanOrEqual(delayMs - 2);
  });

  it("duplicate sends each notification twice with the same message id and body", async () => {
    const { sim, callback, invite } = await world(() => 202, { delivery: { duplicate: true } });
    await invite();
    await sim.settled();

    const deliveries = sim.deliveries();
    expect(deliveries.map((delivery) => [delivery.kind, delivery.duplicate, delivery.outcome])).toEqual([
      ["operation", false, "delivered"],
      ["operation", true, "delivered"],
      ["roster", false, "delivered"],
      ["roster", true, "delivered"],
    ]);
    const [operation, operationCopy, roster, rosterCopy] = deliveries;
    expect(operationCopy?.messageId).toBe(operation?.messageId);
    expect(operationCopy?.body).toEqual(operation?.body);
    expect(rosterCopy?.messageId).toBe(roster?.messageId);
    expect(rosterCopy?.body).toEqual(roster?.body);
    expect(roster?.messageId).not.toBe(operation?.messageId);

    const received = callback.received;
    expect(received.map((request) => request.headers["x-microsoft-skype-message-id"])).toEqual([
      operation?.messageId,
      operation?.messageId,
      roster?.messageId,
      roster?.messageId,
    ]);
    expect(received[1]?.body).toBe(received[0]?.body);
    expect(received[3]?.body).toBe(received[2]?.body);
    expect(received[2]?.body).not.toBe(received[0]?.body);
  });

  it("reorder delivers the roster before the operation's terminal notification", async () => {
    const { sim, callback, invite } = await world(() => 202, { delivery: { reorder: true } });
    await invite();
    await sim.settled();

    expect(sim.deliveries().map((delivery) => delivery.kind)).toEqual(["roster", "operation"]);
    expect(about(callback)).toEqual(["roster", "operation"]);
    expect(callback.bodies()[1]?.value[0]?.["changeType"]).toBe("deleted");
  });

  it("drop records the operation's notification as dropped and never sends it", async () => {
    const { sim, callback, invite } = await world(() => 202, { delivery: { drop: ["operation"] } });
    await invite();
    await sim.settled();

    const [operation, roster] = sim.deliveries();
    expect(operation).toMatchObject({ kind: "operation", outcome: "dropped", attempts: [] });
    expect(roster).toMatchObject({ kind: "roster", outcome: "delivered" });
    expect(about(callback)).toEqual(["roster"]);
    expect(callback.received.map((request) => request.headers["x-microsoft-skype-message-id"])).not.toContain(
      operation?.messageId,
    );
  });

  it("terminalBeforeResponse delivers the terminal notification before the invite's response", async () => {
    const { sim, callback, invite } = await world(() => 202, { delivery: { terminalBeforeResponse: true } });
    const { operationId } = await invite();
    const answeredAt = performance.now();
    await sim.settled();

    const terminal = callback.received.find((request) => {
      const [notification] = (JSON.parse(request.body) as { value: Array<Record<string, unknown>> }).value;
      return (
        notification?.["changeType"] === "deleted" && String(notification["resourceUrl"]).includes(operationId ?? "-")
      );
    });
    expect(terminal).toBeDefined();
    expect(terminal?.at).toBeLessThan(answeredAt);
  });
});

describe("the terminal notification before the response", () => {
  it("holds the response only for the terminal notification's first attempt, not for later retries", async () => {
    // The terminal notification is taken at once; the roster after it is refused and retried half a second later.
    const { sim, invite } = await world((index) => (index === 0 ? 202 : 503), {
      delivery: { terminalBeforeResponse: true, maxAttempts: 2, retryDelayMs: 500 },
    });
    await invite();
    // The roster is still being tried (at most its first, refused attempt is done) when the response arrives.
    const roster = sim.deliveries().find((delivery) => delivery.kind === "roster");
    expect(roster?.outcome ?? "pending").toBe("pending");
    expect(roster?.attempts.length ?? 0).toBeLessThanOrEqual(1);
    await sim.settled();
    expect(statuses(sim.deliveries().find((delivery) => delivery.kind === "roster"))).toEqual([503, 503]);
  });
});

describe("redirects", () => {
  it("sends the next attempt to the Location of a 307 or 302, as a POST with the same body", async () => {
    const moved = await startCallback();
    cleanups.push(() => moved.stop());
    // A callback that moves every notification to another instance of the bot.
    const { sim, callback, invite } = await world(
      (index) => ({ status: index % 2 === 0 ? 307 : 302, headers: { Location: moved.url } }),
      {},
    );
    await invite();
    await sim.settled();
    expect(callback.received).toHaveLength(2);
    expect(moved.bodies().map((body) => body.value[0]?.["changeType"])).toEqual(["deleted", "updated"]);
    expect(moved.received.map((request) => request.body)).toEqual(callback.received.map((request) => request.body));
    for (const delivery of sim.deliveries()) {
      expect(delivery.outcome).toBe("delivered");
      expect(delivery.attempts.map(({ status, url, location }) => ({ status, url, location }))).toEqual([
        { status: delivery.kind === "operation" ? 307 : 302, url: callback.url, location: moved.url },
        { status: 202, url: moved.url, location: null },
      ]);
    }
  });
});

describe("close", () => {
  it("returns promptly while an invite is still ringing, and nothing is delivered afterwards", async () => {
    const userId = randomUUID();
    const { sim, callback, invite } = await world(() => 202, {
      answers: { [userId]: { kind: "no-answer", afterMs: 60_000 } },
      delivery: { retryDelayMs: 20 },
    });
    const { operationId } = await invite(userId);

    const closing = performance.now();
    await sim.close();
    expect(performance.now() - closing).toBeLessThan(500);

    // Nothing is left in flight that could still deliver.
    await sim.settled();
    expect(sim.deliveries()).toEqual([]);
    expect(callback.received).toEqual([]);
    expect(sim.operation(operationId ?? "")?.status).toBe("running");
  });

  it("returns promptly while a notification waits for its next retry, and sends no further attempt", async () => {
    const { sim, callback, invite } = await world(() => 503, {
      delivery: { retryDelayMs: 60_000, maxAttempts: 3 },
    });
    await invite();
    // The first attempt has been answered once the callback has seen it; the retry then waits a minute.
    while (callback.received.length === 0 || sim.deliveries()[0]?.attempts.length === 0) {
      await new Promise((resolve) => setImmediate(resolve));
    }

    const closing = performance.now();
    await sim.close();
    expect(performance.now() - closing).toBeLessThan(500);
    await sim.settled();
    expect(statuses(sim.deliveries()[0])).toEqual([503]);
    expect(callback.received).toHaveLength(1);
  });
});
