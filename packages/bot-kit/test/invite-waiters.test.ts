// The tracker's waiters and deadlines on their own: who waits on which invite, who may have the outcome when a record
// changes, and a deadline that fires once, at the invite's deadline (never later than setTimeout can wait), and keeps
// the process alive only while somebody waits. The end-to-end tracker tests show the same through the bot.
import { afterEach, describe, expect, test, vi } from "vitest";
import type { InviteOutcome } from "../src/invite-types.js";
import { maxInviteTimeoutMs } from "../src/invite-types.js";
import { InviteWaiters } from "../src/invite-waiters.js";
import { clientContext, operationId, recordAt } from "./invite-transitions-fixtures.js";

const other = "0b9e3f0c-5c44-4e0e-9d0a-6e2f3f0d2a11";

/** The promise's outcome if it has settled by the next turn of the event loop, else "pending". */
async function settled(promise: Promise<InviteOutcome>): Promise<InviteOutcome | "pending"> {
  return Promise.race([promise, new Promise<"pending">((resolve) => setImmediate(() => resolve("pending")))]);
}

const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("who waits", () => {
  test("an invite has waiters until its last one is removed", () => {
    const waiters = new InviteWaiters(() => {});
    const first = waiters.add(clientContext, false);
    const second = waiters.add(clientContext, true, "answer");
    expect(waiters.has(clientContext)).toBe(true);
    expect([...waiters.contexts()]).toEqual([clientContext]);

    waiters.remove(clientContext, first);
    expect(waiters.has(clientContext)).toBe(true);
    waiters.remove(clientContext, second);
    expect(waiters.has(clientContext)).toBe(false);
    expect([...waiters.contexts()]).toEqual([]);
  });

  test("an invite nobody waits on: removing, marking, waking and resolving it change nothing", async () => {
    const waiters = new InviteWaiters(() => {});
    const waiter = waiters.add(clientContext, false);
    waiters.remove(other, waiter);
    waiters.markAnswered(other);
    waiters.wake(recordAt("timed-out", { clientContext: other }));
    waiters.resolveAll(recordAt("failed", { clientContext: other }));
    expect([...waiters.contexts()]).toEqual([clientContext]);
    expect(waiters.anyUnanswered()).toBe(true);
    expect(await settled(waiter.outcome)).toBe("pending");
  });

  test("an answer is awaited while any waiter's invite has not had Graph's answer, and only that invite's are marked", () => {
    const waiters = new InviteWaiters(() => {});
    expect(waiters.anyUnanswered()).toBe(false);
    waiters.add(other, true);
    expect(waiters.anyUnanswered()).toBe(false);
    waiters.add(clientContext, false);
    expect(waiters.anyUnanswered()).toBe(true);

    waiters.markAnswered(other);
    expect(waiters.anyUnanswered()).toBe(true);
    waiters.markAnswered(clientContext);
    expect(waiters.anyUnanswered()).toBe(false);
  });
});

describe("who may have the outcome", () => {
  test("wake resolves the waiters that can have it now and leaves the others waiting", async () => {
    const waiters = new InviteWaiters(() => {});
    const forOutcome = waiters.add(clientContext, false);
    const forAnswer = waiters.add(clientContext, false, "answer");
    const elsewhere = waiters.add(other, true);

    // Graph has answered (the record has its operation id): enough for an answer waiter, not for the outcome.
    waiters.wake(recordAt("running"));
    expect(await settled(forAnswer.outcome)).toMatchObject({ clientContext, operationId });
    expect(await settled(forOutcome.outcome)).toBe("pending");

    // Ended, but the answer has not been applied yet: the outcome would miss what it says.
    waiters.wake(recordAt("completed"));
    expect(await settled(forOutcome.outcome)).toBe("pending");

    waiters.markAnswered(clientContext);
    waiters.wake(recordAt("completed"));
    expect(await settled(forOutcome.outcome)).toMatchObject({ status: "completed", clientContext });
    expect(await settled(elsewhere.outcome)).toBe("pending");
  });

  test("a timed-out record wakes a waiter whose answer never came", async () => {
    const waiters = new InviteWaiters(() => {});
    const waiter = waiters.add(clientContext, false);
    waiters.wake(recordAt("timed-out"));
    expect(await settled(waiter.outcome)).toMatchObject({ status: "timed-out" });
  });

  test("resolveAll resolves every waiter of the invite, answered or not, and no other", async () => {
    const waiters = new InviteWaiters(() => {});
    const unanswered = waiters.add(clientContext, false);
    const forAnswer = waiters.add(clientContext, false, "answer");
    const elsewhere = waiters.add(other, false);
    waiters.resolveAll(recordAt("failed"));
    expect(await settled(unanswered.outcome)).toMatchObject({ status: "failed" });
    expect(await settled(forAnswer.outcome)).toMatchObject({ status: "failed" });
    expect(await settled(elsewhere.outcome)).toBe("pending");
  });

  test("close rejects every waiter with the error, stops every deadline and forgets the waiters", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const due: string[] = [];
    const waiters = new InviteWaiters((context) => due.push(context));
    const first = waiters.add(clientContext, false);
    const second = waiters.add(other, true);
    waiters.armDeadline(recordAt("running", { deadline: inMs(1000) }));
    const error = new Error("the bot is closing");

    waiters.close(error);
    await expect(first.outcome).rejects.toBe(error);
    await expect(second.outcome).rejects.toBe(error);
    vi.advanceTimersByTime(5000);
    expect(due).toEqual([]);
    expect(waiters.has(clientContext)).toBe(false);
    expect([...waiters.contexts()]).toEqual([]);
  });
});

describe("deadlines", () => {
  test("fire once, at the invite's deadline, with its clientContext; a fired one can be armed again", () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const due: string[] = [];
    const waiters = new InviteWaiters((context) => due.push(context));
    const record = recordAt("running", { deadline: inMs(1000) });
    waiters.armDeadline(record);
    waiters.armDeadline(record);

    vi.advanceTimersByTime(990);
    expect(due).toEqual([]);
    vi.advanceTimersByTime(20);
    expect(due).toEqual([clientContext]);
    vi.advanceTimersByTime(5000);
    expect(due).toEqual([clientContext]);

    waiters.armDeadline(recordAt("running", { deadline: inMs(500) }));
    vi.advanceTimersByTime(510);
    expect(due).toEqual([clientContext, clientContext]);
  });

  test("are not armed for an invite without a deadline or one that has ended", () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const due: string[] = [];
    const waiters = new InviteWaiters((context) => due.push(context));
    waiters.armDeadline(recordAt("running", { deadline: null }));
    waiters.armDeadline(recordAt("completed", { deadline: inMs(100), clientContext: other }));
    vi.advanceTimersByTime(maxInviteTimeoutMs);
    expect(due).toEqual([]);
  });

  test("a deadline past fires at once; one beyond what a timer can wait fires at the longest wait", () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const due: string[] = [];
    const waiters = new InviteWaiters((context) => due.push(context));
    waiters.armDeadline(recordAt("running", { deadline: inMs(-60_000), clientContext: other }));
    vi.advanceTimersByTime(1);
    expect(due).toEqual([other]);

    // setTimeout fires at once for a delay above 2^31 - 1 ms: clamped, the invite waits as long as a timer can.
    waiters.armDeadline(recordAt("running", { deadline: inMs(4 * maxInviteTimeoutMs) }));
    vi.advanceTimersByTime(maxInviteTimeoutMs - 10);
    expect(due).toEqual([other]);
    vi.advanceTimersByTime(10);
    expect(due).toEqual([other, clientContext]);
  });

  test("keep the process alive only while somebody waits on the invite", () => {
    const timers = vi.spyOn(globalThis, "setTimeout");
    const waiters = new InviteWaiters(() => {});
    const lastTimer = () => timers.mock.results.at(-1)?.value as NodeJS.Timeout;

    waiters.armDeadline(recordAt("running", { deadline: inMs(60_000) }));
    const nobodyWaited = lastTimer();
    expect(nobodyWaited.hasRef()).toBe(false);
    const waiter = waiters.add(clientContext, false);
    expect(nobodyWaited.hasRef()).toBe(true);
    waiters.remove(clientContext, waiter);
    expect(nobodyWaited.hasRef()).toBe(false);

    const waiting = waiters.add(other, false);
    waiters.armDeadline(recordAt("running", { deadline: inMs(60_000), clientContext: other }));
    expect(lastTimer().hasRef()).toBe(true);

    waiters.close(new Error("done"));
    return expect(waiting.outcome).rejects.toThrow("done");
  });
});
