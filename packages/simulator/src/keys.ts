// The simulator's two signers. Graph's world has two: the Microsoft identity platform signs the access tokens a
// bot sends to Graph, and the calling service signs the tokens on the notifications Graph sends to the bot. Each
// has its own key and its own published key set, so a bot that mixes them up fails here as it would for real.
import { randomUUID } from "node:crypto";
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
  readonly iss: string;
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

/** A key pair that signs tokens and publishes its public half as a JWKS. */
export class Signer {
  private constructor(private key: SigningKey) {}

  static async create(): Promise<Signer> {
    return new Signer(await createSigningKey());
  }

  /** The JSON Web Key Set to publish: the current key only, so a rotated-out key stops verifying. */
  get jwks(): { keys: JWK[] } {
    return { keys: [this.key.jwk] };
  }

  /** Replaces the key; tokens signed before no longer verify against the published set. */
  async rotate(): Promise<string> {
    this.key = await createSigningKey();
    return this.key.kid;
  }

  async sign(claims: TokenClaimChanges, timing: TokenTiming = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const start = now + (timing.notBefore ?? 0);
    const lifetime = { iat: start, nbf: start, exp: now + (timing.expiresIn ?? 3600) };
    const payload = Object.entries({ ...lifetime, ...claims }).filter(([, value]) => value !== undefined);
    return new SignJWT(Object.fromEntries(payload))
      .setProtectedHeader({ alg: signingAlgorithm, typ: "JWT", kid: this.key.kid })
      .sign(this.key.privateKey);
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
