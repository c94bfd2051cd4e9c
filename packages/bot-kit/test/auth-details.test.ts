// The authenticator on its own, against an issuer and a metadata endpoint the test controls: what each refusal says
// (a bot's operator reads it to learn why Graph's callbacks fail), the forms of the Authorization header it takes,
// the length past which a header is refused unread, what a metadata endpoint that fails or answers nonsense gives,
// the default age of the metadata, and a cached token whose key the key set withdrew after it was cached.
import { randomUUID } from "node:crypto";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { CompactSign, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  type AuthResult,
  type CallbackAuthOptions,
  callbackOpenIdConfigurationUrls,
  createCallbackAuthenticator,
  type GraphCloud,
} from "../src/index.js";

const appId = randomUUID();
const tenantId = randomUUID();
const issuer = "https://graph.microsoft.com";
const now = () => Math.floor(Date.now() / 1000);

interface Key {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
}

async function makeKey(): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const kid = randomUUID();
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" } };
}

let keys: [Key, Key];
/** What the metadata endpoint answers, and which keys the key set publishes. */
const state = {
  metadata: { status: 200, body: undefined as unknown },
  published: [] as JWK[],
};
let origin = "";
const fetches: string[] = [];
const server = createServer((request, response) => {
  fetches.push(request.url ?? "");
  const { status, body } =
    request.url === "/keys"
      ? { status: 200, body: { keys: state.published } }
      : { status: state.metadata.status, body: state.metadata.body ?? { issuer, jwks_uri: `${origin}/keys` } };
  response.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(body));
});

beforeAll(async () => {
  keys = [await makeKey(), await makeKey()];
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function reset(): void {
  state.metadata = { status: 200, body: undefined };
  state.published = [keys[0].jwk];
  fetches.length = 0;
}

const authenticatorFor = (options: Partial<CallbackAuthOptions> = {}) =>
  createCallbackAuthenticator({ appId, openIdConfigurationUrl: `${origin}/openid`, ...options });

const claims = (): JWTPayload => ({
  iss: issuer,
  aud: appId,
  tid: tenantId,
  iat: now(),
  nbf: now(),
  exp: now() + 3600,
});

const sign = (payload: JWTPayload, key: Key = keys[0]) =>
  new SignJWT(payload).setProtectedHeader({ alg: "RS256", typ: "JWT", kid: key.kid }).sign(key.privateKey);

const refused = (status: number, reason: string, message: RegExp, detail?: Record<string, unknown>): AuthResult =>
  ({
    ok: false,
    status,
    reason,
    message: expect.stringMatching(message),
    ...(detail !== undefined && { detail }),
  }) as unknown as AuthResult;

describe("numeric claims", () => {
  // JSON.stringify writes Infinity as null, so the payload is written as text, as a forger would.
  const signText = (payload: string) =>
    new CompactSign(new TextEncoder().encode(payload))
      .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: keys[0].kid })
      .sign(keys[0].privateKey);

  test.each(["exp", "iat"])("a %s of 1e400, which JSON reads as Infinity, is refused", async (claim) => {
    reset();
    const fields = { ...claims(), [claim]: "INFINITE" };
    const token = await signText(JSON.stringify(fields).replace('"INFINITE"', "1e400"));
    expect(await authenticatorFor().authenticate(`Bearer ${token}`)).toEqual(
      refused(401, "invalid-token", new RegExp(`^The token's "${claim}" claim is not a finite number\\.$`)),
    );
  });

  test("an nbf of 1e400 is never reached", async () => {
    reset();
    const token = await signText(JSON.stringify({ ...claims(), nbf: "INFINITE" }).replace('"INFINITE"', "1e400"));
    expect(await authenticatorFor().authenticate(`Bearer ${token}`)).toMatchObject({ ok: false, status: 401 });
  });

  test("the same token with a finite exp is accepted", async () => {
    reset();
    const token = await signText(JSON.stringify(claims()));
    expect(await authenticatorFor().authenticate(`Bearer ${token}`)).toMatchObject({ ok: true });
  });
});

describe("each refusal", () => {
  test("names its reason, and says in its message what was wrong", async () => {
    reset();
    const authenticator = authenticatorFor({ clockToleranceSeconds: 0 });
    const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const { exp: _exp, ...eternal } = claims();
    const { tid: _tid, ...tenantless } = claims();
    const valid = await sign(claims());
    const cases: Array<[string | null | undefined, AuthResult]> = [
      [undefined, refused(401, "missing-token", /^The request has no Authorization: Bearer token\.$/)],
      [null, refused(401, "missing-token", /^The request has no Authorization: Bearer token\.$/)],
      ["Bearer not-a-jwt", refused(401, "invalid-token", /^The token is not a well-formed signed JWT\.$/)],
      [
        `Bearer ${valid.replace(/\.[^.]+$/, ".c2lnbmF0dXJl")}`,
        refused(401, "bad-signature", /^The token's signature does not verify\.$/),
      ],
      [
        `Bearer ${await sign(claims(), keys[1])}`,
        refused(401, "unknown-key", /^The token is not signed with a key the OpenID metadata publishes\.$/),
      ],
      [`Bearer ${await sign({ ...claims(), exp: now() - 60 })}`, refused(401, "expired", /^The token has expired\.$/)],
      [
        `Bearer ${await sign({ ...claims(), nbf: now() + 600 })}`,
        refused(401, "not-yet-valid", /^The token is not valid yet\.$/),
      ],
      [
        `Bearer ${await sign({ ...claims(), iss: "https://login.example.test" })}`,
        refused(
          401,
          "wrong-issuer",
          /^The token's issuer is "https:\/\/login\.example\.test", not one of \[.*\] \(auth\.issuers\)\.$/,
          { expected: expect.arrayContaining(["https://graph.microsoft.com"]), received: "https://login.example.test" },
        ),
      ],
      [
        `Bearer ${await sign({ ...claims(), aud: "another-app" })}`,
        refused(
          401,
          "wrong-audience",
          new RegExp(
            `^The token is for the app id "another-app", not this bot's app id "${appId}" \\(auth\\.appId\\)\\.$`,
          ),
          { expected: appId, received: "another-app" },
        ),
      ],
      [`Bearer ${await sign(tenantless)}`, refused(401, "missing-tenant", /^The token has no "tid" claim\.$/)],
      [
        `Bearer ${await sign({ ...claims(), tid: "" })}`,
        refused(401, "missing-tenant", /^The token's "tid" claim is not a tenant id\.$/),
      ],
      [
        `Bearer ${base64url({ alg: "none", typ: "JWT" })}.${base64url(claims())}.`,
        refused(401, "algorithm-not-allowed", /^The token is not signed with RS256\.$/),
      ],
      [`Bearer ${await sign(eternal)}`, refused(401, "invalid-token", /^The token's "exp" claim is missing\.$/)],
      [
        `Bearer ${await sign({ ...claims(), exp: "soon" as unknown as number })}`,
        refused(401, "invalid-token", /^The token's "exp" claim is invalid\.$/),
      ],
    ];
    for (const [header, expected] of cases) {
      expect(await authenticator.authenticate(header), String(header).slice(0, 40)).toEqual(expected);
    }
  });

  test("for keys that cannot be had, says why: the status, the fetch that failed, or the missing jwks_uri", async () => {
    const cases: Array<[status: number, body: unknown, message: RegExp]> = [
      [500, { error: "unavailable" }, /HTTP 500/],
      // A failing endpoint's body is not trusted, even one that looks like metadata.
      [503, { issuer, jwks_uri: `${origin}/keys` }, /HTTP 503/],
      [200, { issuer }, /no jwks_uri/],
      [200, { issuer, jwks_uri: 42 }, /no jwks_uri/],
      [200, { issuer, jwks_uri: "not a url" }, /no jwks_uri/],
      // An array whose one element is the key set's URL reads as that URL when made a string: still not a URL.
      [200, { issuer, jwks_uri: [`${origin}/keys`] }, /no jwks_uri/],
    ];
    for (const [status, body, message] of cases) {
      reset();
      state.metadata = { status, body };
      const result = await authenticatorFor().authenticate(`Bearer ${await sign(claims())}`);
      expect(result, `${status} ${JSON.stringify(body)}`).toEqual(refused(503, "keys-unavailable", message));
    }
    // Nothing listens: the fetch itself fails, and the message says so rather than blame the document.
    const closed = createCallbackAuthenticator({ appId, openIdConfigurationUrl: "http://127.0.0.1:9/openid" });
    const result = await closed.authenticate(`Bearer ${await sign(claims())}`);
    expect(result).toEqual(refused(503, "keys-unavailable", /^The signing keys could not be fetched: fetch failed$/));
  });
});

describe("the Authorization header", () => {
  test("takes the scheme with any run of spaces or tabs around the token, and nothing else", async () => {
    reset();
    const authenticator = authenticatorFor();
    const token = await sign(claims());
    for (const header of [`Bearer  \t ${token}`, `Bearer ${token} \t `, `BEARER ${token}`]) {
      expect(await authenticator.authenticate(header), header.slice(0, 12)).toMatchObject({ ok: true });
    }
    for (const header of [`XBearer ${token}`, `Bearer ${token} more`, `Bearer ${token},x`, `Bearer${token}`]) {
      expect(await authenticator.authenticate(header), header.slice(0, 12)).toMatchObject({ reason: "missing-token" });
    }
  });

  test("is read up to 16 KiB, and refused unread beyond", async () => {
    reset();
    const authenticator = authenticatorFor();
    const header = (length: number) => `Bearer ${"a".repeat(length - "Bearer ".length)}`;
    // Read, so the token itself is found wanting; one character more and it is not read at all.
    expect(await authenticator.authenticate(header(16 * 1024))).toMatchObject({ reason: "invalid-token" });
    expect(await authenticator.authenticate(header(16 * 1024 + 1))).toMatchObject({ reason: "missing-token" });
  });
});

describe("the metadata", () => {
  test("is kept for two hours by default: requests three seconds apart fetch it once", async () => {
    reset();
    const authenticator = authenticatorFor();
    expect(await authenticator.authenticate(`Bearer ${await sign(claims())}`)).toMatchObject({ ok: true });
    // Longer than an age of a few seconds, which a slip in the default's arithmetic gives (2 * 60 / 60 * 1000).
    await sleep(3000);
    // Another token, so that it is verified rather than answered from the cache.
    expect(await authenticator.authenticate(`Bearer ${await sign({ ...claims(), jti: "2" })}`)).toMatchObject({
      ok: true,
    });
    expect(fetches.filter((path) => path === "/openid")).toHaveLength(1);
  });

  test("fetched again with the same jwks_uri keeps the key set it had, and the keys it fetched", async () => {
    reset();
    // Stale at once: every request fetches the metadata again.
    const authenticator = authenticatorFor({ metadataMaxAgeMs: 0 });
    for (const jti of ["1", "2", "3"]) {
      expect(await authenticator.authenticate(`Bearer ${await sign({ ...claims(), jti })}`)).toMatchObject({
        ok: true,
      });
    }
    expect(fetches.filter((path) => path === "/openid")).toHaveLength(3);
    expect(fetches.filter((path) => path === "/keys")).toHaveLength(1);
  });
});

describe("without an openIdConfigurationUrl", () => {
  // The contract says where Graph publishes the keys of its notification tokens.
  const spec = readFileSync(new URL("../../../openapi/graph-invite.yaml", import.meta.url), "utf8");
  const documented = /signing keys come from the OpenID metadata at\s+`([^`]+)`/.exec(spec)?.[1];

  /** The URLs the authenticator fetches, as Node's fetch reports each request it creates. */
  async function fetchedBy(options: Partial<CallbackAuthOptions>): Promise<string[]> {
    const urls: string[] = [];
    const onRequest = (message: unknown) => {
      const { request } = message as { request: { origin: string; path: string } };
      urls.push(`${request.origin}${request.path}`);
    };
    subscribe("undici:request:create", onRequest);
    try {
      // A millisecond: the request is made and given up before Microsoft's endpoint could answer, if it is reachable.
      const authenticator = createCallbackAuthenticator({ appId, fetchTimeoutMs: 1, ...options });
      expect(await authenticator.authenticate(`Bearer ${await sign(claims())}`)).toMatchObject({
        ok: false,
        reason: "keys-unavailable",
      });
    } finally {
      unsubscribe("undici:request:create", onRequest);
    }
    return urls;
  }

  test("the metadata of every cloud, and of no cloud given, is fetched from the URL the contract documents", async () => {
    expect(documented).toMatch(/^https:\/\//);
    const clouds = Object.keys(callbackOpenIdConfigurationUrls) as GraphCloud[];
    expect(clouds.sort()).toEqual(["global", "usGovL4", "usGovL5Dod"]);
    for (const cloud of clouds) {
      expect(callbackOpenIdConfigurationUrls[cloud], cloud).toBe(documented);
      expect(await fetchedBy({ cloud }), cloud).toEqual([documented]);
    }
    expect(await fetchedBy({})).toEqual([documented]);
  });
});

describe("a cached token", () => {
  test("is refused once the key set it was verified with no longer publishes its key", async () => {
    reset();
    const authenticator = authenticatorFor({ keyRefetchCooldownMs: 0 });
    const old = await sign(claims(), keys[0]);
    expect(await authenticator.authenticate(`Bearer ${old}`)).toMatchObject({ ok: true });
    // From the cache, which looks at the key set as it stands: still published.
    expect(await authenticator.authenticate(`Bearer ${old}`)).toMatchObject({ ok: true });
    // The key is rotated: a token of the new key makes the key set be fetched again.
    state.published = [keys[1].jwk];
    expect(await authenticator.authenticate(`Bearer ${await sign(claims(), keys[1])}`)).toMatchObject({ ok: true });
    expect(fetches.filter((path) => path === "/keys")).toHaveLength(2);
    expect(await authenticator.authenticate(`Bearer ${old}`)).toMatchObject({ ok: false, reason: "unknown-key" });
  });
});
