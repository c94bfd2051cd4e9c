// Proves, through the bot's real endpoint over loopback, that only notifications signed as Graph signs them get in:
// every kind of bad token is refused with 401 (and WWW-Authenticate) before the body is read, and nothing of it is
// processed.

import { randomUUID } from "node:crypto";
import { inviteBody, userParticipant } from "@graph-invite/client";
import { decodeProtectedHeader, type JWTPayload } from "jose";
import { afterEach, describe, expect, test } from "vitest";
import {
  base64url,
  bearer,
  cleanups,
  expectRefusedAndUnprocessed,
  expectUnauthorized,
  now,
  startStub,
} from "./auth-stubs.js";
import {
  exampleMember,
  lifecycle,
  membersOf,
  postNotification,
  rawPost,
  rosterOf,
  signedHeaders,
  watch,
} from "./harness.js";

const { sharedWorld } = lifecycle();

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

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
