// Sends notifications to callbacks as Graph does: POST with a freshly signed bearer token, one message id per
// notification (kept across retries and duplicates), and bounded retries with backoff when the callback fails.
import { randomUUID } from "node:crypto";
import type { CommsNotificationsBody } from "@graph-invite/types";
import { sleep } from "./in-flight.js";
import type { Signer, TokenClaimChanges, TokenClaims, TokenTiming } from "./keys.js";
import type { NotificationKind } from "./options.js";

/** One HTTP request to a callback. */
export interface DeliveryAttempt {
  /** 1 for the first try. */
  readonly attempt: number;
  /** Where it was sent: the callback, or the address an earlier attempt was redirected to. */
  readonly url: string;
  /** When the request started (ISO 8601). */
  readonly sentAt: string;
  /** The request's headers, the token in `Authorization` included. */
  readonly headers: Readonly<Record<string, string>>;
  /** The callback's status, or null when it could not be reached. */
  readonly status: number | null;
  /** Where a redirect told the next attempt to go, or null. */
  readonly location: string | null;
  /** Why the callback could not be reached, or null. */
  readonly error: string | null;
  /** How long the attempt took, in whole milliseconds. */
  readonly durationMs: number;
}

/** One notification and everything that happened to it. */
export interface Delivery {
  /** The message id, sent as `X-Microsoft-Skype-Message-Id`; a duplicate delivery repeats it. */
  readonly messageId: string;
  /** What the notification is about: an operation, a roster or the call. */
  readonly kind: NotificationKind;
  /** The call it is about. */
  readonly callId: string;
  /** The callback URL it was sent to. */
  readonly url: string;
  /** The body exactly as sent, deviations included. */
  readonly body: CommsNotificationsBody;
  /** True for the second copy of a duplicated notification, and for a notification sent again from the control API. */
  readonly duplicate: boolean;
  /** The invite whose carrying out sent it: its operation's id. */
  readonly operationId?: string;
  /** True when the scenario's `reorder` sent it out of the order in which it happened. */
  readonly reordered?: boolean;
  /** Set when the control API sent it again: with the usual token, or with one that is wrong on purpose. */
  readonly resent?: TokenFlaw;
  /**
   * `pending` while being tried; `delivered` once the callback answered 2xx; `rejected` when it answered another
   * status that a sender does not retry; `failed` when every attempt failed; `dropped` when the scenario dropped it.
   */
  outcome: "pending" | "delivered" | "rejected" | "failed" | "dropped";
  /** Each attempt to send it, in order; empty for a dropped notification. */
  readonly attempts: DeliveryAttempt[];
}

export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly retryDelayMs: number;
}

/** How a token sent again from the control API is wrong, so that a bot's refusal can be watched; `valid` is not. */
export type TokenFlaw = "valid" | "wrong-audience" | "wrong-issuer" | "no-tenant" | "expired";

/** What is sent: everything a {@link Delivery} records before it is tried. */
type Notification = Pick<Delivery, "kind" | "callId" | "url" | "body" | "reordered" | "operationId">;

export interface SendOptions {
  /** The delivery this one duplicates: it repeats its message id. */
  readonly copyOf?: Delivery | undefined;
  /** Called once the first attempt has finished, whatever its result. */
  readonly afterFirstAttempt?: (() => void) | undefined;
  /** A send from the control API: the token's claims and lifetime are changed as the flaw says. */
  readonly resent?: { readonly flaw: TokenFlaw; readonly claims: TokenClaimChanges; readonly timing?: TokenTiming };
}

/** The redirects a notification follows, to the address in `Location`. */
const redirects = new Set([301, 302, 307, 308]);

/** The statuses after which a notification sender tries again. */
const retryable = (status: number) => status >= 500 || status === 408 || status === 429;

/** How long one attempt may take before it counts as unreachable. */
const attemptTimeoutMs = 10_000;

export class Courier {
  readonly log: Delivery[] = [];
  /** Told of every new delivery and of every change to one, for the console's live feed. */
  onChange: (delivery: Delivery) => void = () => {};

  constructor(
    private readonly signer: Signer,
    private readonly issuer: string,
    private readonly signal: AbortSignal,
  ) {}

  /** Records a notification the scenario dropped, so tests can see what the bot never got. */
  drop(notification: Notification): Delivery {
    const delivery: Delivery = {
      ...notification,
      messageId: randomUUID(),
      duplicate: false,
      outcome: "dropped",
      attempts: [],
    };
    this.log.push(delivery);
    this.onChange(delivery);
    return delivery;
  }

  /**
   * Delivers a notification, retrying as `policy` allows; resolves when it is delivered or given up. A redirect
   * (301, 302, 307, 308 with `Location`) sends the next attempt to the new address at once, as a callback may move
   * its notifications to another instance of the bot.
   */
  async send(
    notification: Notification,
    audience: { appId: string; tenantId: string },
    policy: RetryPolicy,
    options: SendOptions = {},
  ): Promise<Delivery> {
    const { copyOf, afterFirstAttempt, resent } = options;
    const delivery: Delivery = {
      ...notification,
      messageId: copyOf?.messageId ?? randomUUID(),
      duplicate: copyOf !== undefined,
      ...(resent !== undefined && { resent: resent.flaw }),
      outcome: "pending",
      attempts: [],
    };
    this.log.push(delivery);
    this.onChange(delivery);
    const finished = (outcome: Delivery["outcome"]) => {
      delivery.outcome = outcome;
      this.onChange(delivery);
      return delivery;
    };
    const text = JSON.stringify(delivery.body);
    let url = delivery.url;
    let redirected = false;
    for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
      if (attempt > 1 && !redirected) await sleep(policy.retryDelayMs * 2 ** (attempt - 2), this.signal);
      const result = await this.attempt(delivery, url, text, attempt, audience, resent);
      delivery.attempts.push(result);
      this.onChange(delivery);
      if (attempt === 1) afterFirstAttempt?.();
      redirected = result.location !== null;
      if (redirected) {
        url = result.location ?? url;
        continue;
      }
      if (result.status !== null && result.status >= 200 && result.status < 300) return finished("delivered");
      if (result.status !== null && !retryable(result.status)) return finished("rejected");
    }
    return finished("failed");
  }

  private async attempt(
    delivery: Delivery,
    url: string,
    text: string,
    attempt: number,
    audience: { appId: string; tenantId: string },
    resent: SendOptions["resent"],
  ): Promise<DeliveryAttempt> {
    // RS256 signatures are deterministic and iat has one-second resolution, so without a jti two attempts within the
    // same second would carry byte-identical tokens instead of a fresh one each.
    const claims: TokenClaims = { iss: this.issuer, aud: audience.appId, tid: audience.tenantId, jti: randomUUID() };
    const token = await this.signer.sign({ ...claims, ...resent?.claims }, resent?.timing);
    const headers = {
      "Content-Type": "application/json; charset=utf-8",
      Authorization: `Bearer ${token}`,
      "X-Microsoft-Skype-Message-Id": delivery.messageId,
      "X-Microsoft-Skype-Chain-Id": delivery.callId,
      "Client-Request-Id": randomUUID(),
      "User-Agent": "graph-invite-simulator",
    };
    const sentAt = new Date();
    const started = performance.now();
    const timing = () => ({ sentAt: sentAt.toISOString(), durationMs: Math.round(performance.now() - started) });
    try {
      const response = await fetch(url, {
        method: "POST",
        headers,
        body: text,
        // Followed here rather than by fetch, which would turn a 301 or 302 into a GET without the body.
        redirect: "manual",
        signal: AbortSignal.any([this.signal, AbortSignal.timeout(attemptTimeoutMs)]),
      });
      await response.arrayBuffer();
      const target = response.headers.get("location");
      const location =
        redirects.has(response.status) && target !== null && URL.canParse(target, url)
          ? new URL(target, url).href
          : null;
      return { attempt, url, headers, status: response.status, location, error: null, ...timing() };
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined;
      const reason = cause ?? (error instanceof Error ? error.message : String(error));
      return { attempt, url, headers, status: null, location: null, error: reason, ...timing() };
    }
  }
}
