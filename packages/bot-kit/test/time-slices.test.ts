// Cooperative scheduling: work that checks in goes on at once while its slice lasts, and gives the event loop a turn
// once the slice is spent, then starts a new slice. Where there is no setImmediate (a browser, a worker), a timer.
import { afterEach, describe, expect, test, vi } from "vitest";
import { nextTurn, TimeSlices } from "../src/time-slices.js";

/** Whether a macrotask queued before `work` ran before `work` resolved: whether `work` gave the event loop a turn. */
async function yielded(work: () => Promise<void>): Promise<boolean> {
  let ran = false;
  setImmediate(() => {
    ran = true;
  });
  await work();
  return ran;
}

function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // Busy, as processing a large batch is.
  }
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
  vi.resetModules();
});

describe("TimeSlices", () => {
  test("goes on at once while the slice lasts", async () => {
    const slices = new TimeSlices(60_000);
    expect(await yielded(() => slices.pace())).toBe(false);
    expect(await yielded(() => slices.pace())).toBe(false);
  });

  test("gives the event loop a turn once the slice is spent, then starts a new slice", async () => {
    const slices = new TimeSlices(20);
    spin(25);
    expect(await yielded(() => slices.pace())).toBe(true);
    expect(await yielded(() => slices.pace())).toBe(false);
    spin(25);
    expect(await yielded(() => slices.pace())).toBe(true);
  });

  test("counts the slice from its start, not from the last check", async () => {
    // Wide margins: a loaded machine may take the process off its core in the middle of a spin.
    const slices = new TimeSlices(200);
    for (let step = 0; step < 4; step++) {
      spin(20);
      expect(await yielded(() => slices.pace())).toBe(false);
    }
    // 210 ms since the slice began, 130 since the last check.
    spin(130);
    expect(await yielded(() => slices.pace())).toBe(true);
  });
});

describe("nextTurn", () => {
  test("resolves after the macrotasks already queued", async () => {
    expect(await yielded(nextTurn)).toBe(true);
  });

  test("takes setImmediate where there is one: it runs after pending I/O, which a timer need not", async () => {
    const immediate = vi.spyOn(globalThis, "setImmediate");
    const timeout = vi.spyOn(globalThis, "setTimeout");
    await nextTurn();
    expect(immediate).toHaveBeenCalledTimes(1);
    expect(timeout).not.toHaveBeenCalled();
  });

  test("falls back to a timer where there is no setImmediate", async () => {
    vi.stubGlobal("setImmediate", undefined);
    vi.resetModules();
    const { nextTurn: fallback } = await import("../src/time-slices.js");
    let timer = false;
    setTimeout(() => {
      timer = true;
    }, 0);
    await fallback();
    expect(timer).toBe(true);
  });
});
