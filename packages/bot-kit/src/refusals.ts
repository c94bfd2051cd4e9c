// What the bot refused, kept so that it can say why: each refusal reason is logged at once the first time and then at
// most once a minute with a count, so a misconfiguration is loud within a second and a flood stays a few lines; the
// latest refusals are kept, bounded, so that an invite that timed out can list what was refused while it waited.

import type { Issue } from "@graph-invite/validator";
import type { Logger } from "./logger.js";

/** A delivery the receiver refused, and why. */
export interface RefusedDelivery {
  /**
   * The HTTP status it was answered with: 401 or 403 (authentication), 503 (signing keys out of reach, or the bot
   * shutting down), 400, 404 (a path the node adapters do not serve), 405, 413, 415, 500 (a body read before the bot's
   * handler), or 499 when the sender hung up before the answer (nothing was sent).
   */
  readonly status: number;
  /**
   * A stable code for the cause, also the `error.code` of the answer's body: an {@link AuthFailureReason}, or
   * `methodNotAllowed`, `shuttingDown`, `bodyAlreadyRead`, `unsupportedMediaType`, `payloadTooLarge`,
   * `invalidNotification`, `notFound`, `clientClosedRequest`; an authenticator of your own may give others.
   */
  readonly reason: string;
  /** What was wrong, for people: the answer's `error.message`. */
  readonly message: string;
  /** For a body that does not parse: where, as JSON Pointers, and which rule. */
  readonly issues?: readonly Issue[];
  /** What was expected and what came, such as the bot's app id and the token's audience for `wrong-audience`. */
  readonly detail?: Readonly<Record<string, unknown>>;
  /** The setting that most likely fixes it, when a setting can (`auth.appId` for a wrong audience). */
  readonly setting?: string;
}

/** The refusals of one reason over a span of time: how many, and the latest one's message and detail. */
export interface RefusalSummary {
  /** The refusals' {@link RefusedDelivery.reason}, such as `wrong-audience`. */
  readonly reason: string;
  /** The HTTP status they were answered with (the latest one's). */
  readonly status: number;
  /** How many requests were refused for this reason in the span of time. */
  readonly count: number;
  /** The latest refusal's message. */
  readonly message: string;
  /** The latest refusal's detail, such as the expected and the received audience. */
  readonly detail?: Readonly<Record<string, unknown>>;
  /** The setting that most likely fixes it, when one does (`auth.appId` for a wrong audience). */
  readonly setting?: string;
  /** When the latest one was refused, as an ISO 8601 time. */
  readonly lastAt: string;
}

/** The setting to look at for each reason that configuration can cause. */
export const settingOfReason: Readonly<Record<string, string>> = {
  "wrong-audience": "auth.appId",
  "wrong-issuer": "auth.issuers",
  "unknown-key": "auth.openIdConfigurationUrl",
  "keys-unavailable": "auth.openIdConfigurationUrl",
  "tenant-not-allowed": "auth.allowedTenants",
  notFound: "path",
  payloadTooLarge: "maxBodyBytes",
};

/** How many refusals are kept for outcomes; older ones are forgotten first. */
const kept = 1000;

/** The shortest time between two log lines about one reason. */
const logIntervalMs = 60_000;

interface Entry {
  readonly at: number;
  readonly refusal: RefusedDelivery;
}

export class RefusalLog {
  private readonly entries: Entry[] = [];
  private next = 0;
  /** Per reason: when it was last logged, and how many came since. */
  private readonly logged = new Map<string, { at: number; since: number; total: number }>();

  /** `clock` is for tests, which cannot wait a minute for the next report. */
  constructor(
    private readonly logger: Logger,
    private readonly clock: () => number = Date.now,
  ) {}

  record(refusal: RefusedDelivery): void {
    const now = this.clock();
    // A 400's issues may be many: what is kept is what a summary shows.
    const { status, reason, message, detail, setting } = refusal;
    const entry: Entry = {
      at: now,
      refusal: {
        status,
        reason,
        message,
        ...(detail !== undefined && { detail }),
        ...(setting !== undefined && { setting }),
      },
    };
    if (this.entries.length < kept) this.entries.push(entry);
    else this.entries[this.next] = entry;
    this.next = (this.next + 1) % kept;
    this.log(refusal, now);
  }

  /** The refusals since `since` (epoch milliseconds), by reason, most frequent first. */
  since(since: number): RefusalSummary[] {
    const byReason = new Map<string, { count: number; latest: Entry }>();
    for (const entry of this.oldestFirst()) {
      if (entry.at < since) continue;
      const summary = byReason.get(entry.refusal.reason);
      if (summary === undefined) byReason.set(entry.refusal.reason, { count: 1, latest: entry });
      else {
        summary.count++;
        summary.latest = entry;
      }
    }
    return [...byReason.values()]
      .sort((a, b) => b.count - a.count)
      .map(({ count, latest: { at, refusal } }) => summarise(refusal, count, at));
  }

  /**
   * The entries in the order they were recorded, so that the last of a reason is its latest even among refusals of
   * one millisecond. The oldest is the one `next` overwrites once the ring is full; until then `next` is the length,
   * and the order is the array's.
   */
  private *oldestFirst(): Generator<Entry> {
    const { length } = this.entries;
    for (let i = 0; i < length; i++) yield this.entries[(this.next + i) % length] as Entry;
  }

  private log(refusal: RefusedDelivery, now: number): void {
    const { reason } = refusal;
    const state = this.logged.get(reason);
    if (state !== undefined && now - state.at < logIntervalMs) {
      state.since++;
      state.total++;
      return;
    }
    const total = (state?.total ?? 0) + 1;
    const count = (state?.since ?? 0) + 1;
    // Bounded by the reasons the kit knows, plus the few an authenticator of your own may give.
    if (state !== undefined || this.logged.size < 100) this.logged.set(reason, { at: now, since: 0, total });
    const summary = summarise(refusal, count, now);
    const fields = { ...summary, total };
    const setting =
      summary.setting === undefined || refusal.message.includes(summary.setting) ? "" : ` (check ${summary.setting})`;
    const repeat = count > 1 ? `; ${count} refused for this reason since the last report, ${total} in all` : "";
    const line = `a notification was refused with ${refusal.status} ${reason}: ${refusal.message}${setting}${repeat}`;
    if (refusal.status >= 500) this.logger.error(fields, line);
    else this.logger.warn(fields, line);
  }
}

function summarise(refusal: RefusedDelivery, count: number, at: number): RefusalSummary {
  const setting = refusal.setting ?? settingOfReason[refusal.reason];
  return {
    reason: refusal.reason,
    status: refusal.status,
    count,
    message: refusal.message,
    ...(refusal.detail !== undefined && { detail: refusal.detail }),
    ...(setting !== undefined && { setting }),
    lastAt: new Date(at).toISOString(),
  };
}
