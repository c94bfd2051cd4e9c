// settled() must not hide a failure inside the simulator, nor report the cancellations that close() causes.
import { expect, test } from "vitest";
import { InFlight, sleep } from "../src/in-flight.js";

test("idle waits for work started while waiting, and rejects with what failed", async () => {
  const inFlight = new InFlight();
  const running = new AbortController();
  const order: string[] = [];
  inFlight.track(
    sleep(20, running.signal).then(() => {
      order.push("first");
      inFlight.track(Promise.reject(new Error("broken")), running.signal);
    }),
    running.signal,
  );
  const idle = inFlight.idle();
  await expect(idle).rejects.toThrow(AggregateError);
  await expect(idle).rejects.toMatchObject({ errors: [new Error("broken")] });
  expect(order).toEqual(["first"]);
});

test("work cancelled by closing is not a failure", async () => {
  const inFlight = new InFlight();
  const lifetime = new AbortController();
  inFlight.track(sleep(60_000, lifetime.signal), lifetime.signal);
  lifetime.abort();
  await expect(inFlight.idle()).resolves.toBeUndefined();
});
