// The refusal log on its own, on a clock the test moves: the first refusal of each reason logged at once with the
// setting to check, later ones at most once a minute with counts, errors for 5xx, a bounded number of reasons rate
// limited; and the refusals kept for a timed-out invite's outcome, the newest thousand, summed up by reason.
import { describe, expect, test } from "vitest";
import type { RefusedDelivery } from "../src/index.js";
import { RefusalLog } from "../src/refusals.js";
import { recordingLogger } from "./harness.js";

const start = Date.parse("2026-12-07T00:00:00Z");

/** A log on a clock the test moves, with the lines it wrote. */
function refusalLog() {
  const { logger, lines } = recordingLogger();
  const clock = { now: start };
  const log = new RefusalLog(logger, () => clock.now);
  return { log, lines, clock };
}

const wrongAudience: RefusedDelivery = {
  status: 401,
  reason: "wrong-audience",
  message: "the token is for another app",
  detail: { expected: "a", received: "b" },
};

describe("what is logged", () => {
  test("the first refusal of a reason at once, as a warning naming the setting to check", () => {
    const { log, lines } = refusalLog();
    log.record(wrongAudience);
    expect(lines).toEqual([
      {
        level: "warn",
        message: "a notification was refused with 401 wrong-audience: the token is for another app (check auth.appId)",
        fields: {
          reason: "wrong-audience",
          status: 401,
          count: 1,
          total: 1,
          message: "the token is for another app",
          detail: { expected: "a", received: "b" },
          setting: "auth.appId",
          lastAt: "2026-12-07T00:00:00.000Z",
        },
      },
    ]);
  });

  test("each reason on its own: a second reason is logged at once too", () => {
    const { log, lines } = refusalLog();
    log.record(wrongAudience);
    log.record({ status: 413, reason: "payloadTooLarge", message: "the body is over 1048576 bytes" });
    expect(lines.map((line) => [line.fields["reason"], line.fields["setting"]])).toEqual([
      ["wrong-audience", "auth.appId"],
      ["payloadTooLarge", "maxBodyBytes"],
    ]);
  });

  test("reports a reason again after a minute, with how many came since and in all", () => {
    const { log, lines, clock } = refusalLog();
    for (let i = 0; i < 5; i++) log.record(wrongAudience);
    clock.now += 59_999;
    log.record(wrongAudience);
    expect(lines).toHaveLength(1);
    clock.now += 1;
    log.record(wrongAudience);
    expect(lines.map((line) => [line.fields["count"], line.fields["total"]])).toEqual([
      [1, 1],
      [6, 7],
    ]);
    expect(lines[1]?.message).toMatch(/6 refused for this reason since the last report, 7 in all$/);
    // The minute counts from that report: the next one comes a minute after it.
    clock.now += 59_999;
    log.record(wrongAudience);
    expect(lines).toHaveLength(2);
    clock.now += 1;
    log.record(wrongAudience);
    expect(lines.map((line) => [line.fields["count"], line.fields["total"]])).toEqual([
      [1, 1],
      [6, 7],
      [2, 9],
    ]);
  });

  test("no setting hint when the message names the setting already, or the reason has none", () => {
    const { log, lines } = refusalLog();
    log.record({ ...wrongAudience, message: "set auth.appId to the token's audience" });
    log.record({ status: 400, reason: "invalidNotification", message: "/value: must be array" });
    expect(lines.map((line) => line.message)).toEqual([
      "a notification was refused with 401 wrong-audience: set auth.appId to the token's audience",
      "a notification was refused with 400 invalidNotification: /value: must be array",
    ]);
    expect(lines[0]?.fields["setting"]).toBe("auth.appId");
    expect(lines[1]?.fields).not.toHaveProperty("setting");
    expect(lines[1]?.fields).not.toHaveProperty("detail");
  });

  test("a refusal's own setting wins over its reason's, in the log and in what is kept", () => {
    const { log, lines } = refusalLog();
    log.record({ ...wrongAudience, setting: "auth.authenticate" });
    expect(lines[0]?.fields["setting"]).toBe("auth.authenticate");
    expect(lines[0]?.message).toMatch(/\(check auth\.authenticate\)$/);
    expect(log.since(start)).toMatchObject([{ reason: "wrong-audience", setting: "auth.authenticate" }]);
  });

  test.each([
    [499, "warn"],
    [500, "error"],
    [503, "error"],
  ])("a refusal answered %i is logged as %s", (status, level) => {
    const { log, lines } = refusalLog();
    log.record({ status, reason: `r${status}`, message: "m" });
    expect(lines.map((line) => line.level)).toEqual([level]);
  });

  test("rate limits a hundred reasons; one more, from an authenticator of your own, is logged each time", () => {
    const { log, lines, clock } = refusalLog();
    for (let i = 0; i < 100; i++) log.record({ status: 401, reason: `own-${i}`, message: "m" });
    for (let i = 0; i < 100; i++) log.record({ status: 401, reason: `own-${i}`, message: "m" });
    expect(lines).toHaveLength(100);
    log.record({ status: 401, reason: "one-more", message: "m" });
    log.record({ status: 401, reason: "one-more", message: "m" });
    expect(lines).toHaveLength(102);
    expect(lines.slice(100).map((line) => [line.fields["count"], line.fields["total"]])).toEqual([
      [1, 1],
      [1, 1],
    ]);
    // A reason tracked before the hundredth is still reported a minute apart, with its counts.
    clock.now += 60_000;
    log.record({ status: 401, reason: "own-0", message: "m" });
    log.record({ status: 401, reason: "own-0", message: "m" });
    clock.now += 60_000;
    log.record({ status: 401, reason: "own-0", message: "m" });
    expect(lines.slice(102).map((line) => [line.fields["reason"], line.fields["count"], line.fields["total"]])).toEqual(
      [
        ["own-0", 2, 3],
        ["own-0", 2, 5],
      ],
    );
  });

  test.each([
    ["wrong-audience", "auth.appId"],
    ["wrong-issuer", "auth.issuers"],
    ["unknown-key", "auth.openIdConfigurationUrl"],
    ["keys-unavailable", "auth.openIdConfigurationUrl"],
    ["tenant-not-allowed", "auth.allowedTenants"],
    ["notFound", "path"],
    ["payloadTooLarge", "maxBodyBytes"],
  ])("a refusal for %s names the setting %s", (reason, setting) => {
    const { log, lines } = refusalLog();
    log.record({ status: 401, reason, message: "m" });
    expect(lines[0]?.fields["setting"]).toBe(setting);
    expect(log.since(start)).toMatchObject([{ reason, setting }]);
  });
});

describe("what is kept for outcomes", () => {
  test("the refusals since a moment, that moment included, by reason, most frequent first, each with its latest", () => {
    const { log, clock } = refusalLog();
    log.record({ ...wrongAudience, message: "before" });
    clock.now += 1000;
    const since = clock.now;
    log.record({ status: 404, reason: "notFound", message: "no route" });
    log.record({ ...wrongAudience, status: 403, message: "first", detail: { n: 1 } });
    clock.now += 1000;
    log.record({ ...wrongAudience, message: "latest", detail: { n: 2 }, issues: [] });
    expect(log.since(since)).toEqual([
      {
        reason: "wrong-audience",
        status: 401,
        count: 2,
        message: "latest",
        detail: { n: 2 },
        setting: "auth.appId",
        lastAt: new Date(since + 1000).toISOString(),
      },
      {
        reason: "notFound",
        status: 404,
        count: 1,
        message: "no route",
        setting: "path",
        lastAt: new Date(since).toISOString(),
      },
    ]);
    expect(log.since(since + 1001)).toEqual([]);
  });

  test("of refusals at the same moment, the later one is the latest", () => {
    const { log } = refusalLog();
    log.record({ ...wrongAudience, message: "earlier" });
    log.record({ ...wrongAudience, message: "later" });
    expect(log.since(start)).toMatchObject([{ count: 2, message: "later" }]);
  });

  test("the newest thousand are kept, the oldest forgotten first", () => {
    const { log, clock } = refusalLog();
    for (let i = 0; i < 1000; i++) log.record({ status: 401, reason: "old", message: `${i}` });
    clock.now += 1;
    for (let i = 0; i < 999; i++) log.record({ status: 401, reason: "new", message: `${i}` });
    expect(log.since(start).map(({ reason, count }) => [reason, count])).toEqual([
      ["new", 999],
      ["old", 1],
    ]);
    expect(log.since(start).find(({ reason }) => reason === "old")?.message).toBe("999");
    for (let i = 999; i < 1500; i++) log.record({ status: 401, reason: "new", message: `${i}` });
    expect(log.since(start).map(({ reason, count, message }) => [reason, count, message])).toEqual([
      ["new", 1000, "1499"],
    ]);
  });
});
