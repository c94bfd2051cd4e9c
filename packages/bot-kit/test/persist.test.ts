// The 202's promise in the small: a store wrapped by markingFailures passes every call through and marks the errors
// it fails with as the store's, and persist tries work again after such a failure, with a doubling pause, until it
// succeeds, the bot stops or the delivery's retention would end. The same under a real Redis that refuses writes:
// store-failures.test.ts.
import { afterEach, describe, expect, test, vi } from "vitest";
import type { BotStore } from "../src/bot-store.js";
import { MemoryStore } from "../src/memory-store.js";
import { isStoreFailure, markingFailures, persist } from "../src/persist.js";

afterEach(() => {
  vi.useRealTimers();
});

/** Each of a store's methods, with arguments to call it with. */
const calls: ReadonlyArray<readonly [keyof BotStore & string, readonly unknown[]]> = [
  ["claimDelivery", ["delivery-1", new Uint8Array([1])]],
  ["finishDelivery", ["delivery-1"]],
  ["takeUnfinishedDeliveries", []],
  ["putOperation", [{ clientContext: "c-1" }]],
  ["operationByContext", ["c-1"]],
  ["operationById", ["op-1"]],
  ["operations", ["call-1"]],
  ["pendingOperations", [1_000]],
  ["putRoster", [{ callId: "call-1" }, [], []]],
  ["roster", ["call-1"]],
  ["recordUnmatched", [{ at: "now" }]],
  ["unmatched", []],
  ["follow", [{ clientContext: "c-1" }, { withFirstWrite: true }]],
];

/**
 * A store each of whose methods answers with `answer(name)` (a value, or a rejected promise), recording the calls and
 * the `this` each was called on.
 */
function storeAnswering(answer: (name: string) => unknown) {
  const seen: { name: string; args: unknown[]; self: unknown }[] = [];
  const store: Record<string, unknown> = { retention: new MemoryStore().retention };
  for (const [name] of calls) {
    store[name] = function (this: unknown, ...args: unknown[]) {
      seen.push({ name, args, self: this });
      return answer(name);
    };
  }
  store["watch"] = function (this: unknown, ...args: unknown[]) {
    seen.push({ name: "watch", args, self: this });
    return answer("watch");
  };
  return { store: store as unknown as BotStore, seen };
}

const call = (store: BotStore, name: string, args: readonly unknown[]) =>
  (store as unknown as Record<string, (...args: readonly unknown[]) => unknown>)[name]?.(...args);

describe("markingFailures", () => {
  test("passes each method its arguments, on the inner store, and gives back what it answered", async () => {
    const { store: inner, seen } = storeAnswering((name) => Promise.resolve(`${name} answered`));
    const wrapped = markingFailures(inner);
    for (const [name, args] of calls) {
      await expect(call(wrapped, name, args)).resolves.toBe(`${name} answered`);
    }
    expect(seen.map(({ name }) => name)).toEqual(calls.map(([name]) => name));
    for (const [index, [, args]] of calls.entries()) {
      expect(seen[index]?.args).toEqual(args);
      expect(seen[index]?.self).toBe(inner);
    }
    expect(wrapped.retention).toBe(inner.retention);
  });

  test("watch answers with the inner store's way to stop watching", () => {
    const stop = () => {};
    const { store: inner, seen } = storeAnswering(() => stop);
    const listener = () => {};
    expect(markingFailures(inner).watch?.(listener, { broadcast: true })).toBe(stop);
    expect(seen).toEqual([{ name: "watch", args: [listener, { broadcast: true }], self: inner }]);
  });

  test("each method's rejection is passed on as it was, marked as the store's", async () => {
    const errors = new Map<string, Error>();
    const { store: inner } = storeAnswering((name) => {
      const error = new Error(`${name} failed`);
      errors.set(name, error);
      return Promise.reject(error);
    });
    const wrapped = markingFailures(inner);
    for (const [name, args] of calls) {
      const error = await (call(wrapped, name, args) as Promise<unknown>).then(
        () => undefined,
        (reason: unknown) => reason,
      );
      expect(error).toBe(errors.get(name));
      expect(isStoreFailure(error)).toBe(true);
    }
  });

  test("a method that throws before it returns a promise throws the same error, marked", () => {
    const thrown = new Error("sync failure");
    const { store: inner } = storeAnswering(() => {
      throw thrown;
    });
    const wrapped = markingFailures(inner);
    for (const name of ["claimDelivery", "watch"]) {
      expect(() => call(wrapped, name, [])).toThrow(thrown);
    }
    expect(isStoreFailure(thrown)).toBe(true);
  });

  test("only errors a wrapped store failed with are the store's; a string or null passes through unmarked", async () => {
    expect(isStoreFailure(new Error("the bot's own"))).toBe(false);
    expect(isStoreFailure(null)).toBe(false);
    expect(isStoreFailure(undefined)).toBe(false);
    expect(isStoreFailure("text")).toBe(false);
    for (const reason of ["text", null]) {
      const { store: inner } = storeAnswering(() => Promise.reject(reason));
      await expect(markingFailures(inner).roster("call-1")).rejects.toBe(reason);
      expect(isStoreFailure(reason)).toBe(false);
    }
  });

  test("has a store's optional methods exactly when the inner store has them", () => {
    const optional = ["finishDelivery", "takeUnfinishedDeliveries", "watch", "follow"] as const;
    const { store: full } = storeAnswering(() => undefined);
    const withAll = markingFailures(full);
    for (const name of optional) expect(typeof withAll[name]).toBe("function");
    const bare = { ...full } as Record<string, unknown>;
    for (const name of optional) delete bare[name];
    delete bare["retention"];
    const withNone = markingFailures(bare as unknown as BotStore);
    for (const name of optional) expect(withNone[name]).toBeUndefined();
    expect(withNone.retention).toBeUndefined();
  });
});

describe("persist", () => {
  /** Work that fails with `failures` in turn, then succeeds; and when each try began (fake ms). */
  function failingWork(...failures: unknown[]) {
    const tries: number[] = [];
    const work = async () => {
      tries.push(Date.now());
      const failure = failures.shift();
      if (failure !== undefined) throw failure;
    };
    return { work, tries };
  }

  /** An error as a wrapped store rejects with it. */
  async function storeError(message: string): Promise<unknown> {
    const { store } = storeAnswering(() => Promise.reject(new Error(message)));
    return markingFailures(store)
      .claimDelivery("key")
      .catch((error: unknown) => error);
  }

  test("runs work that succeeds once, reporting nothing", async () => {
    const { work, tries } = failingWork();
    const failed = vi.fn();
    await persist(work, { until: Date.now() + 60_000, failed, stopped: () => false });
    expect(tries).toHaveLength(1);
    expect(failed).not.toHaveBeenCalled();
  });

  test("tries again after each store failure, 100 ms after the first and doubling up to 5 s, reporting each", async () => {
    vi.useFakeTimers({ now: 0 });
    const errors = await Promise.all(Array.from({ length: 8 }, (_, index) => storeError(`failure ${index}`)));
    const { work, tries } = failingWork(...errors);
    const failed = vi.fn();
    const done = persist(work, { until: 60_000, failed, stopped: () => false });
    await vi.advanceTimersByTimeAsync(60_000);
    await expect(done).resolves.toBeUndefined();
    const pauses = tries.slice(1).map((at, index) => at - (tries[index] as number));
    expect(pauses).toEqual([100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000]);
    expect(failed.mock.calls.map(([error]) => error)).toEqual(errors);
  });

  test.each([
    ["an error that is not the store's is thrown at once: it would fail the same way again", false],
    ["a bot that has stopped tries no more: the store's error is thrown", true],
  ])("%s", async (_, stopped) => {
    const error = stopped ? await storeError("refused") : new TypeError("the bot's own bug");
    const { work, tries } = failingWork(error);
    const failed = vi.fn();
    await expect(persist(work, { until: Date.now() + 60_000, failed, stopped: () => stopped })).rejects.toBe(error);
    expect(tries).toHaveLength(1);
    expect(failed).not.toHaveBeenCalled();
  });

  test("waits for a try that starts by `until`, exactly, and throws the last error when the next would start after", async () => {
    vi.useFakeTimers({ now: 0 });
    const errors = await Promise.all(["first", "second", "third"].map(storeError));
    const { work, tries } = failingWork(...errors);
    const failed = vi.fn();
    // Tries at 0, 100 and 300: a fourth would begin at 700.
    const done = persist(work, { until: 300, failed, stopped: () => false }).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await done).toBe(errors[2]);
    expect(tries).toEqual([0, 100, 300]);
    expect(failed).toHaveBeenCalledTimes(2);
  });
});
