// startBot, the kit's own server: where it listens and the URLs it gives; its self-check, which runs once the server
// listens and warns of a misconfiguration within a second, naming the setting, unless told not to check; and
// OpenTelemetry's API, which it finds on its own, unless told not to.
import { randomUUID } from "node:crypto";
import { createInviteClient } from "@graph-invite/client";
import { type Simulator, start } from "@graph-invite/simulator";
import { freePort } from "@graph-invite/test-support/ports";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Logger } from "../src/index.js";
import { startBot } from "../src/node/index.js";
import { rosterOf, signedHeaders } from "./harness.js";
import { until } from "./store-contract-fixtures.js";
import { count, useSdk } from "./telemetry-sdk.js";

useSdk();

let sim: Simulator;
beforeAll(async () => {
  sim = await start();
});
afterAll(() => sim.close());

const setUp = () => ({
  client: createInviteClient({ credential: sim.credential(), baseUrl: sim.graphUrl }),
  auth: { appId: sim.app.appId, openIdConfigurationUrl: sim.openIdConfigurationUrl },
});

/** A logger that keeps its warnings. */
function warnings(): Logger & { readonly seen: Array<{ setting: unknown; message: string }> } {
  const seen: Array<{ setting: unknown; message: string }> = [];
  return {
    seen,
    info() {},
    error() {},
    warn: (fields, message) => void seen.push({ setting: fields["setting"], message }),
  };
}

test("listens on 127.0.0.1 unless told otherwise, gives its URL and the callback URL under it, and stops on close", async () => {
  const bot = await startBot({ ...setUp(), selfCheck: false });
  try {
    expect(bot.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(bot.callbackUrl).toBe(`${bot.url}/api/calls`);
    expect((await fetch(bot.callbackUrl)).status).toBe(405);
  } finally {
    await bot.close();
  }
  await expect(fetch(bot.callbackUrl)).rejects.toThrow("fetch failed");
});

test("on an IPv6 address, its URL has the address in brackets, and reaches it", async () => {
  const bot = await startBot({ ...setUp(), host: "::1", selfCheck: false });
  try {
    expect(bot.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
    expect((await fetch(bot.callbackUrl)).status).toBe(405);
  } finally {
    await bot.close();
  }
});

test("warns within a second, naming the setting, of a callback URL where nothing listens", async () => {
  const logger = warnings();
  const callbackUrl = `http://127.0.0.1:${await freePort()}/api/calls`;
  const started = Date.now();
  const bot = await startBot({ ...setUp(), logger, callbackUrl });
  try {
    await until(() => logger.seen.length > 0, 1000);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(logger.seen).toEqual([expect.objectContaining({ setting: "callbackUrl" })]);
  } finally {
    await bot.close();
  }
});

test("says nothing of the same misconfiguration with selfCheck: false", async () => {
  const logger = warnings();
  const callbackUrl = `http://127.0.0.1:${await freePort()}/api/calls`;
  const bot = await startBot({ ...setUp(), logger, callbackUrl, selfCheck: false });
  try {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(logger.seen).toEqual([]);
  } finally {
    await bot.close();
  }
});

describe("OpenTelemetry", () => {
  const accepted = () => count("graph_invite.deliveries", { "graph_invite.delivery.outcome": "accepted" });
  const deliver = async (url: string) => {
    const response = await fetch(url, {
      method: "POST",
      headers: await signedHeaders(sim),
      body: rosterOf(randomUUID()),
    });
    return response.status;
  };

  test("found on its own: a delivery it accepts is counted by the SDK the app registered", async () => {
    const bot = await startBot({ ...setUp(), selfCheck: false });
    try {
      const before = await accepted();
      expect(await deliver(bot.callbackUrl)).toBe(202);
      expect(await accepted()).toBe(before + 1);
    } finally {
      await bot.close();
    }
  });

  test("with openTelemetry: false, nothing is recorded", async () => {
    const bot = await startBot({ ...setUp(), selfCheck: false, openTelemetry: false });
    try {
      const before = await accepted();
      expect(await deliver(bot.callbackUrl)).toBe(202);
      expect(await accepted()).toBe(before);
    } finally {
      await bot.close();
    }
  });
});
