// The self-check on its own, against real loopback servers that answer as each misconfiguration would: OpenID
// metadata and key sets that answer badly, a callback URL whose route does not reach the bot, one that is not
// listening yet, and a check cut short. Each problem names its setting, and says what was found.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, test } from "vitest";
import { type CheckTarget, checkBot, logProblems } from "../src/check.js";
import { selfCheckHeader } from "../src/receiver.js";
import { freePort, recordingLogger } from "./harness.js";

const servers: Server[] = [];
afterAll(() => {
  for (const server of servers) {
    server.close();
    server.closeAllConnections();
  }
});

type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

/** A loopback server answering with `handler`, at the URL it resolves. */
async function serve(handler: Handler, port = 0): Promise<string> {
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on("end", () => handler(request, body, response));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const json =
  (status: number, value: unknown): Handler =>
  (_request, _body, response) => {
    response.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(value));
  };

const appId = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";

/** `settled`, or a rejection after five seconds: the time limits under test are far shorter or far longer. */
function within<T>(settled: Promise<T>): Promise<T> {
  return Promise.race([
    settled,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error("still checking after 5 s")), 5000).unref()),
  ]);
}

/** OpenID metadata whose jwks_uri serves `keySet` with `status`: the metadata's URL and the key set's. */
async function metadataWithKeys(keySet: unknown, status = 200): Promise<{ metadata: string; keys: string }> {
  const keys = `${await serve(json(status, keySet))}/keys`;
  return { metadata: `${await serve(json(200, { jwks_uri: keys }))}/metadata`, keys };
}

const withKeys = async () => (await metadataWithKeys({ keys: [{ kty: "RSA", kid: "k" }] })).metadata;

function target(openIdConfigurationUrl: string | undefined, fields: Partial<CheckTarget> = {}): CheckTarget {
  return {
    auth: { appId, ...(openIdConfigurationUrl !== undefined && { openIdConfigurationUrl }) },
    path: "/api/calls",
    selfCheckToken: "token-of-this-bot",
    ...fields,
  };
}

describe("the app id", () => {
  test.each([appId, appId.toUpperCase()])("%s is one", async (id) => {
    const report = await checkBot({
      ...target(undefined),
      auth: { appId: id, openIdConfigurationUrl: await withKeys() },
    });
    expect(report).toEqual({ ok: true, problems: [] });
  });

  test.each(["", "my-bot", `${appId}0`, ` ${appId}`, appId.replaceAll("-", "")])("%j is not", async (id) => {
    const report = await checkBot({
      ...target(undefined),
      auth: { appId: id, openIdConfigurationUrl: await withKeys() },
    });
    expect(report).toEqual({
      ok: false,
      problems: [
        {
          setting: "auth.appId",
          message: `${JSON.stringify(id)} is not an app id: Graph's tokens are for the app registration's Application (client) ID, a GUID such as 3f2504e0-4f89-11d3-9a0c-0305e82c3301`,
        },
      ],
    });
  });
});

describe("the signing keys", () => {
  const keysProblem = (what: string, setting = "auth.openIdConfigurationUrl") => ({
    setting,
    message: `the signing keys cannot be had, so every notification will be refused with 503: ${what}`,
  });

  test("metadata that answers an error", async () => {
    const url = `${await serve(json(500, {}))}/metadata`;
    const report = await checkBot(target(url));
    expect(report.problems).toEqual([keysProblem(`the OpenID metadata at ${url} answered HTTP 500`)]);
  });

  test("metadata that cannot be read: the cause is named", async () => {
    const url = `http://127.0.0.1:${await freePort()}/metadata`;
    const report = await checkBot(target(url));
    expect(report.problems).toEqual([
      keysProblem(
        `the OpenID metadata at ${url} could not be read (fetch failed: connect ECONNREFUSED ${url.slice(7, -9)})`,
      ),
    ]);
  });

  test.each<[string, unknown]>([
    ["no jwks_uri", {}],
    ["a jwks_uri that is not a URL", { jwks_uri: "keys" }],
    ["a jwks_uri that is not text", { jwks_uri: 7 }],
    ["a jwks_uri that is a list holding a URL", { jwks_uri: ["http://127.0.0.1:9/keys"] }],
    ["null", null],
  ])("metadata with %s", async (_, metadata) => {
    const url = `${await serve(json(200, metadata))}/metadata`;
    const report = await checkBot(target(url));
    expect(report.problems).toEqual([keysProblem(`the OpenID metadata at ${url} has no jwks_uri`)]);
  });

  test("a key set that answers an error", async () => {
    const { metadata, keys } = await metadataWithKeys({ keys: [{}] }, 404);
    const report = await checkBot(target(metadata));
    expect(report.problems).toEqual([keysProblem(`the key set at ${keys} answered HTTP 404`)]);
  });

  test.each<[string, unknown]>([
    ["an empty key list", { keys: [] }],
    ["keys that are not a list", { keys: { kid: "k" } }],
    ["null", null],
  ])("a key set with %s", async (_, keySet) => {
    const { metadata, keys } = await metadataWithKeys(keySet);
    const report = await checkBot(target(metadata));
    expect(report.problems).toEqual([keysProblem(`the key set at ${keys} holds no keys`)]);
  });

  test("a bot of a cloud, given no metadata URL, reads the cloud's and names the cloud setting", async () => {
    // A millisecond is too short for any answer over a network: the read fails, whether the cloud is in reach or not
    // (cut by the time limit, or, where the name does not resolve, by that first).
    const report = await checkBot({ ...target(undefined), auth: { appId, cloud: "global" } }, { timeoutMs: 1 });
    const url = "https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration";
    const [problem] = report.problems;
    expect(report.problems).toEqual([{ setting: "auth.cloud", message: expect.any(String) }]);
    expect(problem?.message).toMatch(
      /^the signing keys cannot be had, so every notification will be refused with 503: the OpenID metadata at /,
    );
    expect(problem?.message.slice(problem.message.indexOf(" at ") + 4)).toMatch(
      new RegExp(
        `^${url.replaceAll(".", "\\.")} could not be read \\((The operation was aborted due to timeout|fetch failed: .+)\\)$`,
      ),
    );
  });

  test("a bot given neither a cloud nor a metadata URL reads the global cloud's", async () => {
    const report = await checkBot({ ...target(undefined), auth: { appId } }, { timeoutMs: 1 });
    expect(report.problems).toMatchObject([
      { setting: "auth.cloud", message: expect.stringContaining("at https://api.aps.skype.com/v1/.well-known/") },
    ]);
  });

  test("a bot with an authenticator of its own has no keys to check", async () => {
    expect(await checkBot({ ...target(undefined), auth: undefined })).toEqual({ ok: true, problems: [] });
  });
});

describe("the callback route", () => {
  /** The requests a route got, each with its method, headers and body. */
  function route(status: number, body: string) {
    const seen: Array<{ method: string | undefined; type: string | undefined; token: unknown; body: string }> = [];
    const handler: Handler = (request, received, response) => {
      seen.push({
        method: request.method,
        type: request.headers["content-type"],
        token: request.headers[selfCheckHeader],
        body: received,
      });
      response.writeHead(status, { "Content-Type": "application/json" }).end(body);
    };
    return { seen, handler };
  }

  const routeProblem = (what: string) => ({
    setting: "callbackUrl",
    message: `Graph's notifications will not reach the bot: ${what}. Mount the bot's handler at the callback URL's path (its path option is /api/calls; Express, Connect and Fastify mounts are seen through), before any body parser or authentication of your own`,
  });

  test("reaches the bot when an empty POST with the bot's token gets its 401 missing-token", async () => {
    const { seen, handler } = route(401, JSON.stringify({ error: { code: "missing-token", message: "no token" } }));
    const callbackUrl = `${await serve(handler)}/api/calls`;
    expect(await checkBot(target(await withKeys()), { callbackUrl })).toEqual({ ok: true, problems: [] });
    expect(seen).toEqual([{ method: "POST", type: "application/json", token: "token-of-this-bot", body: "{}" }]);
  });

  test.each<[string, number, string, string]>([
    ["an app's own 401", 401, JSON.stringify({ error: { code: "unauthorized" } }), "401 unauthorized"],
    ["a 401 without a code", 401, JSON.stringify({ error: { code: 7 } }), "401"],
    ["a 401 that is not JSON", 401, "Unauthorized", "401"],
    ["a 404", 404, "null", "404"],
    [
      "the bot's code with another status",
      400,
      JSON.stringify({ error: { code: "missing-token" } }),
      "400 missing-token",
    ],
  ])("does not reach it when it gets %s", async (_, status, body, answered) => {
    const callbackUrl = `${await serve(route(status, body).handler)}/api/calls`;
    const report = await checkBot(target(await withKeys()), { callbackUrl });
    expect(report).toEqual({
      ok: false,
      problems: [
        routeProblem(`POST ${callbackUrl} without a token answered HTTP ${answered}, not the bot's 401 missing-token`),
      ],
    });
  });

  test("waits for a server that starts listening within the time given", async () => {
    const port = await freePort();
    const callbackUrl = `http://127.0.0.1:${port}/api/calls`;
    const checked = checkBot(target(await withKeys()), { callbackUrl, timeoutMs: 5000 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const { handler } = route(401, JSON.stringify({ error: { code: "missing-token" } }));
    await serve(handler, port);
    expect(await checked).toEqual({ ok: true, problems: [] });
  });

  test("names the failure of a server that never listens, once the time given is spent", async () => {
    const callbackUrl = `http://127.0.0.1:${await freePort()}/api/calls`;
    const begun = Date.now();
    const report = await checkBot(target(await withKeys()), { callbackUrl, timeoutMs: 600 });
    expect(Date.now() - begun).toBeGreaterThanOrEqual(600);
    // The last try fails as the others did (connection refused), or, on a loaded machine, is cut by what was left of
    // the time given.
    const failure = /\((fetch failed: connect ECONNREFUSED [\d.:]+|The operation was aborted due to timeout)\)\./;
    expect(report.problems).toEqual([{ setting: "callbackUrl", message: expect.stringMatching(failure) }]);
    expect(report.problems[0]?.message).toContain(`: POST ${callbackUrl} failed (`);
  });

  test("a problem with the keys and one with the route are both reported, keys first", async () => {
    const callbackUrl = `${await serve(route(404, "").handler)}/api/calls`;
    const report = await checkBot(target(`${await serve(json(500, {}))}/metadata`), { callbackUrl });
    expect(report.problems.map(({ setting }) => setting)).toEqual(["auth.openIdConfigurationUrl", "callbackUrl"]);
  });
});

describe("a check cut short", () => {
  test("rejects with the signal's reason rather than report what the stop cut short", async () => {
    const controller = new AbortController();
    const reason = new Error("the operator gave up");
    // Metadata that answers only after the check is stopped.
    const slow = await serve((_request, _body, response) => {
      controller.abort(reason);
      setTimeout(() => json(200, {})(_request, _body, response), 50);
    });
    await expect(checkBot(target(`${slow}/metadata`), { signal: controller.signal })).rejects.toBe(reason);
  });

  test("stops a read that hangs as soon as the signal aborts, and a signal given does not lift the time limit", async () => {
    // Metadata that never answers.
    const hanging = `${await serve(() => {})}/metadata`;
    const controller = new AbortController();
    const limited = checkBot(target(hanging), { timeoutMs: 300, signal: controller.signal });
    await expect(within(limited)).resolves.toEqual({
      ok: false,
      problems: [
        {
          setting: "auth.openIdConfigurationUrl",
          message: `the signing keys cannot be had, so every notification will be refused with 503: the OpenID metadata at ${hanging} could not be read (The operation was aborted due to timeout)`,
        },
      ],
    });
    const stopped = checkBot(target(hanging), { timeoutMs: 60_000, signal: controller.signal });
    setTimeout(() => controller.abort(new Error("stop")), 100);
    await expect(within(stopped)).rejects.toThrow("stop");
  });

  test("stops waiting for a callback server that does not listen", async () => {
    const controller = new AbortController();
    const callbackUrl = `http://127.0.0.1:${await freePort()}/api/calls`;
    const checked = checkBot(target(await withKeys()), { callbackUrl, timeoutMs: 60_000, signal: controller.signal });
    setTimeout(() => controller.abort(new Error("stop")), 300);
    await expect(checked).rejects.toThrow("stop");
  });
});

test("each problem is logged as a warning that starts with its setting", () => {
  const { logger, lines } = recordingLogger();
  logProblems(logger, {
    ok: false,
    problems: [
      { setting: "auth.appId", message: "not an app id" },
      { setting: "callbackUrl", message: "not reached" },
    ],
  });
  expect(lines).toEqual([
    { level: "warn", fields: { setting: "auth.appId" }, message: "auth.appId: not an app id" },
    { level: "warn", fields: { setting: "callbackUrl" }, message: "callbackUrl: not reached" },
  ]);
});
