// Proves, through the bot's real endpoint over loopback, that only notifications signed as Graph signs them get in:
// every kind of bad token is refused with 401 (and WWW-Authenticate) before the body is read, and nothing of it is
// processed; a tenant outside the allow-list gets 403; a rotated signing key is picked up; and signing keys that
// cannot be fetched give 503 with Retry-After until they can, after which the same notification is accepted.
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createInviteClient, inviteBody, userParticipant } from "@graph-invite/client";
import type { Simulator } from "@graph-invite/simulator";
import { decodeProtectedHeader, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { afterEach, beforeAll, describe, expect, test, vi } from "vitest";
import { type CallbackAuthOptions, createCallbackAuthenticator } from "../src/index.js";
import { type StartedBot, startBot } from "../src/node/index.js";
import {
  exampleMember,
  lifecycle,
  membersOf,
  postNotification,
  type RawAnswer,
  rawPost,
  rosterOf,
  signedHeaders,
  watch,
} from "./harness.js";

const { world, sharedWorld } = lifecycle();

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

// ---------------------------------------------------------------------------------------------------------------
// Bodies, tokens and observation

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const now = () => Math.floor(Date.now() / 1000);

const bearer = (token: string) => ({ Authorization: `Bearer ${token}`, "Content-Type": "application/json" });

/**
 * The key of the issuer the test controls, made once for the file (generating one takes a noticeable moment). A
 * forger's key against the simulator's bot comes from the simulator itself (`unpublishedKey`).
 */
let foreignKey: CryptoKey;
let foreignPublicKey: CryptoKey;
beforeAll(async () => {
  ({ privateKey: foreignKey, publicKey: foreignPublicKey } = await generateKeyPair("RS256"));
});

/** The body and headers of a 401 that names `reason` and asks for a bearer token. */
function expectUnauthorized(answer: RawAnswer, reason: string): void {
  expect(answer.status).toBe(401);
  expect(answer.body).toEqual({ error: { code: reason, message: expect.any(String) } });
  const challenge = answer.headers.get("www-authenticate");
  if (reason === "missing-token") expect(challenge).toMatch(/^Bearer\b/);
  else expect(challenge).toBe(`Bearer error="invalid_token", error_description="${reason}"`);
  expect(answer.headers.get("connection")).toBe("close");
}

/**
 * Posts the example roster of a new call with `headers`; expects 401 `reason` and nothing processed: no delivery,
 * no roster event, an empty roster. Then posts the same body with a valid token, which must be processed: a refused
 * request leaves no trace that would make the genuine notification count as a duplicate.
 */
async function expectRefusedAndUnprocessed(
  sim: Simulator,
  bot: StartedBot,
  headers: Record<string, string>,
  reason: string,
): Promise<void> {
  const callId = randomUUID();
  const seen = watch(bot);
  expectUnauthorized(await postNotification(bot, rosterOf(callId), headers), reason);
  expect(await membersOf(bot, callId)).toEqual([]);
  expect(seen.deliveries).toEqual([]);
  expect(seen.rosters).toEqual([]);
  // A refusal that configuration can cause also names the setting, and what was expected and received.
  expect(seen.refusals).toEqual([expect.objectContaining({ status: 401, reason, message: expect.any(String) })]);

  const retried = await postNotification(bot, rosterOf(callId), await signedHeaders(sim));
  expect(retried.status).toBe(202);
  expect(await membersOf(bot, callId)).toEqual([exampleMember]);
  expect(seen.deliveries).toHaveLength(1);
  expect(seen.errors).toEqual([]);
}

// ---------------------------------------------------------------------------------------------------------------
// Loopback helpers: a hand-written request, stub servers, a metadata proxy, more bots

type StubReply = { readonly status: number; readonly body?: unknown } | "hang";

/** A loopback server that answers each request with `reply(path, origin)`; closed after the test. */
async function startStub(reply: (path: string, origin: string) => StubReply | Promise<StubReply>) {
  const paths: string[] = [];
  let origin = "";
  const server = createServer((request, response) => {
    const path = request.url ?? "/";
    paths.push(path);
    void Promise.resolve(reply(path, origin)).then(
      (answer) => {
        if (answer === "hang") return;
        const text = answer.body === undefined ? "" : JSON.stringify(answer.body);
        response.writeHead(answer.status, { "Content-Type": "application/json" }).end(text);
      },
      () => response.writeHead(502).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { origin, paths };
}

/** A port nothing listens on: one that was just bound and released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * The simulator's OpenID metadata and key set, served through a proxy whose two documents can be taken down (500),
 * hung (no answer), or (for the metadata) served without a `jwks_uri`. The metadata's `jwks_uri` names the proxy.
 */
async function startMetadataProxy(sim: Simulator) {
  const state = {
    metadata: "up" as "up" | "down" | "hang" | "no-jwks-uri",
    keys: "up" as "up" | "down",
  };
  const { origin, paths } = await startStub(async (path, self): Promise<StubReply> => {
    if (path === "/openid") {
      if (state.metadata === "hang") return "hang";
      if (state.metadata === "down") return { status: 500, body: { error: "unavailable" } };
      const metadata = (await (await fetch(sim.openIdConfigurationUrl)).json()) as Record<string, unknown>;
      if (state.metadata === "no-jwks-uri") return { status: 200, body: { ...metadata, jwks_uri: undefined } };
      return { status: 200, body: { ...metadata, jwks_uri: `${self}/keys` } };
    }
    if (path === "/keys") {
      if (state.keys === "down") return { status: 500, body: { error: "unavailable" } };
      const { jwks_uri } = (await (await fetch(sim.openIdConfigurationUrl)).json()) as { jwks_uri: string };
      return { status: 200, body: await (await fetch(jwks_uri)).json() };
    }
    return { status: 404 };
  });
  return {
    state,
    openIdConfigurationUrl: `${origin}/openid`,
    /** How many times each document was fetched. */
    fetches: (path: "/openid" | "/keys") => paths.filter((seen) => seen === path).length,
  };
}

/** A bot of the simulator's app with its own authentication options, beside the harness's bot; closed after the test. */
async function startBotFor(sim: Simulator, auth: Partial<CallbackAuthOptions>): Promise<StartedBot> {
  const bot = await startBot({
    client: createInviteClient({ credential: sim.credential(), baseUrl: sim.graphUrl }),
    auth: { appId: sim.app.appId, openIdConfigurationUrl: sim.openIdConfigurationUrl, ...auth },
    // These tests count the fetches of the metadata and the key set: the self-check's own would add to them.
    selfCheck: false,
  });
  cleanups.push(() => bot.close());
  return bot;
}

// ---------------------------------------------------------------------------------------------------------------

/** The simulator (and its bot) of the groups that do not change the simulator: starting one costs two RSA keys. */
const shared = sharedWorld();

describe("tokens the simulator signs, as Graph signs its notifications", () => {
  test("a valid token gets 202 and the roster it carries is processed", async () => {
    const { sim, bot } = shared();
    const seen = watch(bot);
    const callId = randomUUID();
    const answer = await postNotification(bot, rosterOf(callId), await signedHeaders(sim));
    expect(answer.status).toBe(202);
    expect(answer.body).toBeUndefined();
    expect(await membersOf(bot, callId)).toEqual([exampleMember]);
    expect(seen.deliveries).toMatchObject([
      { tenantId: sim.app.tenantId, notifications: [{ kind: "roster", callId }] },
    ]);
    expect(seen.rosters).toMatchObject([{ type: "joined", callId, key: exampleMember }]);
  });

  test("Graph's other issuer, https://graph.microsoft.com, is accepted as well", async () => {
    const { sim, bot } = shared();
    expect(sim.notificationIssuer).toBe("https://api.botframework.com");
    const callId = randomUUID();
    const headers = await signedHeaders(sim, { iss: "https://graph.microsoft.com" });
    expect((await postNotification(bot, rosterOf(callId), headers)).status).toBe(202);
    expect(await membersOf(bot, callId)).toEqual([exampleMember]);
  });

  test("an expiry and a start within the 300 s clock tolerance are accepted", async () => {
    const { sim, bot } = shared();
    for (const timing of [{ expiresIn: -240 }, { notBefore: 240 }]) {
      const callId = randomUUID();
      const answer = await postNotification(bot, rosterOf(callId), await signedHeaders(sim, {}, timing));
      expect(answer.status, JSON.stringify(timing)).toBe(202);
      expect(await membersOf(bot, callId)).toEqual([exampleMember]);
    }
  });

  test("no Authorization header: 401 missing-token, nothing processed", async () => {
    const { sim, bot } = shared();
    await expectRefusedAndUnprocessed(sim, bot, { "Content-Type": "application/json" }, "missing-token");
  });

  test("a scheme other than Bearer, even around a valid token: 401 missing-token, nothing processed", async () => {
    const { sim, bot } = shared();
    const basic = Buffer.from(`${sim.app.appId}:${sim.app.secret}`).toString("base64");
    await expectRefusedAndUnprocessed(
      sim,
      bot,
      { Authorization: `Basic ${basic}`, "Content-Type": "application/json" },
      "missing-token",
    );
    const token = await sim.signNotificationToken();
    await expectRefusedAndUnprocessed(
      sim,
      bot,
      { Authorization: `JWT ${token}`, "Content-Type": "application/json" },
      "missing-token",
    );
  });

  test("a bearer token that is not a JWT: 401 invalid-token, nothing processed", async () => {
    const { sim, bot } = shared();
    await expectRefusedAndUnprocessed(sim, bot, bearer("not-a-jwt"), "invalid-token");
    await expectRefusedAndUnprocessed(sim, bot, bearer("aaaa.bbbb.cccc"), "invalid-token");
  });

  test("a token signed by another RSA key under the simulator's key id: 401 bad-signature, nothing processed", async () => {
    const { sim, bot } = shared();
    const token = await sim.signNotificationToken({}, {}, { unpublishedKey: true });
    expect(decodeProtectedHeader(token).kid).toBe(decodeProtectedHeader(await sim.signNotificationToken()).kid);
    await expectRefusedAndUnprocessed(sim, bot, bearer(token), "bad-signature");
  });

  test("a token signed by another RSA key under a key id the metadata does not publish: 401 unknown-key", async () => {
    const { sim, bot } = shared();
    const token = await sim.signNotificationToken({}, {}, { unpublishedKey: true, header: { kid: randomUUID() } });
    await expectRefusedAndUnprocessed(sim, bot, bearer(token), "unknown-key");
  });

  test("a forger's key embedded as jwk, or named by jku or x5u, is never used: 401 bad-signature", async () => {
    const { sim, bot } = shared();
    // A key server the forger controls, serving the key that signed the token; it must not be asked.
    const forgerKey = decodeProtectedHeader(
      await sim.signNotificationToken({}, {}, { unpublishedKey: true, header: { jwk: "signing-key" } }),
    ).jwk;
    const forger = await startStub(() => ({ status: 200, body: { keys: [{ ...forgerKey, alg: "RS256" }] } }));
    for (const header of [
      { jwk: "signing-key" as const },
      { jku: `${forger.origin}/jwks` },
      { x5u: `${forger.origin}/cert.pem` },
      // Without a kid the bot tries the one key published, not the embedded one.
      { jwk: "signing-key" as const, kid: undefined },
    ]) {
      const token = await sim.signNotificationToken({}, {}, { unpublishedKey: true, header });
      await expectRefusedAndUnprocessed(sim, bot, bearer(token), "bad-signature");
    }
    expect(forger.paths).toEqual([]);
  });

  test("the published key under any algorithm but RS256 (RS384, RS512, PS256): 401 algorithm-not-allowed", async () => {
    const { sim, bot } = shared();
    for (const alg of ["RS384", "RS512", "PS256", "ES256", "EdDSA"]) {
      const token = await sim.signNotificationToken({}, {}, { header: { alg } });
      await expectRefusedAndUnprocessed(sim, bot, bearer(token), "algorithm-not-allowed");
    }
  });

  test("a crit header naming an extension the bot does not understand: 401 invalid-token (RFC 7515, 4.1.11)", async () => {
    const { sim, bot } = shared();
    const token = await sim.signNotificationToken({}, {}, { header: { crit: ["exp-policy"], "exp-policy": "strict" } });
    await expectRefusedAndUnprocessed(sim, bot, bearer(token), "invalid-token");
  });

  test("a simulator token whose signature was altered: 401 bad-signature, nothing processed", async () => {
    const { sim, bot } = shared();
    const [header, payload, signature = ""] = (await sim.signNotificationToken()).split(".");
    // A character in the middle: every one of its bits is part of the signature (the last one's are not all).
    const middle = Math.floor(signature.length / 2);
    const altered = `${signature.slice(0, middle)}${signature[middle] === "A" ? "B" : "A"}${signature.slice(middle + 1)}`;
    await expectRefusedAndUnprocessed(sim, bot, bearer(`${header}.${payload}.${altered}`), "bad-signature");
  });

  test("a simulator token whose claims were altered after signing: 401 bad-signature, nothing processed", async () => {
    const { sim, bot } = shared();
    const [header, payload = "", signature] = (await sim.signNotificationToken()).split(".");
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as JWTPayload;
    const forged = base64url({ ...claims, exp: now() + 86_400 * 365 });
    await expectRefusedAndUnprocessed(sim, bot, bearer(`${header}.${forged}.${signature}`), "bad-signature");
  });

  test("a token expired beyond the 300 s tolerance: 401 expired, nothing processed", async () => {
    const { sim, bot } = shared();
    await expectRefusedAndUnprocessed(sim, bot, await signedHeaders(sim, {}, { expiresIn: -600 }), "expired");
  });

  test("a token valid only from 600 s from now: 401 not-yet-valid, nothing processed", async () => {
    const { sim, bot } = shared();
    await expectRefusedAndUnprocessed(sim, bot, await signedHeaders(sim, {}, { notBefore: 600 }), "not-yet-valid");
  });

  test("a token for another app id: 401 wrong-audience, nothing processed", async () => {
    const { sim, bot } = shared();
    await expectRefusedAndUnprocessed(sim, bot, await signedHeaders(sim, { aud: randomUUID() }), "wrong-audience");
  });

  test("a token from an issuer that is not Graph's: 401 wrong-issuer, nothing processed", async () => {
    const { sim, bot } = shared();
    const headers = await signedHeaders(sim, { iss: `https://login.microsoftonline.com/${sim.app.tenantId}/v2.0` });
    await expectRefusedAndUnprocessed(sim, bot, headers, "wrong-issuer");
  });

  test('a token without a "tid" claim: 401 missing-tenant, nothing processed', async () => {
    const { sim, bot } = shared();
    await expectRefusedAndUnprocessed(sim, bot, await signedHeaders(sim, { tid: undefined }), "missing-tenant");
  });

  test('an unsigned token ("alg": "none") with valid claims: 401 algorithm-not-allowed, nothing processed', async () => {
    const { sim, bot } = shared();
    const token = await sim.signNotificationToken({}, {}, { header: { alg: "none" } });
    await expectRefusedAndUnprocessed(sim, bot, bearer(token), "algorithm-not-allowed");
  });

  test("an HS256 token keyed with the app's client secret: 401 algorithm-not-allowed, nothing processed", async () => {
    const { sim, bot } = shared();
    const token = await sim.signNotificationToken({}, {}, { header: { alg: "HS256" }, hmacSecret: sim.app.secret });
    await expectRefusedAndUnprocessed(sim, bot, bearer(token), "algorithm-not-allowed");
  });

  test("an HS256 token keyed with the published public key (algorithm confusion): 401 algorithm-not-allowed", async () => {
    const { sim, bot } = shared();
    const token = await sim.signNotificationToken({}, {}, { header: { alg: "HS256" } });
    await expectRefusedAndUnprocessed(sim, bot, bearer(token), "algorithm-not-allowed");
  });

  describe("before the body is used", () => {
    test("an unauthenticated request whose body is not JSON gets 401, not 400", async () => {
      const { bot } = shared();
      const seen = watch(bot);
      const answer = await postNotification(bot, '{"value": [ {"changeType": ', { "Content-Type": "application/json" });
      expectUnauthorized(answer, "missing-token");
      expect(seen.refusals.map((refusal) => refusal.status)).toEqual([401]);
    });

    test("an unauthenticated request that declares a body over the limit gets 401, not 413, without sending it", async () => {
      const { bot } = shared();
      const seen = watch(bot);
      // 64 MiB promised, not a byte of it sent: the answer can only come from the headers.
      const answer = await rawPost(
        bot.callbackUrl,
        { "Content-Type": "application/json", "Content-Length": String(64 * 1024 * 1024) },
        [],
        false,
      );
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ error: { code: "missing-token" } });
      expect(answer.headers["www-authenticate"]).toMatch(/^Bearer\b/);
      expect(answer.headers.connection).toBe("close");
      expect(seen.refusals.map((refusal) => refusal.status)).toEqual([401]);
    });

    test("an unauthenticated request with the wrong media type gets 401, not 415", async () => {
      const { bot } = shared();
      const answer = await postNotification(bot, "hello", { "Content-Type": "text/plain", Authorization: "Bearer x" });
      expectUnauthorized(answer, "invalid-token");
    });
  });
});

describe("a simulator whose notifications carry https://graph.microsoft.com as issuer", () => {
  const shared = sharedWorld({ notificationIssuer: "https://graph.microsoft.com" });

  test("its tokens get 202 and the roster is processed", async () => {
    const { sim, bot } = shared();
    expect(sim.notificationIssuer).toBe("https://graph.microsoft.com");
    const callId = randomUUID();
    expect((await postNotification(bot, rosterOf(callId), await signedHeaders(sim))).status).toBe(202);
    expect(await membersOf(bot, callId)).toEqual([exampleMember]);
  });

  test("its own deliveries get through: an invite completes and every notification was answered 202", async () => {
    const { sim, bot } = shared();
    const call = sim.createCall({ kind: "group", callbackUri: bot.callbackUrl });
    const outcome = await bot.inviteAndWait(call.id, inviteBody(userParticipant("adele")));
    expect(outcome.status).toBe("completed");
    await sim.settled();
    const deliveries = sim.deliveries().filter((delivery) => delivery.callId === call.id);
    expect(
      deliveries.map((delivery) => [delivery.kind, delivery.outcome, delivery.attempts.map((a) => a.status)]),
    ).toEqual([
      ["operation", "delivered", [202]],
      ["roster", "delivered", [202]],
    ]);
    expect(await membersOf(bot, call.id)).toEqual(["user:adele"]);
  });
});

describe("claims the simulator always sets, from an issuer the test controls", () => {
  const appId = randomUUID();
  const tenantId = randomUUID();
  let issuer: { sign(claims: JWTPayload): Promise<string> };
  let bot: StartedBot;

  beforeAll(async () => {
    // The key the simulator never published: here it is the issuer's own, which it does publish.
    const kid = randomUUID();
    const jwk = { ...(await exportJWK(foreignPublicKey)), kid, alg: "RS256", use: "sig" };
    const server = createServer((request, response) => {
      const body =
        request.url === "/keys"
          ? { keys: [jwk] }
          : { issuer: "https://api.botframework.com", jwks_uri: `${origin}/keys` };
      response.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    issuer = {
      sign: (claims) => new SignJWT(claims).setProtectedHeader({ alg: "RS256", typ: "JWT", kid }).sign(foreignKey),
    };
    // The bot never invites here: its client has nowhere to go.
    bot = await startBot({
      client: createInviteClient({
        credential: async () => ({ token: "unused", expiresOnTimestamp: Date.now() + 3_600_000 }),
        baseUrl: "http://127.0.0.1:9/v1.0",
      }),
      auth: { appId, openIdConfigurationUrl: `${origin}/openid` },
    });
    return async () => {
      await bot.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    };
  });

  const claims = (): JWTPayload => ({
    iss: "https://api.botframework.com",
    aud: appId,
    tid: tenantId,
    iat: now(),
    nbf: now(),
    exp: now() + 3600,
  });

  test("a token with every claim is accepted: the issuer and its keys are wired right", async () => {
    const callId = randomUUID();
    const answer = await postNotification(bot, rosterOf(callId), bearer(await issuer.sign(claims())));
    expect(answer.status).toBe(202);
    expect(await membersOf(bot, callId)).toEqual([exampleMember]);
  });

  test('a token without "exp", which would never expire: 401 invalid-token, nothing processed', async () => {
    const { exp: _exp, ...eternal } = claims();
    const callId = randomUUID();
    const seen = watch(bot);
    const answer = await postNotification(bot, rosterOf(callId), bearer(await issuer.sign(eternal)));
    expectUnauthorized(answer, "invalid-token");
    expect(answer.body).toMatchObject({ error: { message: expect.stringContaining('"exp"') } });
    expect(await membersOf(bot, callId)).toEqual([]);
    expect(seen.deliveries).toEqual([]);
  });

  test('a "tid" that is empty or not a string: 401 missing-tenant, nothing processed', async () => {
    const seen = watch(bot);
    for (const tid of ["", 42, null, { id: tenantId }]) {
      const callId = randomUUID();
      const answer = await postNotification(bot, rosterOf(callId), bearer(await issuer.sign({ ...claims(), tid })));
      expectUnauthorized(answer, "missing-tenant");
      expect(await membersOf(bot, callId)).toEqual([]);
    }
    expect(seen.deliveries).toEqual([]);
  });
});

describe("a tenant allow-list", () => {
  test("a valid token of another tenant gets 403 tenant-not-allowed, and nothing is processed", async () => {
    const { sim } = shared();
    const bot = await startBotFor(sim, { allowedTenants: [randomUUID(), sim.app.tenantId] });
    const seen = watch(bot);
    const callId = randomUUID();
    const other = randomUUID();
    const answer = await postNotification(bot, rosterOf(callId), await signedHeaders(sim, { tid: other }));
    expect(answer.status).toBe(403);
    expect(answer.body).toEqual({ error: { code: "tenant-not-allowed", message: expect.stringContaining(other) } });
    expect(answer.headers.get("www-authenticate")).toBeNull();
    expect(answer.headers.get("connection")).toBe("close");
    expect(await membersOf(bot, callId)).toEqual([]);
    expect(seen.deliveries).toEqual([]);
    expect(seen.refusals).toEqual([
      { status: 403, reason: "tenant-not-allowed", message: expect.any(String), setting: "auth.allowedTenants" },
    ]);
  });

  test("tenant ids compare without regard to case, as GUIDs do", async () => {
    const { sim } = shared();
    const bot = await startBotFor(sim, { allowedTenants: [sim.app.tenantId.toUpperCase()] });
    const callId = randomUUID();
    expect((await postNotification(bot, rosterOf(callId), await signedHeaders(sim))).status).toBe(202);
    expect(await membersOf(bot, callId)).toEqual([exampleMember]);
  });

  test("a token of an allowed tenant gets 202 and is processed", async () => {
    const { sim } = shared();
    const bot = await startBotFor(sim, { allowedTenants: [randomUUID(), sim.app.tenantId] });
    const callId = randomUUID();
    expect((await postNotification(bot, rosterOf(callId), await signedHeaders(sim))).status).toBe(202);
    expect(await membersOf(bot, callId)).toEqual([exampleMember]);
  });
});

describe("a rotated signing key", () => {
  const keySetFetches = (sim: Simulator) =>
    sim.requests().filter((request) => request.path === "/v1/.well-known/keys").length;

  test("rolled over as Graph does, is known before it signs: a bot that may not refetch keys loses nothing", async () => {
    // A cooldown longer than the test: the bot cannot fetch the key set again, as a validator that refreshes it
    // hourly or daily cannot between refreshes.
    const { sim, bot } = await world({}, { auth: { keyRefetchCooldownMs: 600_000 } });
    const oldKid = decodeProtectedHeader(await sim.signNotificationToken()).kid;
    const newKid = await sim.rotateNotificationKey({ overlapMs: 1_000, retainMs: 600_000 });
    // The bot's one fetch happens during the overlap, so the set it holds has both keys.
    const oldToken = await sim.signNotificationToken();
    expect(decodeProtectedHeader(oldToken).kid).toBe(oldKid);
    expect((await postNotification(bot, rosterOf(randomUUID()), bearer(oldToken))).status).toBe(202);

    await vi.waitFor(async () => expect(decodeProtectedHeader(await sim.signNotificationToken()).kid).toBe(newKid), {
      timeout: 30_000,
      interval: 20,
    });
    const call = sim.createCall({ kind: "group", callbackUri: bot.callbackUrl });
    const outcome = await bot.inviteAndWait(call.id, inviteBody(userParticipant("x")));
    expect(outcome.status).toBe("completed");
    await sim.settled();
    const deliveries = sim.deliveries().filter((delivery) => delivery.callId === call.id);
    expect(deliveries.map((delivery) => delivery.attempts.map((attempt) => attempt.status))).toEqual([[202], [202]]);
    // The old key is still published: a token it signed before the switch still verifies.
    expect((await postNotification(bot, rosterOf(randomUUID()), bearer(oldToken))).status).toBe(202);
    expect(keySetFetches(sim)).toBe(1);
  });

  test("swapped at once, is unknown to a bot that may not refetch keys: 401 unknown-key", async () => {
    const { sim, bot } = await world({}, { auth: { keyRefetchCooldownMs: 600_000 } });
    expect((await postNotification(bot, rosterOf(randomUUID()), await signedHeaders(sim))).status).toBe(202);
    await sim.rotateNotificationKey();
    const newToken = await sim.signNotificationToken();
    expectUnauthorized(await postNotification(bot, rosterOf(randomUUID()), bearer(newToken)), "unknown-key");
    expect(keySetFetches(sim)).toBe(1);
  });

  test("is fetched when a token names it: the simulator's own deliveries and new-key tokens get through", async () => {
    const { sim, bot } = await world({}, { auth: { keyRefetchCooldownMs: 0 } });
    // The bot learns the first key.
    const oldToken = await sim.signNotificationToken();
    expect((await postNotification(bot, rosterOf(randomUUID()), bearer(oldToken))).status).toBe(202);

    const newKid = await sim.rotateNotificationKey();
    // The simulator's notifications are signed with the new key now; the terminal one must get through for the
    // invite to complete.
    const call = sim.createCall({ kind: "group", callbackUri: bot.callbackUrl });
    const outcome = await bot.inviteAndWait(call.id, inviteBody(userParticipant("x")));
    expect(outcome.status).toBe("completed");
    await sim.settled();
    const deliveries = sim.deliveries().filter((delivery) => delivery.callId === call.id);
    expect(deliveries.map((delivery) => delivery.attempts.map((attempt) => attempt.status))).toEqual([[202], [202]]);
    expect(await membersOf(bot, call.id)).toEqual(["user:x"]);

    const newToken = await sim.signNotificationToken();
    expect(decodeProtectedHeader(newToken).kid).toBe(newKid);
    const callId = randomUUID();
    expect((await postNotification(bot, rosterOf(callId), bearer(newToken))).status).toBe(202);
    expect(await membersOf(bot, callId)).toEqual([exampleMember]);

    // The published set holds only the new key: a token of the old one no longer verifies.
    expectUnauthorized(await postNotification(bot, rosterOf(randomUUID()), bearer(oldToken)), "unknown-key");
  });
});

describe("signing keys that cannot be fetched", () => {
  /** Expects 503 keys-unavailable with Retry-After, and that the bot did nothing with the body. */
  async function expectUnavailable(bot: StartedBot, answer: RawAnswer, callId: string): Promise<void> {
    expect(answer.status).toBe(503);
    expect(answer.body).toEqual({ error: { code: "keys-unavailable", message: expect.any(String) } });
    expect(answer.headers.get("retry-after")).toBe("5");
    expect(answer.headers.get("connection")).toBe("close");
    expect(answer.headers.get("www-authenticate")).toBeNull();
    expect(await membersOf(bot, callId)).toEqual([]);
  }

  test("metadata on a closed port: 503 keys-unavailable with Retry-After, nothing processed", async () => {
    const { sim } = shared();
    const port = await closedPort();
    const bot = await startBotFor(sim, {
      openIdConfigurationUrl: `http://127.0.0.1:${port}/v1/.well-known/OpenIdConfiguration`,
    });
    const seen = watch(bot);
    const callId = randomUUID();
    await expectUnavailable(bot, await postNotification(bot, rosterOf(callId), await signedHeaders(sim)), callId);
    expect(seen.deliveries).toEqual([]);
    expect(seen.refusals).toEqual([
      {
        status: 503,
        reason: "keys-unavailable",
        message: expect.any(String),
        setting: "auth.openIdConfigurationUrl",
      },
    ]);
  });

  test("metadata that fails and then recovers: 503, then the same notification gets 202 and is processed", async () => {
    const { sim } = shared();
    const proxy = await startMetadataProxy(sim);
    proxy.state.metadata = "down";
    const bot = await startBotFor(sim, { openIdConfigurationUrl: proxy.openIdConfigurationUrl });
    const callId = randomUUID();
    const body = rosterOf(callId);
    await expectUnavailable(bot, await postNotification(bot, body, await signedHeaders(sim)), callId);

    proxy.state.metadata = "up";
    expect((await postNotification(bot, body, await signedHeaders(sim))).status).toBe(202);
    expect(await membersOf(bot, callId)).toEqual([exampleMember]);
    expect(proxy.fetches("/openid")).toBe(2);
  });

  test("a key set that fails while the metadata answers: 503, then 202 once the keys are back", async () => {
    const { sim } = shared();
    const proxy = await startMetadataProxy(sim);
    proxy.state.keys = "down";
    const bot = await startBotFor(sim, { openIdConfigurationUrl: proxy.openIdConfigurationUrl });
    const callId = randomUUID();
    await expectUnavailable(bot, await postNotification(bot, rosterOf(callId), await signedHeaders(sim)), callId);

    proxy.state.keys = "up";
    expect((await postNotification(bot, rosterOf(callId), await signedHeaders(sim))).status).toBe(202);
    expect(await membersOf(bot, callId)).toEqual([exampleMember]);
  });

  test("metadata without a jwks_uri: 503 keys-unavailable", async () => {
    const { sim } = shared();
    const proxy = await startMetadataProxy(sim);
    proxy.state.metadata = "no-jwks-uri";
    const bot = await startBotFor(sim, { openIdConfigurationUrl: proxy.openIdConfigurationUrl });
    const callId = randomUUID();
    await expectUnavailable(bot, await postNotification(bot, rosterOf(callId), await signedHeaders(sim)), callId);
  });

  test("once the keys are known, an outage of the metadata does not refuse notifications (stale metadata is used), nor is it fetched again for each", async () => {
    const { sim } = shared();
    const proxy = await startMetadataProxy(sim);
    // Metadata that is stale at once: without a back-off, every request would try to fetch it again.
    const bot = await startBotFor(sim, { openIdConfigurationUrl: proxy.openIdConfigurationUrl, metadataMaxAgeMs: 0 });
    expect((await postNotification(bot, rosterOf(randomUUID()), await signedHeaders(sim))).status).toBe(202);

    proxy.state.metadata = "down";
    // Several requests, each with a token of its own, so that none is answered from the verified-token cache.
    for (let request = 0; request < 5; request++) {
      const callId = randomUUID();
      const headers = await signedHeaders(sim, { jti: randomUUID() });
      expect((await postNotification(bot, rosterOf(callId), headers)).status).toBe(202);
      expect(await membersOf(bot, callId)).toEqual([exampleMember]);
    }
    // The first fetch, and the one refresh that failed: the back-off holds the rest.
    expect(proxy.fetches("/openid")).toBe(2);
  });

  describe("createCallbackAuthenticator on its own", () => {
    test("concurrent first requests share one metadata fetch and one key set fetch", async () => {
      const { sim } = shared();
      const proxy = await startMetadataProxy(sim);
      const authenticator = createCallbackAuthenticator({
        appId: sim.app.appId,
        openIdConfigurationUrl: proxy.openIdConfigurationUrl,
      });
      const tokens = await Promise.all(Array.from({ length: 8 }, () => sim.signNotificationToken()));
      const results = await Promise.all(tokens.map((token) => authenticator.authenticate(`Bearer ${token}`)));
      expect(results).toEqual(tokens.map(() => expect.objectContaining({ ok: true, tenantId: sim.app.tenantId })));
      expect(proxy.fetches("/openid")).toBe(1);
      expect(proxy.fetches("/keys")).toBe(1);
    });

    test("metadata that never answers gives 503 keys-unavailable once fetchTimeoutMs has passed", async () => {
      const { sim } = shared();
      const proxy = await startMetadataProxy(sim);
      proxy.state.metadata = "hang";
      const authenticator = createCallbackAuthenticator({
        appId: sim.app.appId,
        openIdConfigurationUrl: proxy.openIdConfigurationUrl,
        fetchTimeoutMs: 200,
      });
      const result = await authenticator.authenticate(`Bearer ${await sim.signNotificationToken()}`);
      expect(result).toEqual({ ok: false, status: 503, reason: "keys-unavailable", message: expect.any(String) });
    });

    test("the Bearer scheme is case-insensitive and the claims come back with the tenant", async () => {
      const { sim } = shared();
      const authenticator = createCallbackAuthenticator({
        appId: sim.app.appId,
        openIdConfigurationUrl: sim.openIdConfigurationUrl,
      });
      const token = await sim.signNotificationToken({ jti: "one" });
      const result = await authenticator.authenticate(`bearer ${token}`);
      expect(result).toMatchObject({
        ok: true,
        tenantId: sim.app.tenantId,
        claims: { jti: "one", aud: sim.app.appId },
      });
      expect(await authenticator.authenticate(undefined)).toMatchObject({ ok: false, reason: "missing-token" });
      expect(await authenticator.authenticate("Bearer")).toMatchObject({ ok: false, reason: "missing-token" });
    });

    test("issuers replaces Graph's two: a token of Graph's issuer is then refused", async () => {
      const { sim } = shared();
      const authenticator = createCallbackAuthenticator({
        appId: sim.app.appId,
        openIdConfigurationUrl: sim.openIdConfigurationUrl,
        issuers: ["https://calling.example.test"],
      });
      const graphs = await authenticator.authenticate(`Bearer ${await sim.signNotificationToken()}`);
      expect(graphs).toMatchObject({ ok: false, status: 401, reason: "wrong-issuer" });
      const own = await sim.signNotificationToken({ iss: "https://calling.example.test" });
      expect(await authenticator.authenticate(`Bearer ${own}`)).toMatchObject({ ok: true });
    });
  });
});
