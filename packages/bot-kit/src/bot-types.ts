// What a bot is to its user: the options of createBot, the bot's methods and the events it emits.
import type { InviteClient } from "@graph-invite/client";
import type { InviteParticipantsRequest } from "@graph-invite/types";
import type { CallbackAuthenticator, CallbackAuthOptions } from "./auth/authenticator.js";
import type { BotStore, OperationRecord, UnmatchedNotification } from "./bot-store.js";
import type { CallStateEvent, RosterEvent, RosterMember } from "./call-state.js";
import type { CheckOptions, CheckReport } from "./check.js";
import type { InviteAndWaitOptions, InviteOutcome, OperationChange, StartedInvite } from "./invite-types.js";
import type { Logger } from "./logger.js";
import type { AcceptedDelivery, DuplicateDelivery, RefusedDelivery } from "./receiver.js";
import type { OpenTelemetryApi } from "./telemetry.js";
import type { FetchHandler } from "./web.js";

/** What `createBot` needs: the invite client and how callbacks are authenticated; the rest has defaults. */
export interface BotOptions {
  /** The invite client, with the bot's credential and Graph's (or the simulator's) base URL. */
  readonly client: InviteClient;
  /** How callbacks are authenticated: the bot's app id, and the optional checks. Or an authenticator of your own. */
  readonly auth: CallbackAuthOptions | CallbackAuthenticator;
  /** Default: a `MemoryStore` with its default retention. */
  readonly store?: BotStore;
  /** The default of {@link InviteAndWaitOptions.timeoutMs}: `defaultInviteTimeoutMs`, 180 000 ms. */
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
   * for `startBot` (all from `@graph-invite/bot-kit/node`). The Web handler answers whatever it is given: your router
   * chose it. Default `/api/calls`.
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

/** The events a bot emits, by name, with what each listener is given: `bot.on(name, listener)`. */
export interface BotEvents extends Record<string, unknown> {
  /** A step in an invite's life: sent, accepted, a notification, the end. */
  operation: OperationChange;
  /** Someone joined, left or changed in a call the bot follows. */
  roster: RosterEvent;
  /** A call the bot follows changed state (established, terminated, …), from Graph's call notifications. */
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
  /** The call, as asked for. */
  readonly callId: string;
  /** Who is in the call now, in the order they joined; empty for a call the bot knows nothing of. */
  readonly participants: readonly RosterMember[];
  /** The call has ended (terminated or deleted): everyone left. False for a call the bot knows nothing of. */
  readonly ended: boolean;
}

/** A calling bot: its notification endpoint, its invites and rosters, its events, and its lifecycle. Made by `createBot`. */
export interface Bot {
  /**
   * The notification endpoint as a Web-standard handler: give it to Hono, a Next.js route handler, Deno, Bun or a
   * worker. For node:http and Express, `nodeHandler(bot)` from `@graph-invite/bot-kit/node`.
   */
  readonly fetch: FetchHandler;
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
  /**
   * Who is in the call, as the participants notifications this bot (or another sharing the store) received built it.
   * A call the store has no roster for gives an empty roster that has not ended.
   */
  roster(callId: string): Promise<Roster>;
  /** The invites of one call, or of every call, oldest first. */
  operations(callId?: string): Promise<OperationRecord[]>;
  /**
   * The notifications the bot kept because they matched nothing it tracks (or did not parse), oldest first, within
   * the store's retention: where to look when Graph sends what the bot did not expect.
   */
  unmatched(): Promise<UnmatchedNotification[]>;
  /**
   * Checks the configuration as Graph will meet it: the app id has the shape of one, the OpenID metadata and its key
   * set can be fetched, and (given a callback URL) the route reaches the bot's handler. Each problem names the setting
   * to change. The bot runs it once at start and logs what it finds, unless `selfCheck: false`.
   */
  check(options?: CheckOptions): Promise<CheckReport>;
  /**
   * Calls `listener` with each event named `name` (see {@link BotEvents}) until the returned function is called.
   * Listeners run in turn as the event happens; one that throws is reported as an `error` event and stops neither the
   * other listeners nor the bot's processing.
   */
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
