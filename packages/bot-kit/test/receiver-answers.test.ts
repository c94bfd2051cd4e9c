// The receiver's answers on their own, without an HTTP server: each refusal's status, headers and report, and what an
// accepted, invalid or repeated delivery gives. The authenticator is one of our own, as the kit lets any bot bring (the
// kit's own is tested with real keys and tokens in the auth-*.test.ts files); the request is the adapters' interface.
import { describe, expect, test, vi } from "vitest";
import type { AuthResult, CallbackAuthenticator } from "../src/auth/authenticator.js";
import {
  createReceiver,
  type IncomingDelivery,
  type ReceiverOptions,
  type RefusedDelivery,
  refusalAnswer,
  selfCheckHeader,
} from "../src/receiver.js";

const tenantId = "5f1d4a7e-3a1b-4f0e-9d2c-7b6a5e4d3c21";
const roster = JSON.stringify({
  value: [
    {
      changeType: "updated",
      resource: "/communications/calls/c1/participants",
      resourceData: [{ "@odata.type": "#microsoft.graph.participant", id: "p1" }],
    },
  ],
});

/** An authenticator of our own that answers `result` and records the header it was given. */
function answering(result: AuthResult): CallbackAuthenticator & { seen: Array<string | null | undefined> } {
  const seen: Array<string | null | undefined> = [];
  return {
    seen,
    authenticate: async (authorization) => {
      seen.push(authorization);
      return result;
    },
  };
}

const allowed: AuthResult = { ok: true, tenantId, claims: {} };

/** A request as an adapter hands it over, counting reads of its body. */
function request(
  overrides: { method?: string; headers?: Record<string, string>; body?: string; bodyAlreadyRead?: boolean } = {},
): IncomingDelivery & { reads: number } {
  const headers: Record<string, string> = {
    authorization: "Bearer token",
    "content-type": "application/json",
    ...overrides.headers,
  };
  const delivery = {
    reads: 0,
    method: overrides.method ?? "POST",
    header: (name: string) => headers[name],
    readBody: async () => {
      delivery.reads++;
      return new TextEncoder().encode(overrides.body ?? roster);
    },
    ...(overrides.bodyAlreadyRead !== undefined && { bodyAlreadyRead: overrides.bodyAlreadyRead }),
  };
  return delivery;
}

/** A receiver whose callbacks are spies, over `authenticator` (by default, one that lets everything in). */
function receiver(options: Partial<ReceiverOptions> = {}) {
  const spies = {
    onAccepted: vi.fn(),
    onInvalid: vi.fn(),
    onRefused: vi.fn<(refusal: RefusedDelivery) => void>(),
    onDuplicate: vi.fn(),
    claimDelivery: vi.fn(async () => true),
  };
  const receive = createReceiver({ authenticator: answering(allowed), ...spies, ...options });
  return { receive, ...spies };
}

const errorOf = (body: string) => (JSON.parse(body) as { error: { code: string; message: string } }).error;

describe("refusals before the sender is known", () => {
  test("a method other than POST: 405 with Allow, reported, the connection closed, the body unread", async () => {
    const { receive, onRefused } = receiver();
    const get = request({ method: "GET" });
    const answer = await receive(get);
    expect(answer).toMatchObject({ status: 405, close: true });
    expect(answer.headers).toEqual({ "Content-Type": "application/json; charset=utf-8", Allow: "POST" });
    expect(errorOf(answer.body)).toEqual({ code: "methodNotAllowed", message: "Notifications are POSTed." });
    expect(onRefused).toHaveBeenCalledWith({
      status: 405,
      reason: "methodNotAllowed",
      message: "Notifications are POSTed.",
    });
    expect(get.reads).toBe(0);
  });

  test("while closing: 503 with Retry-After, so that Graph delivers again; open again, accepted", async () => {
    let open = false;
    const { receive, onRefused, onAccepted } = receiver({ accepting: () => open });
    const closing = await receive(request());
    expect(closing.status).toBe(503);
    expect(closing.headers["Retry-After"]).toBe("5");
    expect(errorOf(closing.body)).toEqual({
      code: "shuttingDown",
      message: "The bot is shutting down; deliver again later.",
    });
    expect(onRefused).toHaveBeenCalledWith(expect.objectContaining({ status: 503, reason: "shuttingDown" }));
    open = true;
    expect((await receive(request())).status).toBe(202);
    expect(onAccepted).toHaveBeenCalledTimes(1);
  });

  test("a body a parser read before the bot: 500 bodyAlreadyRead, naming the cause, before authentication", async () => {
    const authenticator = answering(allowed);
    const { receive, onRefused } = receiver({ authenticator });
    const answer = await receive(request({ bodyAlreadyRead: true }));
    expect(answer.status).toBe(500);
    expect(errorOf(answer.body).code).toBe("bodyAlreadyRead");
    expect(errorOf(answer.body).message).toMatch(/^The body was read before the bot's handler, by a body parser/);
    expect(onRefused).toHaveBeenCalledWith(expect.objectContaining({ reason: "bodyAlreadyRead" }));
    expect(authenticator.seen).toEqual([]);
    expect((await receive(request({ bodyAlreadyRead: false }))).status).toBe(202);
  });
});

describe("refusals by the authenticator", () => {
  const refusal = (
    status: 401 | 403 | 503,
    reason: Extract<AuthResult, { ok: false }>["reason"],
    detail?: Record<string, unknown>,
  ): AuthResult => ({ ok: false, status, reason, message: `refused: ${reason}`, ...(detail && { detail }) });

  test.each([
    ["missing-token", 401, { "WWW-Authenticate": "Bearer" }],
    ["expired", 401, { "WWW-Authenticate": 'Bearer error="invalid_token", error_description="expired"' }],
    ["bad-signature", 401, { "WWW-Authenticate": 'Bearer error="invalid_token", error_description="bad-signature"' }],
    ["tenant-not-allowed", 403, {}],
    ["keys-unavailable", 503, { "Retry-After": "5" }],
  ] as const)("%s: %i with %j, the body unread", async (reason, status, headers) => {
    const { receive } = receiver({ authenticator: answering(refusal(status, reason)) });
    const delivery = request();
    const answer = await receive(delivery);
    expect(answer.status).toBe(status);
    expect(answer.close).toBe(true);
    expect(answer.headers).toEqual({ "Content-Type": "application/json; charset=utf-8", ...headers });
    expect(errorOf(answer.body)).toEqual({ code: reason, message: `refused: ${reason}` });
    expect(delivery.reads).toBe(0);
  });

  test("reports the refusal with its detail and the setting that most likely fixes it", async () => {
    const detail = { expected: "app-id", received: "other-app" };
    const { receive, onRefused } = receiver({
      authenticator: answering(refusal(401, "wrong-audience", detail)),
    });
    await receive(request());
    expect(onRefused).toHaveBeenCalledWith({
      status: 401,
      reason: "wrong-audience",
      message: "refused: wrong-audience",
      detail,
      setting: "auth.appId",
    });
  });

  test("leaves out a detail or a setting it does not have", async () => {
    const { receive, onRefused } = receiver({ authenticator: answering(refusal(401, "expired")) });
    await receive(request());
    const [reported] = onRefused.mock.calls[0] ?? [];
    expect(reported).toEqual({ status: 401, reason: "expired", message: "refused: expired" });
    expect(Object.keys(reported ?? {})).not.toContain("detail");
    expect(Object.keys(reported ?? {})).not.toContain("setting");
  });

  test("hands the Authorization header to the authenticator as sent", async () => {
    const authenticator = answering(allowed);
    const { receive } = receiver({ authenticator });
    await receive(request({ headers: { authorization: "Bearer abc.def.ghi" } }));
    expect(authenticator.seen).toEqual(["Bearer abc.def.ghi"]);
  });
});

describe("the bot's own self-check", () => {
  const refused: AuthResult = { ok: false, status: 401, reason: "missing-token", message: "no token" };

  test("is answered as any request, but its refusal is not reported", async () => {
    const { receive, onRefused } = receiver({ authenticator: answering(refused), selfCheckToken: "secret" });
    const answer = await receive(request({ headers: { [selfCheckHeader]: "secret" } }));
    expect(answer.status).toBe(401);
    expect(onRefused).not.toHaveBeenCalled();
    expect(selfCheckHeader).toBe("x-bot-kit-self-check");
  });

  test("a request with another value in the header, or a bot without the secret, is reported as any other", async () => {
    const withSecret = receiver({ authenticator: answering(refused), selfCheckToken: "secret" });
    await withSecret.receive(request({ headers: { [selfCheckHeader]: "guess" } }));
    await withSecret.receive(request());
    expect(withSecret.onRefused).toHaveBeenCalledTimes(2);
    const without = receiver({ authenticator: answering(refused) });
    await without.receive(request());
    await without.receive(request({ headers: { [selfCheckHeader]: "" } }));
    expect(without.onRefused).toHaveBeenCalledTimes(2);
  });
});

describe("the media type", () => {
  test.each([
    "application/json",
    "Application/JSON",
    "application/json; charset=utf-8",
    'application/json;charset="UTF-8"',
    "application/json; odata.metadata=minimal",
  ])("accepts %j", async (contentType) => {
    const { receive } = receiver();
    expect((await receive(request({ headers: { "content-type": contentType } }))).status).toBe(202);
  });

  test.each([
    "text/plain",
    "application/jsonx",
    "application/json; charset=latin1",
    "application/json; charset=utf-8x",
    "application/json; charset=utf-16",
    "",
  ])("refuses %j with 415, unread", async (contentType) => {
    const { receive, onRefused } = receiver();
    const delivery = request({ headers: { "content-type": contentType } });
    const answer = await receive(delivery);
    expect(answer.status).toBe(415);
    expect(errorOf(answer.body)).toEqual({
      code: "unsupportedMediaType",
      message: "Notifications are application/json in UTF-8.",
    });
    expect(onRefused).toHaveBeenCalledWith(expect.objectContaining({ status: 415 }));
    expect(delivery.reads).toBe(0);
  });

  test("refuses a request without a Content-Type", async () => {
    const { receive } = receiver();
    const delivery = request();
    const header = delivery.header;
    const answer = await receive({
      ...delivery,
      header: (name) => (name === "content-type" ? undefined : header(name)),
    });
    expect(answer.status).toBe(415);
  });
});

describe("what the receiver hands on", () => {
  test("an accepted delivery: 202 with nothing else, its notifications handed on once", async () => {
    const { receive, onAccepted, claimDelivery } = receiver();
    const answer = await receive(request({ headers: { "x-microsoft-skype-message-id": "m1" } }));
    expect(answer).toEqual({ status: 202, headers: {}, body: "", close: false });
    expect(claimDelivery).toHaveBeenCalledWith("message:m1", expect.any(Uint8Array));
    expect(onAccepted).toHaveBeenCalledTimes(1);
    expect(onAccepted.mock.calls[0]?.[0]).toMatchObject({ tenantId, messageId: "m1", rejected: [] });
  });

  test("an empty message id is no message id: nothing is claimed, and the delivery is processed", async () => {
    const { receive, onAccepted, claimDelivery } = receiver();
    await receive(request({ headers: { "x-microsoft-skype-message-id": "" } }));
    expect(claimDelivery).not.toHaveBeenCalled();
    expect(onAccepted.mock.calls[0]?.[0]).toMatchObject({ messageId: undefined });
  });

  test("a repeat: 202, reported as a duplicate, not handed on", async () => {
    const { receive, onAccepted, onDuplicate } = receiver({ claimDelivery: async () => false });
    const answer = await receive(request({ headers: { "x-microsoft-skype-message-id": "m1" } }));
    expect(answer.status).toBe(202);
    expect(onDuplicate).toHaveBeenCalledWith({ tenantId, messageId: "m1" });
    expect(onAccepted).not.toHaveBeenCalled();
  });

  test("a body that is not a notification payload: 400 naming the pointer and the rule, the text kept once", async () => {
    const { receive, onInvalid, onRefused } = receiver();
    const body = '{"value": 5}';
    const answer = await receive(request({ body, headers: { "x-microsoft-skype-message-id": "m2" } }));
    expect(answer.status).toBe(400);
    expect(answer.close).toBe(false);
    const error = errorOf(answer.body);
    expect(error.code).toBe("invalidNotification");
    expect(error.message).toMatch(/^The body is not a commsNotifications payload: \/value: \S/);
    expect(onInvalid).toHaveBeenCalledWith(expect.objectContaining({ tenantId, messageId: "m2", body }));
    expect(onRefused).toHaveBeenCalledWith(expect.objectContaining({ status: 400, reason: "invalidNotification" }));
  });

  test("the 400 gives the first issue's own rule, as the parser words it", async () => {
    const { receive, onRefused } = receiver();
    const answer = await receive(request({ body: '{"value": 5}' }));
    const [issue] = onRefused.mock.calls[0]?.[0].issues ?? [];
    expect(issue?.message).toBeTruthy();
    expect(errorOf(answer.body).message).toBe(
      `The body is not a commsNotifications payload: ${issue?.pointer}: ${issue?.message}`,
    );
  });

  test("reads the body tolerantly: a type without its # and a capitalised status are accepted, each rewrite reported", async () => {
    const { receive, onAccepted } = receiver();
    const body = JSON.stringify({
      value: [
        {
          changeType: "deleted",
          resource: "/communications/calls/c1/operations/o1",
          resourceData: {
            "@odata.type": "microsoft.graph.inviteParticipantsOperation",
            id: "o1",
            clientContext: "x",
            status: "Completed",
          },
        },
      ],
    });
    expect((await receive(request({ body }))).status).toBe(202);
    const delivery = onAccepted.mock.calls[0]?.[0];
    expect(delivery?.notifications).toHaveLength(1);
    const rewritten = delivery?.normalised.map((issue: { pointer: string }) => issue.pointer);
    expect(rewritten).toContain("/value/0/resourceData/@odata.type");
    expect(rewritten).toContain("/value/0/resourceData/status");
  });

  test("a receiver given only what it needs answers every case without the optional callbacks", async () => {
    const receive = createReceiver({
      authenticator: answering(allowed),
      claimDelivery: async () => false,
      onAccepted: () => {},
    });
    expect((await receive(request({ method: "PUT" }))).status).toBe(405);
    expect((await receive(request({ body: "[" }))).status).toBe(400);
    expect((await receive(request({ headers: { "x-microsoft-skype-message-id": "m" } }))).status).toBe(202);
  });

  test("a body that is not JSON at all is named at its root", async () => {
    const { receive } = receiver();
    const answer = await receive(request({ body: "[" }));
    expect(errorOf(answer.body).message).toMatch(/^The body is not a commsNotifications payload: \(root\): \S/);
  });

  test("an invalid body sent again is refused again, but kept only once", async () => {
    const { receive, onInvalid } = receiver({ claimDelivery: async () => false });
    const answer = await receive(request({ body: "[", headers: { "x-microsoft-skype-message-id": "m3" } }));
    expect(answer.status).toBe(400);
    expect(onInvalid).not.toHaveBeenCalled();
  });

  test("reads the body only after authentication, and not when Content-Length is over the limit", async () => {
    const { receive, onRefused } = receiver({ maxBodyBytes: 10 });
    const delivery = request({ headers: { "content-length": "11" } });
    const answer = await receive(delivery);
    expect(answer.status).toBe(413);
    expect(delivery.reads).toBe(0);
    expect(onRefused).toHaveBeenCalledWith(expect.objectContaining({ reason: "payloadTooLarge" }));
  });
});

test("refusalAnswer closes the connection unless told not to", () => {
  const refusal: RefusedDelivery = { status: 404, reason: "notFound", message: "No such path." };
  expect(refusalAnswer(refusal).close).toBe(true);
  expect(refusalAnswer(refusal, {}, false).close).toBe(false);
});
