// The bodies of the console's control commands, read and checked: each refusal names the field and the rule.
import { randomUUID } from "node:crypto";
import { ConfigError, checkRollover } from "../config.js";
import type { TokenFlaw } from "../delivery.js";
import type { KeyRollover, TokenClaimChanges, TokenTiming } from "../keys.js";
import type { Answer } from "../options.js";

const flaws: readonly TokenFlaw[] = ["valid", "wrong-audience", "wrong-issuer", "no-tenant", "expired"];

/** What the flaw changes in an otherwise valid notification token. */
export function flawed(flaw: TokenFlaw): { claims: TokenClaimChanges; timing?: TokenTiming } {
  switch (flaw) {
    case "valid":
      return { claims: {} };
    case "wrong-audience":
      return { claims: { aud: randomUUID() } };
    case "wrong-issuer":
      return { claims: { iss: "https://issuer.invalid" } };
    case "no-tenant":
      return { claims: { tid: undefined } };
    case "expired":
      // Well past the few minutes of clock skew a verifier allows.
      return { claims: {}, timing: { expiresIn: -3600, notBefore: -7200 } };
  }
}

/** A re-sent notification is tried once: the point is to see the bot's answer to it. */
export const noRetries = { maxAttempts: 1, retryDelayMs: 0 };

/** `{ "kind": "accept" | "decline" | "no-answer" | "ring", "code"?, "subcode"?, "message"? }`. */
export function readAnswerCommand(value: unknown): Answer | { kind: "ring" } {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new ConfigError("", "must be an object");
  const command = value as Record<string, unknown>;
  const allowed = ["kind", "code", "subcode", "message"];
  const unknown = Object.keys(command).find((key) => !allowed.includes(key));
  if (unknown !== undefined) {
    throw new ConfigError(`/${unknown}`, `is not a known property (expected one of ${allowed.join(", ")})`);
  }
  const { kind, code, subcode, message } = command;
  if (kind !== "accept" && kind !== "decline" && kind !== "no-answer" && kind !== "ring") {
    throw new ConfigError("/kind", 'must be one of "accept", "decline", "no-answer", "ring"');
  }
  const integer = (field: string, given: unknown) => {
    if (given === undefined) return {};
    if (typeof given !== "number" || !Number.isInteger(given) || given < 0 || given > 999_999) {
      throw new ConfigError(`/${field}`, "must be an integer from 0 to 999999");
    }
    return { [field]: given };
  };
  if (kind === "accept" || kind === "ring") {
    const extra = ["code", "subcode", "message"].find((key) => command[key] !== undefined);
    if (extra !== undefined) throw new ConfigError(`/${extra}`, `is only for a decline or a no-answer, not ${kind}`);
    return { kind };
  }
  if (message !== undefined && (typeof message !== "string" || message === "" || message.length > 1000)) {
    throw new ConfigError("/message", "must be a non-empty string of at most 1000 characters");
  }
  return {
    kind,
    ...integer("code", code),
    ...integer("subcode", subcode),
    ...(message !== undefined && { message: message as string }),
  };
}

/** `{ "token"?: "valid" | "wrong-audience" | "wrong-issuer" | "no-tenant" | "expired" }`. */
export function readResendCommand(value: unknown): TokenFlaw {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new ConfigError("", "must be an object");
  const unknown = Object.keys(value).find((key) => key !== "token");
  if (unknown !== undefined) throw new ConfigError(`/${unknown}`, "is not a known property (expected token)");
  const { token = "valid" } = value as { token?: unknown };
  if (!flaws.includes(token as TokenFlaw)) {
    throw new ConfigError("/token", `must be one of ${flaws.map((flaw) => JSON.stringify(flaw)).join(", ")}`);
  }
  return token as TokenFlaw;
}

/** `{}` swaps the key at once; `{ overlapMs, retainMs? }` rolls over as Graph does. */
export function readRotateCommand(value: unknown): KeyRollover | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigError("", "must be an object: {} or { overlapMs, retainMs? }");
  }
  return Object.keys(value).length === 0 ? undefined : checkRollover(value);
}
