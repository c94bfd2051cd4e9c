// settled() must not hide a failure inside the simulator, nor report the cancellations that close() causes.
import { expect, test } from "vitest";
import { sleep, Tracker } from "../src/tracker.js";

test("idle waits for work started while waiting, and rejects with what failed", async () => {
  const tracker = new Tracker();
  const running = new AbortController();
  const order: string[] = [];
  tracker.track(
    sleep(20, running.signal).then(() => {
      order.push("first");
      tracker.track(Promise.reject(new Error("broken")), running.signal);
    }),
    running.signal,
  );
  const idle = tracker.idle();
  await expect(idle).rejects.toThrow(AggregateError);
  await expect(idle).rejects.toMatchObject({ errors: [new Error("broken")] });
  expect(order).toEqual(["first"]);
});

test("work cancelled by closing is not a failure", async () => {
  const tracker = new Tracker();
  const lifetime = new AbortController();
  tracker.track(sleep(60_000, lifetime.signal), lifetime.signal);
  lifetime.abort();
  await expect(tracker.idle()).resolves.toBeUndefined();
});
