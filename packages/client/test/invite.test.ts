import type { InviteParticipantsRequest } from "@graph-invite/types";
import { afterEach, describe, expect, it } from "vitest";
import { createInviteClient, type InviteClientOptions, type InviteResult } from "../src/index.js";
import {
  accepted,
  callId,
  example,
  failed,
  fixture,
  graphErrorBody,
  hourToken,
  type LoopbackGraph,
  operationId,
  requestId,
  startGraph,
} from "./graph-server.js";

const body = example<InviteParticipantsRequest>("example-1-invite-one-participant.request.json");
let graph: LoopbackGraph | undefined;

afterEach(async () => {
  await graph?.close();
  graph = undefined;
});

async function inviteAgainst(
  answers: Parameters<typeof startGraph>,
  options: Partial<InviteClientOptions> = {},
): Promise<InviteResult> {
  graph = await startGraph(...answers);
  const client = createInviteClient({
    baseUrl: graph.baseUrl,
    credential: async () => hourToken("token-1"),
    retry: { maxAttempts: 1 },
    ...options,
  });
  return client.invite(callId, body);
}

/** Narrows a result to a Graph error, failing the test otherwise. */
function graphError(result: InviteResult) {
  if (result.ok || result.error.kind !== "graph") {
    throw new Error(`expected a Graph error, got ${JSON.stringify(result)}`);
  }
  return result.error;
}

describe("invite: success", () => {
  it("posts the body to the call's invite path with a bearer token and returns the operation", async () => {
    const result = await inviteAgainst([accepted()]);

    expect(graph?.requests).toHaveLength(1);
    const [request] = graph?.requests ?? [];
    expect(request?.method).toBe("POST");
    expect(request?.url).toBe(`/v1.0/communications/calls/${callId}/participants/invite`);
    expect(request?.headers.authorization).toBe("Bearer token-1");
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(request?.body ?? "")).toEqual(body);

    expect(result).toEqual({
      ok: true,
      operation: example("example-1-invite-one-participant.response.json"),
      operationId,
      location: `https://graph.microsoft.com/v1.0/communications/calls/${callId}/operations/${operationId}`,
      requestId,
      clientContext: body.clientContext,
    });
  });

  it("takes the operation id from the Location path when the body's id is null", async () => {
    const operation = { ...example<object>("example-1-invite-one-participant.response.json"), id: null };
    const result = await inviteAgainst([accepted(operation)]);
    expect(result.ok && result.operationId).toBe(operationId);
    expect(result.ok && result.operation?.id).toBeNull();
  });

  it("a 202 without a body (Graph's first invite responses) is a success whose operation is null", async () => {
    const result = await inviteAgainst([
      (response) => {
        response.writeHead(202, { Location: `/app/calls/${callId}/operations/${operationId}` });
        response.end();
      },
    ]);
    expect(result).toMatchObject({ ok: true, operation: null, operationId, requestId: null });
  });

  it("prefers the operation's own id to the Location path", async () => {
    const operation = { ...example<object>("example-1-invite-one-participant.response.json"), id: "from-the-body" };
    const result = await inviteAgainst([accepted(operation)]);
    expect(result.ok && result.operationId).toBe("from-the-body");
  });

  it("generates a clientContext when the caller gives none, and sends it", async () => {
    graph = await startGraph(accepted());
    const client = createInviteClient({ baseUrl: graph.baseUrl, credential: async () => "token-1" });
    const result = await client.invite(callId, { participants: body.participants });

    expect(result.clientContext).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(graph.requests[0]?.body ?? "").clientContext).toBe(result.clientContext);
  });
});

describe("invite: Graph errors come back as typed results", () => {
  it("400 with Graph's canonical body, whose innerError says requestId", async () => {
    const error = graphError(
      await inviteAgainst([failed(400, fixture("docs-concepts-errors-invalidRange-error.json"))]),
    );
    expect(error).toMatchObject({
      kind: "graph",
      status: 400,
      code: "invalidRange",
      message: "Uploaded fragment overlaps with existing data.",
      requestId: "request-id",
      date: "date-time",
      retryAfter: null,
      ambiguous: false,
    });
    expect(graph?.requests).toHaveLength(1);
  });

  it("403 with innerError request-id and date", async () => {
    const answer = fixture("docs-concepts-onlinemeeting-access-policy-Unauthorized-error.json");
    const error = graphError(await inviteAgainst([failed(403, answer)]));
    expect(error).toMatchObject({
      status: 403,
      code: "Unauthorized",
      requestId: "599d9cb0-56ac-4dc5-b6f8-1456a1414609",
      date: "<date_redacted>",
      clientRequestId: null,
    });
    expect(error.body).toEqual(answer);
  });

  it("404 when the call does not exist", async () => {
    const answer = graphErrorBody("itemNotFound", "Call ab6233a5 not found.");
    const error = graphError(await inviteAgainst([failed(404, answer)]));
    expect(error).toMatchObject({
      status: 404,
      code: "itemNotFound",
      requestId,
      clientRequestId: "c0ffee00-0000-4000-8000-000000000001",
      date: "2026-11-27T08:00:00",
    });
  });

  it("500 is returned after one request, never retried, and flagged ambiguous", async () => {
    const result = await inviteAgainst([failed(500, graphErrorBody("UnknownError", "Internal error.")), accepted()], {
      retry: { maxAttempts: 4, baseDelayMs: 1 },
    });
    expect(graphError(result)).toMatchObject({ status: 500, code: "UnknownError", ambiguous: true });
    expect(result.clientContext).toBe(body.clientContext);
    expect(graph?.requests).toHaveLength(1);
  });

  it.each([
    [409, "Conflict"],
    [422, "UnprocessableEntity"],
    [502, "BadGateway"],
    [504, "GatewayTimeout"],
  ])("a %i that the spec only covers as 4XX/5XX is typed the same way, and not retried", async (status, code) => {
    const result = await inviteAgainst([failed(status, graphErrorBody(code, `${code}.`)), accepted()], {
      retry: { maxAttempts: 4, baseDelayMs: 1 },
    });
    expect(graphError(result)).toMatchObject({ status, code, message: `${code}.`, ambiguous: status >= 500 });
    expect(graph?.requests).toHaveLength(1);
  });

  it("a non-JSON error body still yields a status, a code and the text as message", async () => {
    const error = graphError(
      await inviteAgainst([
        (response) => {
          response.writeHead(502, { "Content-Type": "text/plain", "request-id": requestId });
          response.end("upstream connect error");
        },
      ]),
    );
    expect(error).toMatchObject({
      status: 502,
      code: "HTTP 502",
      message: "upstream connect error",
      requestId,
      body: null,
    });
  });
});
