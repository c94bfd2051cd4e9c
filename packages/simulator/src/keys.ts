// The simulator's two signers. Graph's world has two: the Microsoft identity platform signs the access tokens a
// bot sends to Graph, and the calling service signs the tokens on the notifications Graph sends to the bot. Each
// has its own key and its own published key set, so a bot that mixes them up fails here as it would for real.
import { constants, createHmac, generateKeyPairSync, KeyObject, randomUUID, sign as signBytes } from "node:crypto";
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, jwtVerify, SignJWT } from "jose";

/** The only algorithm either signer uses, as Microsoft's do. */
export const signingAlgorithm = "RS256";

interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly jwk: JWK;
}

async function createSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(signingAlgorithm);
  const kid = randomUUID();
  const jwk = { ...(await exportJWK(publicKey)), kid, use: "sig", alg: signingAlgorithm };
  return { kid, privateKey, publicKey, jwk };
}

/** What a token says, beyond the claims every token gets (`iat`, `nbf`, `exp`). */
export interface TokenClaims extends JWTPayload {
  /** The issuer: `https://api.botframework.com` or `https://graph.microsoft.com`, as Graph's notifications use. */
  readonly iss: string;
  /** The audience: the bot's app id. */
  readonly aud: string;
}

/**
 * Claims to change in a token that is otherwise signed as usual. A claim given replaces the usual one (`exp`, `nbf`
 * and `iat` included, over what the {@link TokenTiming} gives); a claim given as `undefined` is left out, which is how
 * a test gets a token without `tid` or without `exp`.
 */
export type TokenClaimChanges = { readonly [Name in keyof TokenClaims]?: TokenClaims[Name] | undefined };

/** How long a token lives and when it starts, in seconds relative to now. */
export interface TokenTiming {
  /** Seconds until `exp`; negative for a token that has already expired. Default 3600. */
  readonly expiresIn?: number;
  /** Seconds from now to `nbf` and `iat`; negative backdates the token. Default 0. */
  readonly notBefore?: number;
}

/**
 * A staged rollover, as Graph's signing service does it: the next key is published first, signs only once `overlapMs`
 * has passed (so a validator that refreshes its key set on a schedule already has it), and the old key stays
 * published for `retainMs` more (so a token signed just before the switch still verifies).
 */
export interface KeyRollover {
  /** How long the next key is published before it signs. */
  readonly overlapMs: number;
  /** How long the old key stays published after the next one starts signing. Default: `overlapMs`. */
  readonly retainMs?: number;
}

/** The JOSE header members a test can set; a member given as `undefined` is left out of the header. */
export interface TokenHeaderChanges {
  /**
   * `RS256` (the default), `RS384`, `RS512`, `PS256`, `PS384` and `PS512` sign with the RSA key; `HS256`, `HS384` and
   * `HS512` with `hmacSecret` (default: the published public key's PEM, the classic algorithm-confusion forgery);
   * `ES256`, `ES384`, `ES512` and `EdDSA` with a key of that kind that is never published; `none` leaves the token
   * unsigned, with an empty signature.
   */
  readonly alg?: string;
  /** The key id. Default: the signing key's; `undefined` leaves it out. */
  readonly kid?: string | undefined;
  /** The token type. Default `JWT`; `undefined` leaves it out. */
  readonly typ?: string | undefined;
  /** Header members the verifier must understand (RFC 7515 `crit`). */
  readonly crit?: readonly string[];
  /** A key set URL to embed, which a verifier must never follow. */
  readonly jku?: string;
  /** A certificate URL to embed, which a verifier must never follow. */
  readonly x5u?: string;
  /** A JWK to embed, or `"signing-key"` for the public half of the key that signs the token. */
  readonly jwk?: JWK | "signing-key";
  /** Any other member, such as one that `crit` names. */
  readonly [member: string]: unknown;
}

/** How a token for a negative test is signed. */
export interface TokenSigning {
  /** Changes to the JOSE header. */
  readonly header?: TokenHeaderChanges;
  /**
   * Sign with an RSA key the simulator never publishes, under the published key's `kid` unless `header.kid` says
   * otherwise: a forgery that only the signature check can catch. Default false.
   */
  readonly unpublishedKey?: boolean;
  /** The secret of an `HS*` algorithm. Default: the published key's public PEM. */
  readonly hmacSecret?: string;
}

const rsaAlgorithms: Readonly<Record<string, { hash: string; pss: boolean }>> = {
  RS256: { hash: "sha256", pss: false },
  RS384: { hash: "sha384", pss: false },
  RS512: { hash: "sha512", pss: false },
  PS256: { hash: "sha256", pss: true },
  PS384: { hash: "sha384", pss: true },
  PS512: { hash: "sha512", pss: true },
};
const hmacAlgorithms: Readonly<Record<string, string>> = { HS256: "sha256", HS384: "sha384", HS512: "sha512" };
const otherKeyAlgorithms: Readonly<Record<string, { curve: string; hash: string | null }>> = {
  ES256: { curve: "P-256", hash: "sha256" },
  ES384: { curve: "P-384", hash: "sha384" },
  ES512: { curve: "P-521", hash: "sha512" },
  EdDSA: { curve: "ed25519", hash: null },
};

const encodePart = (value: unknown) => Buffer.from(JSON.stringify(value), "utf8").toString("base64url");

/** A key pair that signs tokens and publishes its public half, with its successor and predecessor, as a JWKS. */
export class Signer {
  /** Published but not yet signing. */
  private next: SigningKey | undefined;
  /** Published after signing, until their retention ends. */
  private retired: SigningKey[] = [];
  private switchTimer: NodeJS.Timeout | undefined;
  private readonly retentionTimers = new Set<NodeJS.Timeout>();
  /** Made on first use, for negative tests: keys the key set never names. */
  private readonly unpublished = new Map<string, Promise<KeyObject>>();

  private constructor(private key: SigningKey) {}

  static async create(): Promise<Signer> {
    return new Signer(await createSigningKey());
  }

  /** The kid of the key that signs now. */
  get kid(): string {
    return this.key.kid;
  }

  /** The JSON Web Key Set to publish: the signing key, the next one during a rollover, and those still retained. */
  get jwks(): { keys: JWK[] } {
    return { keys: [this.key, ...(this.next === undefined ? [] : [this.next]), ...this.retired].map((key) => key.jwk) };
  }

  /**
   * Replaces the key. Without a rollover the swap is instant: the new key signs at once and the old one is no longer
   * published, so tokens signed before stop verifying. With one, see {@link KeyRollover}. Returns the new key's kid.
   */
  async rotate(rollover?: KeyRollover): Promise<string> {
    const created = await createSigningKey();
    // A rollover still under way finishes now, so that the key it published is the one retired next.
    if (this.next !== undefined) this.switchToNext(rollover?.retainMs ?? rollover?.overlapMs ?? 0);
    if (rollover === undefined) {
      this.clearTimers();
      this.retired = [];
      this.key = created;
      return created.kid;
    }
    this.next = created;
    this.switchTimer = setTimeout(() => this.switchToNext(rollover.retainMs ?? rollover.overlapMs), rollover.overlapMs);
    this.switchTimer.unref();
    return created.kid;
  }

  /** Stops the rollover's timers; the keys stay as they are. */
  stop(): void {
    this.clearTimers();
  }

  private switchToNext(retainMs: number): void {
    if (this.next === undefined) return;
    clearTimeout(this.switchTimer);
    this.switchTimer = undefined;
    const old = this.key;
    this.key = this.next;
    this.next = undefined;
    this.retired.push(old);
    const timer = setTimeout(() => {
      this.retentionTimers.delete(timer);
      this.retired = this.retired.filter((key) => key !== old);
    }, retainMs);
    timer.unref();
    this.retentionTimers.add(timer);
  }

  private clearTimers(): void {
    clearTimeout(this.switchTimer);
    this.switchTimer = undefined;
    for (const timer of this.retentionTimers) clearTimeout(timer);
    this.retentionTimers.clear();
  }

  async sign(claims: TokenClaimChanges, timing: TokenTiming = {}, signing?: TokenSigning): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const start = now + (timing.notBefore ?? 0);
    const lifetime = { iat: start, nbf: start, exp: now + (timing.expiresIn ?? 3600) };
    const payload = Object.fromEntries(
      Object.entries({ ...lifetime, ...claims }).filter(([, value]) => value !== undefined),
    );
    if (signing === undefined) {
      return new SignJWT(payload)
        .setProtectedHeader({ alg: signingAlgorithm, typ: "JWT", kid: this.key.kid })
        .sign(this.key.privateKey);
    }
    return this.signAsTold(payload, signing);
  }

  /**
   * Signs with node:crypto rather than jose, which refuses some of what negative tests need (a `crit` naming a
   * member it does not know, `alg: none`).
   */
  private async signAsTold(payload: JWTPayload, signing: TokenSigning): Promise<string> {
    const alg = signing.header?.alg ?? signingAlgorithm;
    let privateKey: KeyObject | undefined;
    let publicJwk: JWK | undefined;
    if (rsaAlgorithms[alg] !== undefined || alg === "none" || hmacAlgorithms[alg] !== undefined) {
      privateKey =
        signing.unpublishedKey === true ? await this.unpublishedKey("RSA") : KeyObject.from(this.key.privateKey);
      publicJwk = exportPublicJwk(privateKey);
    } else {
      const kind = otherKeyAlgorithms[alg];
      if (kind === undefined) {
        throw new Error(
          `header.alg ${JSON.stringify(alg)} is not one the signer knows: ${["none", ...Object.keys(rsaAlgorithms), ...Object.keys(hmacAlgorithms), ...Object.keys(otherKeyAlgorithms)].join(", ")}`,
        );
      }
      privateKey = await this.unpublishedKey(kind.curve);
      publicJwk = exportPublicJwk(privateKey);
    }
    const { jwk, ...members } = signing.header ?? {};
    const header = Object.fromEntries(
      Object.entries({
        alg,
        typ: "JWT",
        kid: this.key.kid,
        ...members,
        ...(jwk !== undefined && { jwk: jwk === "signing-key" ? publicJwk : jwk }),
      }).filter(([, value]) => value !== undefined),
    );
    const input = `${encodePart(header)}.${encodePart(payload)}`;
    return `${input}.${this.signature(alg, input, privateKey, signing).toString("base64url")}`;
  }

  private signature(alg: string, input: string, privateKey: KeyObject, signing: TokenSigning): Buffer {
    const data = Buffer.from(input, "ascii");
    if (alg === "none") return Buffer.alloc(0);
    const hmac = hmacAlgorithms[alg];
    if (hmac !== undefined) {
      const secret =
        signing.hmacSecret ?? KeyObject.from(this.key.publicKey).export({ type: "spki", format: "pem" }).toString();
      return createHmac(hmac, secret).update(data).digest();
    }
    const rsa = rsaAlgorithms[alg];
    if (rsa !== undefined) {
      return signBytes(rsa.hash, data, {
        key: privateKey,
        ...(rsa.pss && { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }),
      });
    }
    const other = otherKeyAlgorithms[alg];
    // JWS carries ECDSA signatures as r || s, not the DER that X.509 uses.
    return signBytes(other?.hash ?? null, data, { key: privateKey, dsaEncoding: "ieee-p1363" });
  }

  private unpublishedKey(kind: string): Promise<KeyObject> {
    let key = this.unpublished.get(kind);
    if (key === undefined) {
      key = Promise.resolve(
        kind === "RSA"
          ? generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey
          : kind === "ed25519"
            ? generateKeyPairSync("ed25519").privateKey
            : generateKeyPairSync("ec", { namedCurve: kind }).privateKey,
      );
      this.unpublished.set(kind, key);
    }
    return key;
  }

  /** Verifies a token this signer issued: signature, algorithm, audience and lifetime; the caller checks the issuer. */
  async verify(token: string, expected: { audience: string }): Promise<JWTPayload> {
    const { payload } = await jwtVerify(token, this.key.publicKey, {
      algorithms: [signingAlgorithm],
      audience: expected.audience,
      clockTolerance: 60,
    });
    return payload;
  }
}

function exportPublicJwk(privateKey: KeyObject): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicHalf } = privateKey.export({ format: "jwk" });
  return publicHalf as JWK;
}
