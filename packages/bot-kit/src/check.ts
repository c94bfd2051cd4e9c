// The bot's self-check: what a misconfigured bot would otherwise show only as invites that time out minutes later.
// Each problem names the setting to change.
import type { CallbackAuthOptions } from "./auth/authenticator.js";
import { callbackOpenIdConfigurationUrls } from "./auth/constants.js";
import type { Logger } from "./logger.js";
import { selfCheckHeader } from "./receiver.js";

/** One thing the self-check found wrong, and the setting that fixes it (such as `auth.appId`). */
export interface CheckProblem {
  /** The option to change, as a path into the bot's options: `auth.appId`, `auth.cloud`, `callbackUrl`, … */
  readonly setting: string;
  /** What is wrong and what it will cause, for people, such as the URL that could not be read and why. */
  readonly message: string;
}

/** What {@link Bot.check} found: `ok` when there is no problem. */
export interface CheckReport {
  /** True when `problems` is empty. */
  readonly ok: boolean;
  /** Each thing found wrong, in the order checked; empty when all is well. */
  readonly problems: readonly CheckProblem[];
}

/** Options of {@link Bot.check}. */
export interface CheckOptions {
  /**
   * The URL Graph calls back (the bot's public URL and notification path). When given, the check POSTs to it without
   * a token and expects the bot's own `401 missing-token`. Default: the bot's `callbackUrl` option.
   */
  readonly callbackUrl?: string;
  /** How long each step may take. Default 5 s. */
  readonly timeoutMs?: number;
  /**
   * How long a callback URL that refuses connections is tried again, for a server that starts listening after the
   * bot is made. Default: `timeoutMs`. `startBot`, whose server listens before it checks, gives 0: a refused
   * connection is reported at once.
   */
  readonly waitForListenerMs?: number;
  /** Stops the check, which then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** What the self-check needs to know of the bot. */
export interface CheckTarget {
  /** The authentication options; undefined when the bot was given an authenticator of its own. */
  readonly auth: CallbackAuthOptions | undefined;
  /** The `path` option, to name in a problem with the callback route. */
  readonly path: string;
  /** Sent with the route's request, so that the bot does not report its own check as a refusal. */
  readonly selfCheckToken: string;
}

const guid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function checkBot(target: CheckTarget, options: CheckOptions = {}): Promise<CheckReport> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const problems: CheckProblem[] = [];
  const { auth } = target;
  if (auth !== undefined) {
    if (!guid.test(auth.appId)) {
      problems.push({
        setting: "auth.appId",
        message: `${JSON.stringify(auth.appId)} is not an app id: Graph's tokens are for the app registration's Application (client) ID, a GUID such as 3f2504e0-4f89-11d3-9a0c-0305e82c3301`,
      });
    }
    const keys = await checkKeys(auth, timeoutMs, options.signal);
    if (keys !== undefined) problems.push(keys);
  }
  if (options.callbackUrl !== undefined) {
    const waitMs = Math.min(options.waitForListenerMs ?? timeoutMs, timeoutMs);
    const route = await checkRoute(options.callbackUrl, target, { timeoutMs, waitMs }, options.signal);
    if (route !== undefined) problems.push(route);
  }
  // A check cut short found nothing worth reporting.
  options.signal?.throwIfAborted();
  return { ok: problems.length === 0, problems };
}

/** The OpenID metadata answers with a `jwks_uri`, and that key set answers with at least one key. */
async function checkKeys(
  auth: CallbackAuthOptions,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<CheckProblem | undefined> {
  const url = auth.openIdConfigurationUrl ?? callbackOpenIdConfigurationUrls[auth.cloud ?? "global"];
  const setting = auth.openIdConfigurationUrl === undefined ? "auth.cloud" : "auth.openIdConfigurationUrl";
  const problem = (what: string): CheckProblem => ({
    setting,
    message: `the signing keys cannot be had, so every notification will be refused with 503: ${what}`,
  });
  const metadata = await fetchJson(url, timeoutMs, signal);
  if (typeof metadata === "string") return problem(`the OpenID metadata at ${url} ${metadata}`);
  const jwksUri = (metadata as { jwks_uri?: unknown } | null)?.jwks_uri;
  if (typeof jwksUri !== "string" || !URL.canParse(jwksUri)) {
    return problem(`the OpenID metadata at ${url} has no jwks_uri`);
  }
  const keySet = await fetchJson(jwksUri, timeoutMs, signal);
  if (typeof keySet === "string") return problem(`the key set at ${jwksUri} ${keySet}`);
  const keys = (keySet as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) return problem(`the key set at ${jwksUri} holds no keys`);
  return undefined;
}

/** The JSON a URL answers, or a string that says what went wrong. */
async function fetchJson(url: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<unknown> {
  try {
    const response = await fetch(url, { signal: deadline(timeoutMs, signal) });
    if (!response.ok) return `answered HTTP ${response.status}`;
    return await response.json();
  } catch (error) {
    return `could not be read (${describe(error)})`;
  }
}

/**
 * The callback URL reaches this kind of handler: a POST without a token gets the receiver's own `401` with
 * `missing-token`. A 404, an app's own 401, or a 500 means the route does not reach the bot.
 */
async function checkRoute(
  callbackUrl: string,
  { path, selfCheckToken }: CheckTarget,
  { timeoutMs, waitMs }: { readonly timeoutMs: number; readonly waitMs: number },
  signal: AbortSignal | undefined,
): Promise<CheckProblem | undefined> {
  const problem = (what: string): CheckProblem => ({
    setting: "callbackUrl",
    message: `Graph's notifications will not reach the bot: ${what}. Mount the bot's handler at the callback URL's path (its path option is ${path}; Express, Connect and Fastify mounts are seen through), before any body parser or authentication of your own`,
  });
  const until = Date.now() + timeoutMs;
  const waitUntil = Date.now() + waitMs;
  for (;;) {
    let response: Response;
    try {
      response = await fetch(callbackUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", [selfCheckHeader]: selfCheckToken },
        body: "{}",
        signal: deadline(Math.max(1, until - Date.now()), signal),
      });
    } catch (error) {
      // At start, the server may not be listening yet.
      if (Date.now() < waitUntil && !signal?.aborted) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      return problem(`POST ${callbackUrl} failed (${describe(error)})`);
    }
    const text = await response.text().catch(() => "");
    const code = codeOf(text);
    if (response.status === 401 && code === "missing-token") return undefined;
    return problem(
      `POST ${callbackUrl} without a token answered HTTP ${response.status}${code === undefined ? "" : ` ${code}`}, not the bot's 401 missing-token`,
    );
  }
}

function codeOf(text: string): string | undefined {
  try {
    const code = (JSON.parse(text) as { error?: { code?: unknown } } | null)?.error?.code;
    return typeof code === "string" ? code : undefined;
  } catch {
    return undefined;
  }
}

function deadline(timeoutMs: number, signal: AbortSignal | undefined): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return signal === undefined ? timeout : AbortSignal.any([timeout, signal]);
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
}

/** Each problem as a warning that starts with the setting to change. */
export function logProblems(logger: Logger, report: CheckReport): void {
  for (const { setting, message } of report.problems) logger.warn({ setting }, `${setting}: ${message}`);
}
