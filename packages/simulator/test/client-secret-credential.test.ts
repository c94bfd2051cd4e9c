// The client package's fetch-only client-credentials credential against this identity platform over loopback: the
// request it makes, its cache and single flight, and the errors it turns the platform's AADSTS answers into.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type ClientSecretCredentialOptions,
  clientSecretCredential,
  createInviteClient,
  inviteBody,
  TokenEndpointError,
  userParticipant,
} from "@graph-invite/client";
import { decodeJwt } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from "vitest";
import { type Simulator, start } from "../src/index.js";
import { startCallback } from "./callback.js";

let sim: Simulator;
beforeAll(async () => {
  sim = await start();
});
afterAll(async () => {
  await sim.close();
});
afterEach(() => {
  vi.useRealTimers();
});

const tokenRequests = () => sim.requests().filter((request) => request.path.endsWith("/oauth2/v2.0/token"));

/** Options to change; `undefined` takes a default away (such as the simulator's authority, for the cloud's). */
type Overrides = { [K in keyof ClientSecretCredentialOptions]?: ClientSecretCredentialOptions[K] | undefined };

function credentialFor(overrides: Overrides = {}) {
  return clientSecretCredential({
    tenantId: sim.app.tenantId,
    clientId: sim.app.appId,
    clientSecret: sim.app.secret,
    authorityHost: sim.url,
    ...overrides,
  } as ClientSecretCredentialOptions);
}

async function refusal(promise: Promise<unknown>): Promise<TokenEndpointError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(TokenEndpointError);
  return error as TokenEndpointError;
}

describe("a token from the identity platform", () => {
  test("is an app-only Graph token the invite action accepts", async () => {
    const callback = await startCallback();
    try {
      const credential = credentialFor();
      const call = sim.createCall({ kind: "group", callbackUri: callback.url });
      const client = createInviteClient({ credential, baseUrl: sim.graphUrl, retry: { maxAttempts: 1 } });
      const result = await client.invite(call.id, inviteBody(userParticipant(crypto.randomUUID()), "ctx-credential"));
      expect(result.ok, JSON.stringify(result)).toBe(true);

      const sent = tokenRequests().at(-1);
      expect(sent?.path).toBe(`/${sim.app.tenantId}/oauth2/v2.0/token`);
      expect(sent?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
      const form = new URLSearchParams(sent?.body);
      expect(form.get("grant_type")).toBe("client_credentials");
      expect(form.get("scope")).toBe("https://graph.microsoft.com/.default");
      expect(form.get("client_id")).toBe(sim.app.appId);

      const { token, expiresOnTimestamp, refreshAfterTimestamp } = await credential();
      expect(decodeJwt(token)).toMatchObject({ aud: "https://graph.microsoft.com", azp: sim.app.appId });
      // The simulator's tokens live 3599 s; the credential refreshes five minutes before that.
      expect(expiresOnTimestamp - Date.now()).toBeGreaterThan(3_590_000);
      expect(expiresOnTimestamp - Date.now()).toBeLessThanOrEqual(3_599_000);
      expect(expiresOnTimestamp - (refreshAfterTimestamp ?? 0)).toBe(300_000);
    } finally {
      await callback.stop();
    }
  });

  test("is asked for once by concurrent callers and then served from the cache", async () => {
    const credential = credentialFor();
    const before = tokenRequests().length;
    const tokens = await Promise.all(Array.from({ length: 8 }, () => credential()));
    expect(new Set(tokens.map(({ token }) => token)).size).toBe(1);
    expect(tokenRequests().length - before).toBe(1);

    await credential();
    await credential({ scope: "https://graph.microsoft.com/.default", forceRefresh: false });
    expect(tokenRequests().length - before).toBe(1);
  });

  test("is fetched again within five minutes of its expiry, not before", async () => {
    const credential = credentialFor();
    const first = await credential();
    const before = tokenRequests().length;
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(first.expiresOnTimestamp - 301_000);
    expect((await credential()).token).toBe(first.token);
    expect(tokenRequests().length).toBe(before);

    vi.setSystemTime(first.expiresOnTimestamp - 299_000);
    await credential();
    expect(tokenRequests().length).toBe(before + 1);
  });

  test("is fetched again when forceRefresh says Graph refused the cached one", async () => {
    const credential = credentialFor();
    await credential();
    const before = tokenRequests().length;
    await credential({ forceRefresh: true });
    expect(tokenRequests().length).toBe(before + 1);
    await credential();
    expect(tokenRequests().length).toBe(before + 1);
  });

  test("goes to the chosen cloud's authority with its scope", async () => {
    const asked: string[] = [];
    const credential = credentialFor({
      authorityHost: undefined,
      cloud: "usGovL4",
      // The real request, sent to this identity platform instead of login.microsoftonline.us.
      fetch: (request) => {
        asked.push(request.url);
        return fetch(new Request(sim.tokenUrl(), request));
      },
    });
    const error = await refusal(credential());
    expect(asked).toEqual([`https://login.microsoftonline.us/${sim.app.tenantId}/oauth2/v2.0/token`]);
    // This identity platform knows only the global Graph, so it refuses graph.microsoft.us as the resource.
    expect(error.errorCodes).toEqual([1002012]);
    expect(error.message).toContain("scope https://graph.microsoft.us/.default is not valid");
  });
});

describe("a refusal", () => {
  test("of a wrong secret names the AADSTS code and the setting to check", async () => {
    const error = await refusal(credentialFor({ clientSecret: "not-the-secret" })());
    expect(error).toMatchObject({ status: 401, error: "invalid_client", errorCodes: [7000215] });
    expect(error.message).toContain("AADSTS7000215: Invalid client secret provided");
    expect(error.message).toContain("check clientSecret");
    expect(error.message).toContain(sim.tokenUrl());
    expect(error.traceId).toMatch(/^[0-9a-f-]{36}$/);
    expect(error.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(error.message).not.toContain("not-the-secret");
  });

  test("of an app the tenant does not know names clientId and tenantId", async () => {
    const error = await refusal(credentialFor({ clientId: "00000000-0000-0000-0000-000000000000" })());
    expect(error).toMatchObject({ status: 400, error: "unauthorized_client", errorCodes: [700016] });
    expect(error.message).toContain("check clientId and tenantId");
  });

  test("is not cached: the next call asks again", async () => {
    const credential = credentialFor({ clientSecret: "not-the-secret" });
    await refusal(credential());
    const before = tokenRequests().length;
    await refusal(credential());
    expect(tokenRequests().length).toBe(before + 1);
  });

  test("becomes an invite's credential error, and nothing reaches Graph", async () => {
    const client = createInviteClient({
      credential: credentialFor({ clientSecret: "not-the-secret" }),
      baseUrl: sim.graphUrl,
    });
    const invites = () => sim.requests().filter((request) => request.path.includes("/participants/invite")).length;
    const before = invites();
    const result = await client.invite(crypto.randomUUID(), inviteBody(userParticipant(crypto.randomUUID())));
    expect(result.ok === false && result.error.kind).toBe("credential");
    expect(result.ok === false && result.error.kind === "credential" && result.error.cause).toBeInstanceOf(
      TokenEndpointError,
    );
    expect(invites()).toBe(before);
  });
});

describe("an endpoint that does not answer as the identity platform does", () => {
  let server: Server;
  let origin: string;
  let answer: (response: import("node:http").ServerResponse) => void;
  beforeAll(async () => {
    server = createServer((_request, response) => answer(response));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test("an endless body is read no further than 64 KiB and reported", async () => {
    let written = 0;
    let closed = false;
    answer = (response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.on("close", () => {
        closed = true;
      });
      const chunk = `"${"x".repeat(16 * 1024 - 3)}",`;
      // Writes for as long as the reader reads: only the reader giving up ends it.
      const write = () => {
        while (!closed) {
          written += chunk.length;
          if (!response.write(chunk)) {
            response.once("drain", write);
            return;
          }
        }
      };
      response.write("[");
      write();
    };
    const error = await refusal(credentialFor({ authorityHost: origin })());
    expect(error.message).toContain("its body is not a JSON object");
    await vi.waitFor(() => expect(closed).toBe(true));
    expect(written).toBeGreaterThan(64 * 1024);
  });

  test("a token without a finite lifetime is refused, naming the field", async () => {
    answer = (response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end('{"token_type":"Bearer","access_token":"abc","expires_in":1e400}');
    };
    const error = await refusal(credentialFor({ authorityHost: origin })());
    expect(error.message).toContain("/expires_in is not a positive number of seconds");
  });

  test("a lifetime beyond a day is cut to a day", async () => {
    answer = (response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.end('{"token_type":"Bearer","access_token":"abc","expires_in":1000000000}');
    };
    const { expiresOnTimestamp } = await credentialFor({ authorityHost: origin })();
    expect(expiresOnTimestamp - Date.now()).toBeLessThanOrEqual(86_400_000);
  });

  test("an HTML error page is reported with its status", async () => {
    answer = (response) => {
      response.writeHead(502, { "content-type": "text/html" });
      response.end("<html><body>Bad gateway</body></html>");
    };
    const error = await refusal(credentialFor({ authorityHost: origin })());
    expect(error).toMatchObject({ status: 502, error: null, errorCodes: [] });
    expect(error.message).toContain("(HTTP 502) with a body that is not a JSON object");
  });

  test("no answer within timeoutMs is reported as unreachable", async () => {
    answer = () => {};
    const error = await refusal(credentialFor({ authorityHost: origin, timeoutMs: 200 })());
    expect(error.status).toBeNull();
    expect(error.message).toContain(`could not reach the token endpoint ${origin}/`);
  });
});

describe("options", () => {
  test.each([
    [{ clientSecret: "" }, "clientSecret is required"],
    [{ tenantId: " " }, "tenantId is required"],
    [{ clientId: undefined as unknown as string }, "clientId is required"],
    [{ authorityHost: "login.microsoftonline.com" }, 'authorityHost "login.microsoftonline.com" is not a URL'],
    [{ authorityHost: "ftp://example.com" }, "authorityHost must be an http(s) URL"],
    [{ cloud: "china" as "global", authorityHost: undefined }, 'unknown cloud "china"'],
    [{ timeoutMs: Number.NaN }, "timeoutMs must be a positive number"],
  ])("%j is refused when the credential is made", (overrides, message) => {
    expect(() => credentialFor(overrides)).toThrow(message);
  });

  test("a scope that is not .default is refused before any request", async () => {
    const before = tokenRequests().length;
    await expect(credentialFor()({ scope: "https://graph.microsoft.com/Calls.Initiate.All" })).rejects.toThrow(
      "must end with /.default",
    );
    expect(tokenRequests().length).toBe(before);
  });
});
