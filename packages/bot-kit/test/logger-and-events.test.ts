// The default logger and the typed emitter on their own. The logger: warnings and errors as one JSON line each on
// stderr, pino's shape, an Error written with its name, message and stack; info dropped. The emitter: listeners per
// event, unsubscribed by the function `on` returns, and one that throws reported without costing the others.
import { afterEach, describe, expect, test, vi } from "vitest";
import { Emitter } from "../src/events.js";
import { stderrLogger } from "../src/logger.js";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("stderrLogger", () => {
  test.each(["warn", "error"] as const)("writes a %s as one JSON line with its fields and message", (level) => {
    const lines: unknown[] = [];
    vi.spyOn(console, "error").mockImplementation((line: unknown) => lines.push(line));
    stderrLogger[level]({ setting: "auth.appId", count: 2 }, "callbacks refused");
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0] as string) as Record<string, unknown>;
    expect(line).toEqual({
      level,
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      name: "graph-invite/bot-kit",
      setting: "auth.appId",
      count: 2,
      msg: "callbacks refused",
    });
    expect(Object.keys(line)).toEqual(["level", "time", "name", "setting", "count", "msg"]);
  });

  test("writes an Error field with its name, message and stack, not as {}", () => {
    const lines: unknown[] = [];
    vi.spyOn(console, "error").mockImplementation((line: unknown) => lines.push(line));
    const failure = new RangeError("store down");
    stderrLogger.error({ error: failure, nested: { cause: failure } }, "processing failed");
    const line = JSON.parse(lines[0] as string) as { error: unknown; nested: { cause: unknown } };
    const written = { name: "RangeError", message: "store down", stack: failure.stack };
    expect(line.error).toEqual(written);
    expect(line.nested.cause).toEqual(written);
  });

  test("the message wins over a field named msg, and info is dropped", () => {
    const lines: unknown[] = [];
    vi.spyOn(console, "error").mockImplementation((line: unknown) => lines.push(line));
    stderrLogger.info({ detail: 1 }, "fine");
    expect(lines).toEqual([]);
    stderrLogger.warn({ msg: "from a field" }, "the message");
    expect((JSON.parse(lines[0] as string) as { msg: string }).msg).toBe("the message");
  });
});

describe("Emitter", () => {
  type Events = { roster: number; call: string };

  test("calls each event's listeners, in the order they subscribed, and no other event's", () => {
    const emitter = new Emitter<Events>(() => {});
    const calls: string[] = [];
    emitter.on("roster", (n) => calls.push(`first ${n}`));
    emitter.on("roster", (n) => calls.push(`second ${n}`));
    emitter.on("call", (s) => calls.push(`call ${s}`));
    emitter.emit("roster", 1);
    expect(calls).toEqual(["first 1", "second 1"]);
    emitter.emit("call", "ended");
    expect(calls).toEqual(["first 1", "second 1", "call ended"]);
  });

  test("unsubscribes one listener with the function on() returned, leaving the others", () => {
    const emitter = new Emitter<Events>(() => {});
    const calls: string[] = [];
    const off = emitter.on("roster", () => calls.push("gone"));
    emitter.on("roster", () => calls.push("stays"));
    off();
    emitter.emit("roster", 1);
    expect(calls).toEqual(["stays"]);
  });

  test("reports a listener that throws, with the event's name, and still calls the rest", () => {
    const failures: Array<[unknown, string]> = [];
    const emitter = new Emitter<Events>((error, name) => failures.push([error, String(name)]));
    const broken = new Error("listener bug");
    const calls: number[] = [];
    emitter.on("roster", () => {
      throw broken;
    });
    emitter.on("roster", (n) => calls.push(n));
    emitter.emit("roster", 7);
    expect(failures).toEqual([[broken, "roster"]]);
    expect(calls).toEqual([7]);
  });

  test("an event nobody listens to is emitted without effect", () => {
    const onError = vi.fn();
    const emitter = new Emitter<Events>(onError);
    emitter.emit("call", "nobody");
    expect(onError).not.toHaveBeenCalled();
  });
});
