// The per-call queue: one call's tasks in the order queued, other calls' beside them, a failing task reported without
// stopping its queue, and a drained call forgotten without losing the order of tasks still queued.
import { describe, expect, test } from "vitest";
import { KeyedQueue } from "../src/queue.js";

/** A promise and the function that resolves it. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe("KeyedQueue", () => {
  test("runs one key's tasks one after another, in the order queued", async () => {
    const queue = new KeyedQueue(() => {});
    const log: string[] = [];
    const first = deferred();
    void queue.run("call", async () => {
      log.push("first started");
      await first.promise;
      log.push("first done");
    });
    void queue.run("call", () => {
      log.push("second");
    });
    await turn();
    expect(log).toEqual(["first started"]);
    first.resolve();
    await queue.idle();
    expect(log).toEqual(["first started", "first done", "second"]);
  });

  test("runs another key's tasks while one key waits", async () => {
    const queue = new KeyedQueue(() => {});
    const slow = deferred();
    let other = false;
    void queue.run("slow call", () => slow.promise);
    await queue.run("other call", () => {
      other = true;
    });
    expect(other).toBe(true);
    slow.resolve();
    await queue.idle();
  });

  test("reports a failing task with its key, and goes on with the next", async () => {
    const failures: Array<[unknown, string]> = [];
    const queue = new KeyedQueue((error, key) => failures.push([error, key]));
    const broken = new Error("store down");
    let after = false;
    const run = queue.run("call", () => {
      throw broken;
    });
    void queue.run("call", () => {
      after = true;
    });
    // The queue reports the failure; the caller's promise does not reject.
    await run;
    await queue.idle();
    expect(failures).toEqual([[broken, "call"]]);
    expect(after).toBe(true);
  });

  test("keeps a key while a later task runs: one queued after the first task's end still waits its turn", async () => {
    const queue = new KeyedQueue(() => {});
    const log: string[] = [];
    const second = deferred();
    void queue.run("call", () => {
      log.push("first");
    });
    void queue.run("call", async () => {
      log.push("second started");
      await second.promise;
      log.push("second done");
    });
    // The first task has ended, and its clean-up has run, while the second still runs.
    await turn();
    expect(log).toEqual(["first", "second started"]);
    void queue.run("call", () => {
      log.push("third");
    });
    await turn();
    expect(log).toEqual(["first", "second started"]);
    second.resolve();
    await queue.idle();
    expect(log).toEqual(["first", "second started", "second done", "third"]);
  });

  test("idle() waits for tasks that tasks queued", async () => {
    const queue = new KeyedQueue(() => {});
    let nested = false;
    void queue.run("call", () => {
      void queue.run("another call", async () => {
        await turn();
        nested = true;
      });
    });
    await queue.idle();
    expect(nested).toBe(true);
  });
});
