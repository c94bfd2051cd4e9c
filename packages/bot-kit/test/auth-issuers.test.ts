// Proves, through the bot's real endpoint over loopback, how the bot judges who signed a notification: the claims
// the simulator always sets, checked against an issuer the test controls; a tenant outside the allow-list gets 403;
// and a rotated signing key is picked up.

import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createInviteClient, inviteBody, userParticipant } from "@graph-invite/client";
import type { Simulator } from "@graph-invite/simulator";
import { decodeProtectedHeader, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { afterEach, beforeAll, describe, expect, test, vi } from "vitest";
import { type StartedBot, startBot } from "../src/node/index.js";
import { bearer, cleanups, expectUnauthorized, now, startBotFor } from "./auth-stubs.js";
import { exampleMember, lifecycle, membersOf, postNotification, rosterOf, signedHeaders, watch } from "./harness.js";

const { world, sharedWorld } = lifecycle();

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * The key of the issuer the test controls, made once for the file (generating one takes a noticeable moment). A
 * forger's key against the simulator's bot comes from the simulator itself (`unpublishedKey`).
 */
let foreignKey: CryptoKey;

let foreignPublicKey: CryptoKey;

beforeAll(async () => {
  ({ privateKey: foreignKey, publicKey: foreignPublicKey } = await generateKeyPair("RS256"));
});

/** The simulator (and its bot) of the groups that do not change the simulator: starting one costs two RSA keys. */
const shared = sharedWorld();

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
