import type { InviteParticipantsRequest } from "@graph-invite/types";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createInviteClient, type InviteClientOptions, type InviteResult, RequestFailure } from "../src/index.js";
import { backoffMs, parseRetryAfter } from "../src/retry.js";
import {
  type Answer,
  accepted,
  callId,
  example,
  failed,
  fixture,
  graphErrorBody,
  hourToken,
  type LoopbackGraph,
  operationId,
  startGraph,
} from "./graph-server.js";

const body = example<InviteParticipantsRequest>("example-4-invite-phone-participant.request.json");
const throttled = fixture("docs-concepts-throttling-429-TooManyRequests-error.json");
let graph: LoopbackGraph | undefined;

afterEach(async () => {
  await graph?.close();
  graph = undefined;
});

function clientFor(target: LoopbackGraph, options: Partial<InviteClientOptions> = {}) {
  return createInviteClient({ baseUrl: target.baseUrl, credential: async () => hourToken("token-1"), ...options });
}

function failure(result: InviteResult) {
  if (result.ok) {
    throw new Error("expected a failure");
  }
  return result.error;
}

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-11-27T08:00:00Z");

  it.each([
    ["2", 2000],
    ["2.128", 2128],
    [" 0.05 ", 50],
    ["0", 0],
    ["-3", 0],
    ["Fri, 27 Nov 2026 08:00:07 GMT", 7000],
    ["Fri, 27 Nov 2026 07:59:00 GMT", 0],
  ])("reads %j as %i ms", (value, ms) => {
    expect(parseRetryAfter(value, now)).toBeCloseTo(ms, 6);
  });

  it.each([null, "", "  ", "soon", "NaN"])("ignores %j", (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});

describe("backoff without Retry-After", () => {
  it("doubles from baseDelayMs, with jitter between half and all of the delay", () => {
    const options = { baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffMs(1, { ...options, random: () => 0 })).toBe(50);
    expect(backoffMs(1, { ...options, random: () => 0.999999 })).toBeCloseTo(100, 3);
    expect(backoffMs(2, { ...options, random: () => 0.5 })).toBe(150);
    expect(backoffMs(3, { ...options, random: () => 0 })).toBe(200);
  });

  it("never exceeds maxDelayMs", () => {
    expect(backoffMs(20, { baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.999999 })).toBeLessThanOrEqual(1000);
    expect(backoffMs(20, { baseDelayMs: 100, maxDelayMs: 1000, random: () => 0 })).toBe(500);
  });

  it("defaults to 500 ms doubling up to 30 s", () => {
    expect(backoffMs(1, { random: () => 0 })).toBe(250);
    expect(backoffMs(30, { random: () => 0 })).toBe(15_000);
  });
});

describe("retries of 429 and 503", () => {
  it.each([
    ["whole seconds", "0"],
    ["fractional seconds", "0.05"],
    ["an HTTP date", new Date(Date.now() - 1000).toUTCString()],
  ])("honours Retry-After as %s, then succeeds", async (_, retryAfter) => {
    graph = await startGraph(failed(429, throttled, { "Retry-After": retryAfter }), accepted());
    const result = await clientFor(graph).invite(callId, body);

    expect(result.ok).toBe(true);
    expect(graph.requests).toHaveLength(2);
    // Both attempts carry the same body, so Graph sees one invite with one clientContext.
    expect(graph.requests[1]?.body).toBe(graph.requests[0]?.body);
  });

  it("waits as long as a fractional Retry-After says", async () => {
    graph = await startGraph(failed(429, throttled, { "Retry-After": "0.15" }), accepted());
    const started = performance.now();
    const result = await clientFor(graph).invite(callId, body);
    expect(result.ok).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it("retries a 503 as its Retry-After says", async () => {
    graph = await startGraph(
      failed(503, graphErrorBody("ServiceUnavailable", "Service unavailable."), { "Retry-After": "0.02" }),
      accepted(),
    );
    // With this jitter a backoff would never end, so only the header can make the retry happen.
    const result = await clientFor(graph, { retry: { random: () => Number.POSITIVE_INFINITY } }).invite(callId, body);
    expect(result.ok).toBe(true);
    expect(graph.requests).toHaveLength(2);
  });

  it("retries a 503 without Retry-After with jittered exponential backoff", async () => {
    const unavailable = failed(503, graphErrorBody("ServiceUnavailable", "Service unavailable."));
    graph = await startGraph(unavailable, unavailable, accepted());
    const draws: number[] = [];
    const result = await clientFor(graph, {
      retry: {
        baseDelayMs: 20,
        random: () => {
          draws.push(draws.length);
          return 0.5;
        },
      },
    }).invite(callId, body);

    expect(result.ok && result.operationId).toBe(operationId);
    expect(graph.requests).toHaveLength(3);
    expect(draws).toHaveLength(2);
  });

  it("gives up after maxAttempts and returns the last 429 with its retryAfter", async () => {
    graph = await startGraph(failed(429, throttled, { "Retry-After": "0.01" }));
    const error = failure(await clientFor(graph, { retry: { maxAttempts: 3 } }).invite(callId, body));

    expect(graph.requests).toHaveLength(3);
    expect(error).toMatchObject({
      kind: "graph",
      status: 429,
      code: "TooManyRequests",
      message: "Please retry again later.",
      requestId: "94fb3b52-452a-4535-a601-69e0a90e3aa2",
      date: "2020-08-18T12:51:51",
      retryAfter: 0.01,
      ambiguous: false,
    });
  });

  it("does not start a wait that would end after maxElapsedMs, counting the time the attempts took", async () => {
    // The wait alone (600 ms) fits in the budget; with the 700 ms the first answer took, it would end past it.
    const slow: Answer = (response, request, index) => {
      setTimeout(() => failed(429, throttled, { "Retry-After": "0.6" })(response, request, index), 700);
    };
    graph = await startGraph(slow, accepted());
    const error = failure(await clientFor(graph, { retry: { maxElapsedMs: 1000 } }).invite(callId, body));

    expect(graph.requests).toHaveLength(1);
    expect(error).toMatchObject({ kind: "graph", status: 429, retryAfter: 0.6 });
  });

  it("starts a wait that ends within maxElapsedMs", async () => {
    graph = await startGraph(failed(429, throttled, { "Retry-After": "0.05" }), accepted());
    const result = await clientFor(graph, { retry: { maxElapsedMs: 5000 } }).invite(callId, body);

    expect(graph.requests).toHaveLength(2);
    expect(result.ok).toBe(true);
  });
});

describe("failures that may have reached Graph are never retried", () => {
  it("a connection dropped after the body was read: one request, a network error with the clientContext", async () => {
    graph = await startGraph((response) => response.socket?.destroy(), accepted());
    const result = await clientFor(graph, { retry: { maxAttempts: 4, baseDelayMs: 1 } }).invite(callId, body);

    expect(graph.requests).toHaveLength(1);
    expect(JSON.parse(graph.requests[0]?.body ?? "").clientContext).toBe(body.clientContext);
    expect(result.clientContext).toBe(body.clientContext);
    expect(failure(result)).toMatchObject({ kind: "network", ambiguous: true });
  });

  it("no answer within timeoutMs: a timeout, not retried", async () => {
    graph = await startGraph(() => {}, accepted());
    const started = performance.now();
    // A second: on a loaded machine the request must reach the server before the timeout, or nothing is tested.
    const result = await clientFor(graph, { timeoutMs: 1000, retry: { baseDelayMs: 1 } }).invite(callId, body);

    expect(failure(result)).toMatchObject({ kind: "timeout", ambiguous: true });
    expect(result.clientContext).toBe(body.clientContext);
    expect(graph.requests).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it("a body that stalls after the headers also times out", async () => {
    graph = await startGraph((response) => {
      response.writeHead(200, { "Content-Type": "application/json", "Content-Length": "1000" });
      response.write('{"status":');
    });
    const result = await clientFor(graph, { timeoutMs: 100 }).invite(callId, body);
    expect(failure(result)).toMatchObject({ kind: "timeout", ambiguous: true });
  });

  it("the caller's AbortSignal.timeout() counts as a timeout", async () => {
    graph = await startGraph(() => {});
    const result = await clientFor(graph).invite(callId, body, { signal: AbortSignal.timeout(50) });
    expect(failure(result)).toMatchObject({ kind: "timeout", ambiguous: true });
  });

  it("a refused connection is a network error, distinct from HTTP errors", async () => {
    graph = await startGraph(accepted());
    const { baseUrl } = graph;
    await graph.close();
    graph = undefined;
    const result = await createInviteClient({ baseUrl, credential: async () => "t" }).invite(callId, body);
    expect(failure(result)).toMatchObject({ kind: "network" });
    expect(failure(result).message).toMatch(/^the request failed/);
  });
});

describe("abort", () => {
  it("during the request: an abort, flagged ambiguous, and not retried", async () => {
    graph = await startGraph(() => {});
    const controller = new AbortController();
    const invited = clientFor(graph).invite(callId, body, { signal: controller.signal });
    // Abort once Graph has the request, which is what makes the abort ambiguous.
    const server = graph;
    await vi.waitFor(() => expect(server.requests).toHaveLength(1));
    controller.abort();
    const result = await invited;

    expect(failure(result)).toMatchObject({ kind: "abort", ambiguous: true });
    expect(graph.requests).toHaveLength(1);
  });

  it("during a wait between retries: ends the wait at once, not ambiguous", async () => {
    graph = await startGraph(failed(429, throttled, { "Retry-After": "5" }), accepted());
    const controller = new AbortController();
    const started = performance.now();
    const pending = clientFor(graph).invite(callId, body, { signal: controller.signal });
    while (graph.requests.length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    setTimeout(() => controller.abort(new DOMException("the bot is shutting down", "AbortError")), 30);
    const result = await pending;

    expect(performance.now() - started).toBeLessThan(2000);
    expect(failure(result)).toMatchObject({ kind: "abort", ambiguous: false });
    expect((failure(result) as { cause: DOMException }).cause.message).toBe("the bot is shutting down");
    expect(graph.requests).toHaveLength(1);
  });

  it("an already aborted signal sends nothing", async () => {
    graph = await startGraph(accepted());
    const result = await clientFor(graph).invite(callId, body, { signal: AbortSignal.abort() });
    expect(failure(result)).toMatchObject({ kind: "abort" });
    expect(graph.requests).toHaveLength(0);
  });
});

describe("the typed api client shares the transport", () => {
  it("retries a 429 on any path of the spec and authenticates it", async () => {
    graph = await startGraph(failed(429, throttled, { "Retry-After": "0.01" }), accepted());
    const client = clientFor(graph);
    const { data, response } = await client.api.POST("/communications/calls/{call-id}/participants/invite", {
      params: { path: { "call-id": callId } },
      body,
    });
    expect(response.status).toBe(200);
    expect(data?.id).toBe(operationId);
    expect(graph.requests.map((request) => request.headers.authorization)).toEqual([
      "Bearer token-1",
      "Bearer token-1",
    ]);
  });

  it("rejects with a RequestFailure when no HTTP answer comes back", async () => {
    graph = await startGraph((response) => response.socket?.destroy());
    const sending = clientFor(graph).api.POST("/communications/calls/{call-id}/participants/invite", {
      params: { path: { "call-id": callId } },
      body,
    });
    await expect(sending).rejects.toBeInstanceOf(RequestFailure);
    await expect(sending).rejects.toMatchObject({ kind: "network", ambiguous: true, name: "RequestFailure" });
    expect(graph.requests).toHaveLength(1);
  });
});
