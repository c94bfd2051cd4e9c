// The calling bot's side, put together: the receiver, the invite tracker and the rosters, over one store.
import type { InviteClient } from "@graph-invite/client";
import type { InviteParticipantsRequest, ResultInfo } from "@graph-invite/types";
import {
  type CallNotification,
  type ClassifiedNotification,
  parseNotifications,
  type RejectedNotification,
  type RosterNotification,
} from "@graph-invite/validator";
import {
  type CallbackAuthenticator,
  type CallbackAuthOptions,
  createCallbackAuthenticator,
} from "./auth/authenticator.js";
import { type CheckOptions, type CheckReport, checkBot, logProblems } from "./check.js";
import { Emitter } from "./events.js";
import { type Logger, stderrLogger } from "./logger.js";
import { MemoryStore } from "./memory-store.js";
import { markingFailures, persist } from "./persist.js";
import { KeyedQueue } from "./queue.js";
import {
  type AcceptedDelivery,
  createReceiver,
  type DuplicateDelivery,
  deliveryKey,
  type Receive,
  type RefusedDelivery,
} from "./receiver.js";
import { RefusalLog } from "./refusals.js";
import { defaultRetention, type StoreRetention } from "./retention.js";
import { emptyRoster, RosterDraft, type RosterEvent } from "./roster.js";
import type { BotStore, OperationRecord, RosterMember, UnmatchedNotification } from "./store.js";
import { type OpenTelemetryApi, Telemetry } from "./telemetry.js";
import {
  defaultInviteTimeoutMs,
  type InviteAndWaitOptions,
  type InviteOutcome,
  type OperationChange,
  OperationTracker,
  type StartedInvite,
} from "./tracker.js";
import { nextTurn, TimeSlices } from "./turns.js";
import { createFetchHandler, type FetchHandler } from "./web.js";

/** What {@link createBot} needs: the invite client and how callbacks are authenticated; the rest has defaults. */
export interface BotOptions {
  /** The invite client, with the bot's credential and Graph's (or the simulator's) base URL. */
  readonly client: InviteClient;
  /** How callbacks are authenticated: the bot's app id, and the optional checks. Or an authenticator of your own. */
  readonly auth: CallbackAuthOptions | CallbackAuthenticator;
  /** Default: a {@link MemoryStore} with its default retention. */
  readonly store?: BotStore;
  /** The default of {@link InviteAndWaitOptions.timeoutMs}: {@link defaultInviteTimeoutMs}. */
  readonly inviteTimeoutMs?: number;
  /**
   * Metrics and traces. Default: `@opentelemetry/api` if it is installed (an optional peer dependency), reporting to
   * the SDK the application registered; nothing, at no cost, if it is not. Pass the API module itself where it
   * cannot be imported at run time (a bundle for a worker), or `false` to turn both off.
   */
  readonly openTelemetry?: OpenTelemetryApi | false;
  /**
   * How often the invites waited on are read again from the store, and invites past their deadline ended, whichever
   * instance sent them. With a shared store, the store's change feed wakes waiters at once; this is the safety net
   * for news that was lost. Default 5 000 ms.
   */
  readonly recheckIntervalMs?: number;
  /**
   * Emit every roster and call event on every instance that shares the store, for example to push them to the
   * WebSocket clients connected there. Default false: each event is emitted once in the fleet, by the instance that
   * processed the notification, so that a listener that writes to a database or posts a message does it once.
   */
  readonly broadcastEvents?: boolean;
  /** The largest notification body accepted. Default 1 MiB. */
  readonly maxBodyBytes?: number;
  /**
   * The notification path, for the node:http handler and Express/Connect middleware (which pass other paths on) and
   * for {@link startBot}. The Web handler answers whatever it is given: your router chose it. Default `/api/calls`.
   */
  readonly path?: string;
  /**
   * Where the bot says what goes wrong: pino, or anything with `info`/`warn`/`error(fields, message)`. Default: warnings
   * and errors as JSON lines on stderr.
   */
  readonly logger?: Logger;
  /**
   * The URL Graph calls back: your public origin and the notification path. Given, the self-check also POSTs to it
   * and expects the bot's own answer.
   */
  readonly callbackUrl?: string;
  /**
   * Whether the bot checks itself at start ({@link Bot.check}) and logs each problem as a warning. Default true.
   */
  readonly selfCheck?: boolean;
}

/** A call's state changed: Graph's `call` resource with its `state`, and its resultInfo when it ended. */
export interface CallStateEvent {
  readonly callId: string;
  readonly changeType: string;
  readonly state: string | null;
  readonly resultInfo: ResultInfo | null;
}

/** The events a bot emits, by name, with what each listener is given: `bot.on(name, listener)`. */
export interface BotEvents extends Record<string, unknown> {
  /** A step in an invite's life: sent, accepted, a notification, the end. */
  operation: OperationChange;
  /** Someone joined, left or changed in a call the bot follows. */
  roster: RosterEvent;
  call: CallStateEvent;
  /** A delivery passed authentication and parsing, and was acknowledged. */
  delivery: AcceptedDelivery;
  /** A request was refused (401, 403, 404, 413, 415, 400, 503, …), with why. */
  refused: RefusedDelivery;
  /** Graph delivered again what it had delivered (the same message id): answered 202, not processed again. */
  duplicate: DuplicateDelivery;
  /** A notification the bot could not attach to anything it tracks; it is kept in the store. */
  unmatched: UnmatchedNotification;
  /**
   * Something failed that is not the sender's doing: processing a notification after its delivery was acknowledged,
   * or answering a request (which then got 500). A request the bot refused, even with 500 (a body read before the
   * bot's handler), is a `refused` event instead. When processing failed on the store, this instance tries the work
   * again, with a growing pause, until it succeeds or the delivery's retention ends, and reports each failure here.
   */
  error: unknown;
}

/** Who is in a call, as the bot's notifications told it, and whether the call has ended. */
export interface Roster {
  readonly callId: string;
  readonly participants: readonly RosterMember[];
  readonly ended: boolean;
}

/** What an HTTP adapter needs of a bot: the receiver, and where to report what it refuses or fails at. */
export interface BotReceiver {
  readonly receive: Receive;
  /** The path notifications are POSTed to. */
  readonly path: string;
  refused(refusal: RefusedDelivery): void;
  failed(error: unknown): void;
}

/** A calling bot: its notification endpoint, its invites and rosters, its events, and its lifecycle. Made by {@link createBot}. */
export interface Bot {
  /**
   * The notification endpoint as a Web-standard handler: give it to Hono, a Next.js route handler, Deno, Bun or a
   * worker. For node:http and Express, `nodeHandler(bot)` from `@graph-invite/bot-kit/node`.
   */
  readonly fetch: FetchHandler;
  /** For HTTP adapters. */
  readonly receiver: BotReceiver;
  /**
   * Invites, and resolves when the operation's terminal notification arrives (or the timeout passes). The same invite
   * sent again with its `clientContext` waits for the first one's outcome instead of sending anything.
   *
   * @throws ClientContextInUse when `clientContext` was used by an invite with another call or body.
   */
  inviteAndWait(
    callId: string,
    body: InviteParticipantsRequest,
    options?: InviteAndWaitOptions,
  ): Promise<InviteOutcome>;
  /**
   * Invites, and resolves as soon as Graph has answered, with the `clientContext` that {@link Bot.waitFor} takes to
   * learn the outcome later, on this instance or another sharing the store. The same invite sent again with its
   * `clientContext` sends nothing and resolves with the first one's record.
   *
   * @throws ClientContextInUse when `clientContext` was used by an invite with another call or body.
   */
  invite(callId: string, body: InviteParticipantsRequest, options?: InviteAndWaitOptions): Promise<StartedInvite>;
  /**
   * The outcome of an invite sent earlier, by this process or by another that shares the store (one that restarted
   * or crashed, say): at once if it has ended, else at its terminal notification or deadline.
   *
   * @throws UnknownInvite when the store has no invite with this `clientContext`.
   */
  waitFor(clientContext: string, options?: { readonly signal?: AbortSignal }): Promise<InviteOutcome>;
  roster(callId: string): Promise<Roster>;
  /** The invites of one call, or of every call, oldest first. */
  operations(callId?: string): Promise<OperationRecord[]>;
  unmatched(): Promise<UnmatchedNotification[]>;
  /**
   * Checks the configuration as Graph will meet it: the app id has the shape of one, the OpenID metadata and its key
   * set can be fetched, and (given a callback URL) the route reaches the bot's handler. Each problem names the setting
   * to change. The bot runs it once at start and logs what it finds, unless `selfCheck: false`.
   */
  check(options?: CheckOptions): Promise<CheckReport>;
  on<K extends keyof BotEvents>(name: K, listener: (event: BotEvents[K]) => void): () => void;
  /**
   * Resolves when every notification acknowledged so far has been processed. On a worker, hand it to
   * `waitUntil` so that processing outlives the response.
   */
  idle(): Promise<void>;
  /**
   * Every pending {@link Bot.inviteAndWait} and {@link Bot.waitFor} rejects, their timers stop, and the bot stops
   * following the store's changes.
   */
  stopWaiting(): void;
  /**
   * Shuts the bot down: new deliveries get `503` with `Retry-After` (Graph delivers them again, to another instance
   * or after the restart), the requests being answered finish, everything acknowledged is processed, and then the bot
   * stops waiting as {@link Bot.stopWaiting} does. The store's client is left open: close it after this resolves (with
   * Redis, `await bot.close()` and then `await redis.quit()`).
   */
  close(): Promise<void>;
}

/** Work on a call, in the order it arrived: a batch of roster changes, or a change of the call's own state. */
type CallWork = RosterNotification | CallNotification;

/**
 * Creates a bot over its store (a {@link MemoryStore} unless given) and checks its setup at start.
 *
 * @throws TypeError when `auth.appId` is empty.
 */
export function createBot(options: BotOptions): Bot {
  if (
    !("authenticate" in options.auth) &&
    (typeof options.auth.appId !== "string" || options.auth.appId.trim() === "")
  ) {
    throw new TypeError(
      "auth.appId is empty: give the bot's app id, the Application (client) ID of its app registration (a GUID)",
    );
  }
  const logger = options.logger ?? stderrLogger;
  const refusals = new RefusalLog(logger);
  const onRefused = (refusal: RefusedDelivery) => {
    refusals.record(refusal);
    events.emit("refused", refusal);
  };
  /** A timed-out outcome says what was refused while it waited: a wrong app id shows as `wrong-audience`. */
  const explained = async (outcome: Promise<InviteOutcome>): Promise<InviteOutcome> => {
    const result = await outcome;
    if (result.status !== "timed-out") return result;
    return { ...result, refusedWhileWaiting: refusals.since(Date.parse(result.record.createdAt)) };
  };
  const given: BotStore = options.store ?? new MemoryStore();
  // Its failures are told apart from the others', so that work that failed on the store is tried again.
  const store = markingFailures(given);
  const deliveryRetentionMs =
    (given as { retention?: StoreRetention }).retention?.deliveries.maxAgeMs ?? defaultRetention.deliveries.maxAgeMs;
  let stopped = false;
  /** Runs a delivery's work until the store takes it, while the delivery is retained: a 202 is a promise. */
  const persistent = (until: number) => (work: () => Promise<void>) =>
    persist(work, { until, failed: (error) => events.emit("error", error), stopped: () => stopped });
  // A listener that throws is reported as an error event, unless it was listening to errors: that would loop.
  const telemetry = new Telemetry(options.openTelemetry);
  const events = new Emitter<BotEvents>((error, name) => {
    if (name !== "error") events.emit("error", error);
  });
  const queue = new KeyedQueue((error) => events.emit("error", error));
  const slices = new TimeSlices();
  const recheckIntervalMs = options.recheckIntervalMs ?? defaultRecheckIntervalMs;
  const broadcast = options.broadcastEvents === true;
  const keepUnmatched = async (callId: string | undefined, reason: string, notification: unknown) => {
    const entry: UnmatchedNotification = { at: new Date().toISOString(), callId, reason, notification };
    await store.recordUnmatched(entry);
    events.emit("unmatched", entry);
  };
  const tracker = new OperationTracker({
    client: options.client,
    store,
    queue,
    slices,
    defaultTimeoutMs: options.inviteTimeoutMs ?? defaultInviteTimeoutMs,
    recheckIntervalMs,
    onChange: (change) => events.emit("operation", change),
    telemetry,
    keepUnmatched,
  });

  /**
   * Applies a delivery's work on one call: the roster is read and written once, however many notifications, and
   * what changed is announced once it is stored. When another instance wrote the roster in between, the work is
   * done again on the roster it wrote.
   */
  const processCall = async (callId: string, work: readonly CallWork[]) => {
    // Broadcast call events travel with a roster write, so a call's state change writes its roster too.
    const needsRoster = work.some((item) => item.kind === "roster" || endsCall(item) || broadcast);
    for (let attempt = 1; ; attempt++) {
      const stored = needsRoster ? await store.roster(callId) : undefined;
      const draft = needsRoster ? new RosterDraft(stored ?? emptyRoster(callId)) : undefined;
      const announcements: Array<() => void> = [];
      const rosterEvents: RosterEvent[] = [];
      const callEvents: CallStateEvent[] = [];
      for (const item of work) {
        await slices.pace();
        if (item.kind === "call") {
          const event: CallStateEvent = {
            callId,
            changeType: item.changeType,
            state: item.state,
            resultInfo: item.resultInfo,
          };
          callEvents.push(event);
          announcements.push(() => events.emit("call", event));
        }
        const changes = item.kind === "roster" ? draft?.apply(item) : endsCall(item) ? draft?.end() : undefined;
        for (const event of changes ?? []) {
          rosterEvents.push(event);
          announcements.push(() => events.emit("roster", event));
        }
      }
      const written = draft === undefined || (await store.putRoster(draft.state(), rosterEvents, callEvents));
      if (!written) {
        if (attempt === maxRosterConflicts) {
          throw new Error(`the roster of call ${callId}: ${attempt} writes in a row lost to other writers; gave up`);
        }
        continue;
      }
      if (draft !== undefined && draft.refused > 0) {
        const full = new Error(`the roster of call ${callId} is full: ${draft.refused} participants were not added`);
        announcements.push(() => events.emit("error", full));
      }
      for (const announce of announcements) {
        await slices.pace();
        announce();
      }
      return;
    }
  };

  /**
   * Queues a delivery's notifications, and once every one is processed tells the store the delivery is finished
   * (a shared store then forgets the body it kept in case this instance stopped first).
   */
  const processDelivery = (
    notifications: readonly ClassifiedNotification[],
    key: string | undefined,
    rejected: readonly RejectedNotification[] = [],
  ) => {
    const span = telemetry.startProcessing(notifications.length + rejected.length);
    // Processing starts on a later turn, after the answer has been written.
    const answered = nextTurn();
    const attempt = persistent(Date.now() + deliveryRetentionMs);
    const calls = new Map<string, CallWork[]>();
    const work: Array<Promise<void>> = [];
    // A notification of the delivery that could not be read is kept with why: Graph will not send it again.
    for (const { pointer, errors, notification } of rejected) {
      const [first] = errors;
      const reason = `a notification the parser refused: ${first?.pointer || pointer || "(root)"}: ${first?.message ?? "invalid"}`;
      work.push(
        queue.run("", async () => {
          await answered;
          await attempt(() => keepUnmatched(callIdOf(notification), reason, notification));
        }),
      );
    }
    for (const notification of notifications) {
      // Operations have a queue of their own, shared with Graph's answers to the invites, so that each record
      // changes in the order things arrived. Rosters and call states are processed in order within each call.
      if (notification.kind === "operation") {
        work.push(tracker.onOperation(notification, answered, attempt, span));
      } else if (
        (notification.kind === "roster" || notification.kind === "call") &&
        notification.callId !== undefined
      ) {
        const items = calls.get(notification.callId) ?? [];
        items.push(notification);
        calls.set(notification.callId, items);
      } else {
        const reason =
          notification.kind === "roster"
            ? "a roster whose resourceUrl names no call"
            : notification.kind === "call"
              ? "a call notification that names no call"
              : "neither an operation, a roster nor a call";
        work.push(
          queue.run("", async () => {
            await answered;
            await attempt(() => keepUnmatched(notification.callId, reason, notification.notification));
          }),
        );
      }
    }
    for (const [callId, items] of calls) {
      work.push(
        queue.run(callId, async () => {
          await answered;
          await attempt(() => processCall(callId, items));
        }),
      );
    }
    finish(key, work);
    if (span !== undefined) void Promise.allSettled(work).then(() => span.end());
  };

  /** Once `work` is done, the delivery's body can go from a store that keeps it; idle() covers the write. */
  const finish = (key: string | undefined, work: ReadonlyArray<Promise<void>>) => {
    if (key === undefined || store.finishDelivery === undefined) return;
    void queue.run(`${finishing}${key}`, async () => {
      await Promise.all(work);
      await store.finishDelivery?.(key);
    });
  };

  /** Takes over the deliveries of instances that stopped after answering Graph and before processing. */
  const recoverDeliveries = async () => {
    for (const { key, body } of (await store.takeUnfinishedDeliveries?.()) ?? []) {
      // Each body may be a megabyte to parse: the event loop gets a turn between them.
      await slices.pace();
      const parsed = parseNotifications(body, { mode: "tolerant" });
      telemetry.takenOver();
      if (parsed.ok) {
        processDelivery(parsed.notifications, key, parsed.rejected);
        continue;
      }
      const work = [
        keepUnmatched(undefined, "a delivery taken over from a stopped instance that does not parse", body),
      ];
      finish(key, work);
    }
  };

  const selfCheckToken = crypto.randomUUID();
  const authOptions = "authenticate" in options.auth ? undefined : options.auth;
  const authenticator =
    authOptions === undefined ? (options.auth as CallbackAuthenticator) : createCallbackAuthenticator(authOptions);
  let accepting = true;
  /** The requests being answered: close() lets them finish before it waits for their processing. */
  const answering = new Set<Promise<unknown>>();
  const receiveAll = telemetry.timeAnswers(
    createReceiver({
      authenticator,
      ...(options.maxBodyBytes !== undefined && { maxBodyBytes: options.maxBodyBytes }),
      claimDelivery: (key, body) => store.claimDelivery(key, body),
      selfCheckToken,
      accepting: () => accepting,
      onAccepted: (delivery) => {
        events.emit("delivery", delivery);
        processDelivery(
          delivery.notifications,
          delivery.messageId === undefined ? undefined : deliveryKey(delivery.messageId),
          delivery.rejected,
        );
      },
      onInvalid: ({ body, issues, messageId }) => {
        const [first] = issues;
        const reason = `a delivery the parser refused: ${first?.pointer || "(root)"}: ${first?.message ?? "invalid"}`;
        // Kept on the queue of deliveries without a call, so that idle() covers it.
        const attempt = persistent(Date.now() + deliveryRetentionMs);
        const kept = queue.run("", () => attempt(() => keepUnmatched(undefined, reason, body)));
        finish(messageId === undefined ? undefined : deliveryKey(messageId), [kept]);
      },
      onRefused,
      onDuplicate: (duplicate) => events.emit("duplicate", duplicate),
    }),
  );
  events.on("delivery", () => telemetry.delivery("accepted", 202));
  events.on("duplicate", () => telemetry.delivery("duplicate", 202));
  events.on("refused", (refusal) => telemetry.delivery("refused", refusal.status, refusal.reason));

  const receive: Receive = (request) => {
    const answer = receiveAll(request);
    answering.add(answer);
    const settled = () => answering.delete(answer);
    answer.then(settled, settled);
    return answer;
  };

  // What other instances sharing the store changed: news of the invites waited on here, and when every event is
  // broadcast, the roster and call events they processed.
  const unwatch = store.watch?.(
    (change) => {
      if (change.kind !== "roster") {
        void tracker.onStoreChange(change);
        return;
      }
      if (!broadcast) return;
      if (change.tooLarge === true) {
        const message = `the events of a roster change of call ${change.callId} were too large to broadcast (the store's inbox budget): read bot.roster()`;
        events.emit("error", new Error(message));
      }
      for (const event of change.calls ?? []) events.emit("call", event);
      for (const event of change.events) events.emit("roster", event);
    },
    { broadcast },
  );
  void tracker.start();
  const takeOver =
    store.takeUnfinishedDeliveries === undefined
      ? undefined
      : setInterval(() => void queue.run(finishing, recoverDeliveries), Math.min(1000, recheckIntervalMs));
  takeOver?.unref();

  const path = options.path ?? "/api/calls";
  // Stops the self-check's requests when the bot stops.
  const lifetime = new AbortController();
  const check = (checkOptions: CheckOptions = {}) => {
    const callbackUrl = checkOptions.callbackUrl ?? options.callbackUrl;
    return checkBot(
      { auth: authOptions, path, selfCheckToken },
      {
        ...checkOptions,
        ...(callbackUrl !== undefined && { callbackUrl }),
        signal: checkOptions.signal ?? lifetime.signal,
      },
    );
  };
  if (options.selfCheck !== false) {
    // Rejects only when the bot stopped first.
    check().then((report) => logProblems(logger, report), ignore);
  }

  const stopWaiting = () => {
    stopped = true;
    lifetime.abort();
    clearInterval(takeOver);
    unwatch?.();
    tracker.close();
  };

  return {
    fetch: createFetchHandler(receive),
    receiver: {
      receive,
      path,
      refused: onRefused,
      failed: (error) => events.emit("error", error),
    },
    inviteAndWait: (callId, body, inviteOptions) => explained(tracker.inviteAndWait(callId, body, inviteOptions)),
    invite: (callId, body, inviteOptions) => tracker.invite(callId, body, inviteOptions),
    waitFor: (clientContext, waitOptions) => explained(tracker.waitFor(clientContext, waitOptions)),
    async roster(callId) {
      const roster = await store.roster(callId);
      return { callId, participants: Object.values(roster?.members ?? {}), ended: roster?.ended ?? false };
    },
    operations: (callId) => store.operations(callId),
    unmatched: () => store.unmatched(),
    check,
    on: (name, listener) => events.on(name, listener),
    idle: () => queue.idle(),
    stopWaiting,
    async close() {
      accepting = false;
      // Work that fails on the store while closing is left to the other instances (they take unfinished deliveries
      // over), rather than tried again for as long as the delivery is retained.
      stopped = true;
      clearInterval(takeOver);
      await Promise.allSettled([...answering]);
      await queue.idle();
      stopWaiting();
      // What the store's last changes queued (a waiter woken, say) runs before the caller closes the store's client.
      await queue.idle();
    },
  };
}

function ignore(): void {}

/** The queue key of taking over other instances' unfinished deliveries, and the prefix of finishing one. */
const finishing = "\u0000deliveries";

/** How often waited-on invites are read again by default. */
export const defaultRecheckIntervalMs = 5_000;

/** The most times a delivery's roster work is redone because another instance wrote the roster first. */
const maxRosterConflicts = 20;

/** The call a notification names in its path, when it names one: an unreadable notification is still filed by call. */
function callIdOf(notification: unknown): string | undefined {
  if (notification === null || typeof notification !== "object") return undefined;
  const { resourceUrl, resource } = notification as { resourceUrl?: unknown; resource?: unknown };
  const path = typeof resourceUrl === "string" ? resourceUrl : typeof resource === "string" ? resource : "";
  return /\/calls\/([^/?#]+)/i.exec(path)?.[1];
}

/** A call that was terminated or deleted has ended: everyone in it left. */
function endsCall(notification: CallWork): boolean {
  return notification.kind === "call" && (notification.state === "terminated" || notification.changeType === "deleted");
}
