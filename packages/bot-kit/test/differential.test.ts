// bot-kit's callback authentication against Microsoft's own, botframework-connector's JwtTokenExtractor, over a
// corpus of tokens the simulator signs: valid ones, and every way a token can be wrong that either side checks. Both
// read the same OpenID metadata and key set. Where they disagree, the case says why bot-kit's answer is the right one
// for Graph's callbacks; the test fails on any disagreement not listed, and on a listed one that went away.
import { randomUUID } from "node:crypto";
import {
  type Simulator,
  start,
  type TokenClaimChanges,
  type TokenSigning,
  type TokenTiming,
} from "@graph-invite/simulator";
import connector from "botframework-connector";
import extractorModule from "botframework-connector/lib/auth/jwtTokenExtractor.js";
import { afterAll, beforeAll, expect, test, vi } from "vitest";
import { createCallbackAuthenticator } from "../src/index.js";

type Verdict = "accepted" | "refused";

interface Case {
  readonly name: string;
  /** The Authorization header, made from the simulator. */
  readonly header: (sim: Simulator) => Promise<string | undefined>;
  /** The right answer for a Graph callback, which bot-kit must give. */
  readonly verdict: Verdict;
  /** Set when botframework-connector answers otherwise: why bot-kit's answer is the right one. */
  readonly botFrameworkDiffers?: string;
}

type Header = Case["header"];
const accept = (name: string, header: Header, botFrameworkDiffers?: string): Case => ({
  name,
  header,
  verdict: "accepted",
  ...(botFrameworkDiffers !== undefined && { botFrameworkDiffers }),
});
const refuse = (name: string, header: Header, botFrameworkDiffers?: string): Case => ({
  name,
  header,
  verdict: "refused",
  ...(botFrameworkDiffers !== undefined && { botFrameworkDiffers }),
});

const token =
  (claims: TokenClaimChanges = {}, timing: TokenTiming = {}, signing?: TokenSigning) =>
  async (sim: Simulator) =>
    `Bearer ${await sim.signNotificationToken(claims, timing, signing)}`;

/** A valid token's parts, changed after signing. */
const tampered = (change: (parts: [string, string, string]) => [string, string, string]) => async (sim: Simulator) => {
  const [header = "", payload = "", signature = ""] = (await sim.signNotificationToken()).split(".");
  return `Bearer ${change([header, payload, signature]).join(".")}`;
};
const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const decode = (part: string) => JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, unknown>;

const corpus: readonly Case[] = [
  // Tokens both accept.
  accept("a valid token", token()),
  accept("Graph's other issuer, https://graph.microsoft.com", token({ iss: "https://graph.microsoft.com" })),
  accept("expired 100 s ago, within both 300 s tolerances", token({}, { expiresIn: -100 })),
  accept("valid from 100 s from now, within both tolerances", token({}, { notBefore: 100 })),
  accept("the audience in an array", async (sim) => token({ aud: [sim.app.appId] as never })(sim)),
  accept("a typ other than JWT", token({}, {}, { header: { typ: "at+jwt" } })),
  accept("no typ", token({}, {}, { header: { typ: undefined } })),
  accept("no jti", token({ jti: undefined })),
  accept("no iat", token({ iat: undefined })),
  accept("no nbf", token({ nbf: undefined })),
  accept("an iat in the future", token({ iat: Math.floor(Date.now() / 1000) + 3_000 })),
  accept(
    "a jku naming another key set, on a token the published key signed",
    token({}, {}, { header: { jku: "https://keys.example.test/jwks" } }),
  ),
  accept("an embedded jwk that is the published key", token({}, {}, { header: { jwk: "signing-key" } })),

  // Tokens both refuse.
  refuse("no Authorization header", async () => undefined),
  refuse("a scheme other than Bearer", async (sim) => `Basic ${await sim.signNotificationToken()}`),
  refuse("Bearer with no token", async () => "Bearer "),
  refuse("not a JWT", async () => "Bearer not-a-jwt"),
  refuse("three parts that are not a JWT", async () => "Bearer aaaa.bbbb.cccc"),
  refuse("another app's audience", token({ aud: randomUUID() })),
  refuse("no audience", token({ aud: undefined as never })),
  refuse("an issuer that is not Graph's", token({ iss: "https://login.microsoftonline.com/common/v2.0" })),
  refuse("Graph's issuer with a trailing slash", token({ iss: "https://api.botframework.com/" })),
  refuse("no issuer", token({ iss: undefined as never })),
  refuse("expired 600 s ago", token({}, { expiresIn: -600 })),
  refuse("valid only from 600 s from now", token({}, { notBefore: 600 })),
  refuse("exp as a string", token({ exp: String(Math.floor(Date.now() / 1000) + 3600) as never })),
  refuse("nbf as a string", token({ nbf: String(Math.floor(Date.now() / 1000)) as never })),
  refuse("alg none, unsigned", token({}, {}, { header: { alg: "none" } })),
  refuse("HS256 keyed with the app's secret", async (sim) =>
    token({}, {}, { header: { alg: "HS256" }, hmacSecret: sim.app.secret })(sim),
  ),
  refuse("HS256 keyed with the published public key", token({}, {}, { header: { alg: "HS256" } })),
  refuse("PS256 with the published key", token({}, {}, { header: { alg: "PS256" } })),
  refuse("ES256 with a key of its own", token({}, {}, { header: { alg: "ES256" } })),
  refuse("EdDSA with a key of its own", token({}, {}, { header: { alg: "EdDSA" } })),
  refuse("an unpublished key under the published kid", token({}, {}, { unpublishedKey: true })),
  refuse(
    "an unpublished key under a kid not published",
    token({}, {}, { unpublishedKey: true, header: { kid: randomUUID() } }),
  ),
  refuse("an unpublished key embedded as jwk", token({}, {}, { unpublishedKey: true, header: { jwk: "signing-key" } })),
  refuse(
    "an unpublished key named by jku",
    token({}, {}, { unpublishedKey: true, header: { jku: "https://keys.example.test/jwks" } }),
  ),
  refuse(
    "an unpublished key named by x5u",
    token({}, {}, { unpublishedKey: true, header: { x5u: "https://keys.example.test/cert.pem" } }),
  ),
  refuse(
    "a signature altered in its middle",
    tampered(([header, payload, signature]) => {
      const middle = Math.floor(signature.length / 2);
      const altered = `${signature.slice(0, middle)}${signature[middle] === "A" ? "B" : "A"}${signature.slice(middle + 1)}`;
      return [header, payload, altered];
    }),
  ),
  refuse(
    "claims changed after signing",
    tampered(([header, payload, signature]) => [header, encode({ ...decode(payload), aud: randomUUID() }), signature]),
  ),
  refuse(
    "no signature",
    tampered(([header, payload]) => [header, payload, ""]),
  ),

  // Where they differ.
  refuse(
    "no tid",
    token({ tid: undefined }),
    "Graph names the call's tenant in every callback token; a bot that acts on a call must know whose it is, and a " +
      "tenant allow-list cannot be applied without it. botframework-connector, written for channel messages, does not read it.",
  ),
  refuse("an empty tid", token({ tid: "" }), "An empty tenant names no tenant: the same reason as a missing one."),
  refuse(
    "a tid that is not a string",
    token({ tid: 42 as never }),
    "A tenant id is a GUID string; a number cannot be matched to a tenant, so it is as good as missing.",
  ),
  refuse(
    "no exp",
    token({ exp: undefined }),
    "A token without exp never expires: one leaked from a log would be good forever. Graph's tokens always carry " +
      "exp; jsonwebtoken treats it as optional.",
  ),
  refuse(
    "RS384 with the published key",
    token({}, {}, { header: { alg: "RS384" } }),
    "Graph signs callbacks with RS256 only, and its metadata says so (id_token_signing_alg_values_supported). " +
      "Accepting only what the issuer uses leaves no room for an algorithm the key was never meant for.",
  ),
  refuse(
    "RS512 with the published key",
    token({}, {}, { header: { alg: "RS512" } }),
    "The same as RS384: not an algorithm Graph's metadata lists.",
  ),
  refuse(
    "a crit header naming an extension nobody understands",
    token({}, {}, { header: { crit: ["exp-policy"], "exp-policy": "strict" } }),
    "RFC 7515 (4.1.11): a recipient that does not understand an extension that crit lists must reject the token. " +
      "jsonwebtoken ignores crit.",
  ),
  accept(
    "the scheme in lower case (bearer)",
    async (sim) => `bearer ${await sim.signNotificationToken()}`,
    "RFC 9110 (11.1) and RFC 6750: the authentication scheme is case-insensitive. botframework-connector compares it " +
      "with 'Bearer' exactly.",
  ),
  accept(
    "a tab between the scheme and the token",
    async (sim) => `Bearer\t${await sim.signNotificationToken()}`,
    "RFC 9110 allows any run of spaces or tabs (1*SP in the grammar, and proxies fold whitespace). " +
      "botframework-connector splits on one space.",
  ),
  accept(
    "two spaces between the scheme and the token",
    async (sim) => `Bearer  ${await sim.signNotificationToken()}`,
    "As for a tab: the separator is whitespace, not exactly one space.",
  ),
  accept(
    "no kid, with one key published",
    token({}, {}, { header: { kid: undefined } }),
    "kid is optional in a JWS (RFC 7515, 4.1.4); with a single published key there is only one key to try, and " +
      "the signature must still verify with it. botframework-connector looks keys up by kid only.",
  ),
];

// A CommonJS package whose index re-exports its modules in a way Node's ESM loader cannot list, so no named imports.
// JwtTokenExtractor, the class each of its channel validations builds, is not re-exported from the index at all.
const { AuthenticationConstants, ChannelValidation } = connector;
const { JwtTokenExtractor } = extractorModule;

let sim: Simulator;
beforeAll(async () => {
  sim = await start();
});
afterAll(() => sim.close());

/** bot-kit's verdict, with nothing remembered from earlier tokens. */
async function botKit(header: string | undefined): Promise<Verdict> {
  const authenticator = createCallbackAuthenticator({
    appId: sim.app.appId,
    openIdConfigurationUrl: sim.openIdConfigurationUrl,
    tokenCacheSize: 0,
  });
  return (await authenticator.authenticate(header)).ok ? "accepted" : "refused";
}

/**
 * botframework-connector's verdict, configured as its channel validation is (clock tolerance, the algorithms it
 * allows) with Graph's two issuers and the app id as audience. An identity is acceptance; null or a throw is refusal.
 */
async function botFramework(header: string | undefined): Promise<Verdict> {
  const extractor = new JwtTokenExtractor(
    {
      ...ChannelValidation.ToBotFromChannelTokenValidationParameters,
      issuer: ["https://api.botframework.com", "https://graph.microsoft.com"],
      audience: sim.app.appId,
    },
    sim.openIdConfigurationUrl,
    AuthenticationConstants.AllowedSigningAlgorithms,
  );
  // It logs each refusal to the console; the verdict is what matters here.
  const quiet = vi.spyOn(console, "error").mockImplementation(() => undefined);
  try {
    const identity = await extractor.getIdentityFromAuthHeader(header ?? "", "msteams");
    return identity?.isAuthenticated === true ? "accepted" : "refused";
  } catch {
    return "refused";
  } finally {
    quiet.mockRestore();
  }
}

test("bot-kit and botframework-connector agree on every token but the listed ones, where bot-kit is right", async () => {
  const rows: Array<{ name: string; botKit: Verdict; botFramework: Verdict }> = [];
  for (const entry of corpus) {
    const header = await entry.header(sim);
    rows.push({ name: entry.name, botKit: await botKit(header), botFramework: await botFramework(header) });
  }
  const opposite = (verdict: Verdict): Verdict => (verdict === "accepted" ? "refused" : "accepted");
  expect(rows).toEqual(
    corpus.map((entry) => ({
      name: entry.name,
      botKit: entry.verdict,
      botFramework: entry.botFrameworkDiffers === undefined ? entry.verdict : opposite(entry.verdict),
    })),
  );
  expect(corpus.filter((entry) => entry.botFrameworkDiffers !== undefined)).toHaveLength(11);
});
