import type { InviteParticipantsRequest } from "@graph-invite/types";
import { afterEach, describe, expect, it } from "vitest";
import {
  type AccessToken,
  createInviteClient,
  type GetTokenOptions,
  type TokenCredential,
  type TokenRequest,
} from "../src/index.js";
import {
  accepted,
  callId,
  example,
  failed,
  fixture,
  graphErrorBody,
  hourToken,
  type LoopbackGraph,
  startGraph,
} from "./graph-server.js";

const body = example<InviteParticipantsRequest>("example-1-invite-one-participant.request.json");
const unauthorized = failed(401, fixture("docs-concepts-onlinemeeting-access-policy-Unauthorized-error.json"));
let graph: LoopbackGraph | undefined;

afterEach(async () => {
  await graph?.close();
  graph = undefined;
});

/** A token function that hands out token-1, token-2, ... and records what it was asked. */
function countingTokens(lifetimeMs = 3_600_000) {
  const asked: TokenRequest[] = [];
  const credential = async (request: TokenRequest): Promise<AccessToken> => {
    asked.push(request);
    await new Promise((resolve) => setTimeout(resolve, 10));
    return { token: `token-${asked.length}`, expiresOnTimestamp: Date.now() + lifetimeMs };
  };
  return { asked, credential };
}

const authorizations = (target: LoopbackGraph) => target.requests.map((request) => request.headers.authorization);

describe("401: exactly one refresh and one retry", () => {
  it("refreshes the token once and succeeds", async () => {
    graph = await startGraph(unauthorized, accepted());
    const tokens = countingTokens();
    const result = await createInviteClient({ baseUrl: graph.baseUrl, credential: tokens.credential }).invite(
      callId,
      body,
    );

    expect(result.ok).toBe(true);
    expect(authorizations(graph)).toEqual(["Bearer token-1", "Bearer token-2"]);
    expect(tokens.asked.map((request) => request.forceRefresh)).toEqual([false, true]);
  });

  it("returns a second 401 as a Graph error", async () => {
    graph = await startGraph(unauthorized, unauthorized, accepted());
    const tokens = countingTokens();
    const result = await createInviteClient({ baseUrl: graph.baseUrl, credential: tokens.credential }).invite(
      callId,
      body,
    );

    expect(graph.requests).toHaveLength(2);
    expect(tokens.asked).toHaveLength(2);
    expect(result.ok === false && result.error).toMatchObject({
      kind: "graph",
      status: 401,
      code: "Unauthorized",
      requestId: "599d9cb0-56ac-4dc5-b6f8-1456a1414609",
      ambiguous: false,
    });
  });

  it("refreshes even when retries of 429 and 503 are turned off", async () => {
    graph = await startGraph(unauthorized, accepted());
    const tokens = countingTokens();
    const client = createInviteClient({
      baseUrl: graph.baseUrl,
      credential: tokens.credential,
      retry: { maxAttempts: 1 },
    });
    expect((await client.invite(callId, body)).ok).toBe(true);
    expect(graph.requests).toHaveLength(2);
  });
});

describe("token cache", () => {
  it("reuses a token until shortly before it expires", async () => {
    graph = await startGraph(accepted());
    const tokens = countingTokens();
    const client = createInviteClient({ baseUrl: graph.baseUrl, credential: tokens.credential });
    await client.invite(callId, body);
    await client.invite(callId, body);
    await client.invite(callId, body);

    expect(tokens.asked).toHaveLength(1);
    expect(authorizations(graph)).toEqual(["Bearer token-1", "Bearer token-1", "Bearer token-1"]);
  });

  it("fetches a new token when the cached one expires within the safety margin", async () => {
    graph = await startGraph(accepted());
    // A token with one minute left is too close to expiry to send.
    const tokens = countingTokens(60_000);
    const client = createInviteClient({ baseUrl: graph.baseUrl, credential: tokens.credential });
    await client.invite(callId, body);
    await client.invite(callId, body);

    expect(authorizations(graph)).toEqual(["Bearer token-1", "Bearer token-2"]);
  });

  it("honours refreshAfterTimestamp", async () => {
    graph = await startGraph(accepted());
    let calls = 0;
    const client = createInviteClient({
      baseUrl: graph.baseUrl,
      credential: async () => ({
        token: `token-${++calls}`,
        expiresOnTimestamp: Date.now() + 3_600_000,
        refreshAfterTimestamp: Date.now() - 1,
      }),
    });
    await client.invite(callId, body);
    await client.invite(callId, body);
    expect(calls).toBe(2);
  });

  it("does not cache a bare string, whose expiry it cannot know", async () => {
    graph = await startGraph(accepted());
    let calls = 0;
    const client = createInviteClient({ baseUrl: graph.baseUrl, credential: async () => `token-${++calls}` });
    await client.invite(callId, body);
    await client.invite(callId, body);
    expect(authorizations(graph)).toEqual(["Bearer token-1", "Bearer token-2"]);
  });

  it("shares one in-flight token fetch between concurrent requests", async () => {
    graph = await startGraph(accepted());
    const tokens = countingTokens();
    const client = createInviteClient({ baseUrl: graph.baseUrl, credential: tokens.credential });
    const results = await Promise.all(Array.from({ length: 5 }, () => client.invite(callId, body)));

    expect(results.every((result) => result.ok)).toBe(true);
    expect(tokens.asked).toHaveLength(1);
    expect(new Set(authorizations(graph))).toEqual(new Set(["Bearer token-1"]));
  });

  it("an abort while the token is fetched ends only that caller's wait", async () => {
    graph = await startGraph(accepted());
    let release: (token: AccessToken) => void = () => {};
    let calls = 0;
    const client = createInviteClient({
      baseUrl: graph.baseUrl,
      credential: () => {
        calls++;
        return new Promise<AccessToken>((resolve) => {
          release = resolve;
        });
      },
    });
    const controller = new AbortController();
    const aborted = client.invite(callId, body, { signal: controller.signal });
    const patient = client.invite(callId, body);
    controller.abort();

    const abortedResult = await aborted;
    expect(abortedResult.ok === false && abortedResult.error).toMatchObject({ kind: "abort", ambiguous: false });
    release(hourToken("token-1"));
    expect((await patient).ok).toBe(true);
    expect(calls).toBe(1);
    expect(authorizations(graph)).toEqual(["Bearer token-1"]);
  });

  it("concurrent 401s of the same token lead to one refresh", async () => {
    graph = await startGraph((response, request) =>
      request.headers.authorization === "Bearer token-1"
        ? failed(401, graphErrorBody("InvalidAuthenticationToken", "Access token has expired."))(response, request, 0)
        : accepted()(response, request, 0),
    );
    const tokens = countingTokens();
    const client = createInviteClient({ baseUrl: graph.baseUrl, credential: tokens.credential });
    const results = await Promise.all(Array.from({ length: 3 }, () => client.invite(callId, body)));

    expect(results.every((result) => result.ok)).toBe(true);
    expect(tokens.asked).toHaveLength(2);
  });
});

describe("credential failures are results, and nothing is sent", () => {
  it("a token function that throws", async () => {
    graph = await startGraph(accepted());
    const cause = new Error("AADSTS7000215: Invalid client secret provided.");
    const result = await createInviteClient({
      baseUrl: graph.baseUrl,
      credential: async () => {
        throw cause;
      },
    }).invite(callId, body);

    expect(result.ok === false && result.error).toMatchObject({ kind: "credential", ambiguous: false, cause });
    expect(result.ok === false && result.error.message).toContain("AADSTS7000215");
    expect(graph.requests).toHaveLength(0);
  });

  it("a TokenCredential that returns null", async () => {
    graph = await startGraph(accepted());
    const credential: TokenCredential = { getToken: async () => null };
    const result = await createInviteClient({ baseUrl: graph.baseUrl, credential }).invite(callId, body);
    expect(result.ok === false && result.error.kind).toBe("credential");
    expect(graph.requests).toHaveLength(0);
  });
});

describe("TokenCredential gets the .default scope of the cloud", () => {
  /** A TokenCredential that records its scopes, and a fetch that records the URL without sending anything. */
  function recordingSetup() {
    const scopes: (string | string[])[] = [];
    const urls: string[] = [];
    const credential: TokenCredential = {
      async getToken(requested: string | string[], _options?: GetTokenOptions) {
        scopes.push(requested);
        return hourToken("token-1");
      },
    };
    const fetch = async (request: Request) => {
      urls.push(request.url);
      return new Response(JSON.stringify(example("example-1-invite-one-participant.response.json")), {
        status: 200,
        headers: { "Content-Type": "application/json" },
      });
    };
    return { scopes, urls, credential, fetch };
  }

  it.each([
    ["global", "https://graph.microsoft.com/v1.0", "https://graph.microsoft.com/.default"],
    ["usGovL4", "https://graph.microsoft.us/v1.0", "https://graph.microsoft.us/.default"],
    ["usGovL5Dod", "https://dod-graph.microsoft.us/v1.0", "https://dod-graph.microsoft.us/.default"],
  ] as const)("%s", async (cloud, baseUrl, scope) => {
    const { scopes, urls, credential, fetch } = recordingSetup();
    const client = createInviteClient({ cloud, credential, fetch });
    const result = await client.invite(callId, body);

    expect(result.ok).toBe(true);
    expect(scopes).toEqual([[scope]]);
    expect(urls).toEqual([`${baseUrl}/communications/calls/${callId}/participants/invite`]);
    expect(client.baseUrl).toBe(baseUrl);
    expect(client.scope).toBe(scope);
  });

  it("a custom baseUrl uses the scope from the options, and the global scope by default", async () => {
    const withScope = recordingSetup();
    await createInviteClient({
      baseUrl: "http://127.0.0.1:9/v1.0/",
      scope: "api://graph-stand-in/.default",
      credential: withScope.credential,
      fetch: withScope.fetch,
    }).invite(callId, body);
    expect(withScope.scopes).toEqual([["api://graph-stand-in/.default"]]);
    expect(withScope.urls).toEqual([`http://127.0.0.1:9/v1.0/communications/calls/${callId}/participants/invite`]);

    const byDefault = recordingSetup();
    await createInviteClient({
      baseUrl: "http://127.0.0.1:9/v1.0",
      credential: byDefault.credential,
      fetch: byDefault.fetch,
    }).invite(callId, body);
    expect(byDefault.scopes).toEqual([["https://graph.microsoft.com/.default"]]);
  });

  it("a custom baseUrl in front of a national cloud keeps that cloud's scope", async () => {
    const setup = recordingSetup();
    await createInviteClient({
      cloud: "usGovL4",
      baseUrl: "https://graph-proxy.contoso.us/v1.0",
      credential: setup.credential,
      fetch: setup.fetch,
    }).invite(callId, body);
    expect(setup.scopes).toEqual([["https://graph.microsoft.us/.default"]]);
    expect(setup.urls[0]).toMatch(/^https:\/\/graph-proxy\.contoso\.us\/v1\.0\/communications\//);
  });
});
