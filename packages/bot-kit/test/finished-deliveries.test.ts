// Finishing a delivery costs no round trip of its own: finished keys wait for the next claim to carry them, and are
// written alone after finishWaitMs without one. Either way, whoever finished learns when they are written, or why not.
import { afterEach, describe, expect, test, vi } from "vitest";
import { FinishedBatch, finishWaitMs } from "../src/redis/finished-deliveries.js";

afterEach(() => {
  vi.useRealTimers();
});

describe("FinishedBatch", () => {
  test("hands the keys to the next claim, which settles them; nothing is written alone", async () => {
    vi.useFakeTimers();
    const writeAlone = vi.fn(async () => {});
    const batch = new FinishedBatch(writeAlone);
    const first = batch.add("a");
    const second = batch.add("b");
    expect(first).toBe(second);
    const taken = batch.take();
    expect(taken?.keys).toEqual(["a", "b"]);
    expect(vi.getTimerCount()).toBe(0);
    taken?.settle();
    await expect(first).resolves.toBeUndefined();
    await vi.advanceTimersByTimeAsync(finishWaitMs * 2);
    expect(writeAlone).not.toHaveBeenCalled();
    expect(batch.take()).toBeUndefined();
  });

  test("a claim that fails to write them fails the finishers too", async () => {
    const batch = new FinishedBatch(async () => {});
    const finished = batch.add("a");
    const failure = new Error("store down");
    batch.take()?.settle(failure);
    await expect(finished).rejects.toBe(failure);
  });

  test(`writes them alone ${finishWaitMs} ms after the first, in one write, when no claim comes`, async () => {
    vi.useFakeTimers();
    const writeAlone = vi.fn(async (_keys: readonly string[]) => {});
    const batch = new FinishedBatch(writeAlone);
    const finished = batch.add("a");
    await vi.advanceTimersByTimeAsync(finishWaitMs / 2);
    void batch.add("b");
    await vi.advanceTimersByTimeAsync(finishWaitMs / 2 - 1);
    expect(writeAlone).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(writeAlone).toHaveBeenCalledTimes(1);
    expect(writeAlone).toHaveBeenCalledWith(["a", "b"]);
    await expect(finished).resolves.toBeUndefined();
    // The next finished key starts a batch of its own.
    expect(batch.take()).toBeUndefined();
    void batch.add("c");
    expect(batch.take()?.keys).toEqual(["c"]);
  });

  test("a failed write alone fails the finishers", async () => {
    vi.useFakeTimers();
    const failure = new Error("store down");
    const batch = new FinishedBatch(async () => {
      throw failure;
    });
    const finished = batch.add("a");
    const settled = finished.catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(finishWaitMs);
    await expect(settled).resolves.toBe(failure);
  });
});
