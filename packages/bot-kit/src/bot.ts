// The calling bot's side, put together: the receiver, the delivery dispatch, the invite tracker and the rosters, over
// one store. Only wiring lives here; what each part does is in its own module (see the README's map).
import {
  type CallbackAuthenticator,
  type CallbackAuthOptions,
  createCallbackAuthenticator,
} from "./auth/authenticator.js";
import { attachReceiver } from "./bot-receiver.js";
import type { BotStore, UnmatchedNotification } from "./bot-store.js";
import type { Bot, BotEvents, BotOptions } from "./bot-types.js";
import { type CheckOptions, type CheckReport, checkBot, logProblems } from "./check.js";
import { DeliveryDispatch, finishing, type KeepUnmatched } from "./delivery-dispatch.js";
import { Emitter } from "./events.js";
import { OperationTracker } from "./invite-tracker.js";
import { defaultInviteTimeoutMs, type InviteOutcome } from "./invite-types.js";
import { type Logger, stderrLogger } from "./logger.js";
import { MemoryStore } from "./memory-store.js";
import { firstIssue } from "./parser-issues.js";
import { markingFailures } from "./persist.js";
import { KeyedQueue } from "./queue.js";
import { createReceiver, deliveryKey, type Receive, type RefusedDelivery } from "./receiver.js";
import { RefusalLog } from "./refusals.js";
import { defaultRetention } from "./retention.js";
import { Telemetry } from "./telemetry.js";
import { TimeSlices } from "./time-slices.js";
import { createFetchHandler } from "./web.js";

/** How often waited-on invites are read again by default. */
export const defaultRecheckIntervalMs = 5_000;

/**
 * Creates a bot over its store (a {@link MemoryStore} unless given) and checks its setup at start.
 *
 * @throws TypeError when `auth.appId` is empty.
 */
export function createBot(options: BotOptions): Bot {
  const authOptions = authOptionsOf(options.auth);
  const logger = options.logger ?? stderrLogger;
  const refusals = new RefusalLog(logger);
  // A listener that throws is reported as an error event, unless it was listening to errors: that would loop.
  const events = new Emitter<BotEvents>((error, name) => {
    if (name !== "error") events.emit("error", error);
  });
  const telemetry = new Telemetry(options.openTelemetry);
  const queue = new KeyedQueue((error) => events.emit("error", error));
  const { store, tracker, dispatch, stopping } = processingParts(options, events, telemetry, queue);
  const onRefused = (refusal: RefusedDelivery) => {
    refusals.record(refusal);
    events.emit("refused", refusal);
  };
  const selfCheckToken = crypto.randomUUID();
  const authenticator = authOptions === undefined ? (options.auth as CallbackAuthenticator) : undefined;
  const receiving = receiveWith({
    options,
    authOptions,
    authenticator,
    store,
    events,
    telemetry,
    dispatch,
    onRefused,
    selfCheckToken,
  });
  const following = follow(store, tracker, dispatch, queue, options);
  const path = options.path ?? "/api/calls";
  const checking = selfChecking({ auth: authOptions, path, selfCheckToken }, options, logger);

  const stopWaiting = () => {
    stopping.stop();
    checking.stop();
    following.stop();
    tracker.close();
  };
  /** A timed-out outcome says what was refused while it waited: a wrong app id shows as `wrong-audience`. */
  const explained = async (outcome: Promise<InviteOutcome>): Promise<InviteOutcome> => {
    const result = await outcome;
    if (result.status !== "timed-out") return result;
    return { ...result, refusedWhileWaiting: refusals.since(Date.parse(result.record.createdAt)) };
  };

  const bot: Bot = {
    fetch: createFetchHandler(receiving.receive),
    inviteAndWait: (callId, body, inviteOptions) => explained(tracker.inviteAndWait(callId, body, inviteOptions)),
    invite: (callId, body, inviteOptions) => tracker.invite(callId, body, inviteOptions),
    waitFor: (clientContext, waitOptions) => explained(tracker.waitFor(clientContext, waitOptions)),
    async roster(callId) {
      const roster = await store.roster(callId);
      return { callId, participants: Object.values(roster?.members ?? {}), ended: roster?.ended ?? false };
    },
    operations: (callId) => store.operations(callId),
    unmatched: () => store.unmatched(),
    check: checking.check,
    on: (name, listener) => events.on(name, listener),
    idle: () => queue.idle(),
    stopWaiting,
    async close() {
      // Work that fails on the store while closing is left to the other instances (they take unfinished deliveries
      // over), rather than tried again for as long as the delivery is retained.
      stopping.stop();
      following.stopTakingOver();
      await receiving.stopAccepting();
      await queue.idle();
      stopWaiting();
      // What the store's last changes queued (a waiter woken, say) runs before the caller closes the store's client.
      await queue.idle();
    },
  };
  const failed = (error: unknown) => events.emit("error", error);
  return attachReceiver(bot, { receive: receiving.receive, path, refused: onRefused, failed });
}

/**
 * What processes deliveries and invites over the bot's store (a {@link MemoryStore} unless given): the tracker, the
 * dispatch, and the switch that stops trying failed work again.
 */
function processingParts(options: BotOptions, events: Emitter<BotEvents>, telemetry: Telemetry, queue: KeyedQueue) {
  const given: BotStore = options.store ?? new MemoryStore();
  // Its failures are told apart from the others', so that work that failed on the store is tried again.
  const store = markingFailures(given);
  const slices = new TimeSlices();
  let stopped = false;
  const keepUnmatched: KeepUnmatched = async (callId, reason, notification) => {
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
    recheckIntervalMs: options.recheckIntervalMs ?? defaultRecheckIntervalMs,
    onChange: (change) => events.emit("operation", change),
    telemetry,
    keepUnmatched,
  });
  const dispatch = new DeliveryDispatch({
    store,
    tracker,
    queue,
    slices,
    events,
    telemetry,
    keepUnmatched,
    deliveryRetentionMs: (given.retention ?? defaultRetention).deliveries.maxAgeMs,
    broadcast: options.broadcastEvents === true,
    stopped: () => stopped,
  });
  const stopping = {
    stop() {
      stopped = true;
    },
  };
  return { store, tracker, dispatch, stopping };
}

/**
 * Starts following the store: other instances' changes, the invites in flight, and the deliveries of instances that
 * stopped before processing them.
 */
function follow(
  store: BotStore,
  tracker: OperationTracker,
  dispatch: DeliveryDispatch,
  queue: KeyedQueue,
  options: BotOptions,
): { stop(): void; stopTakingOver(): void } {
  const broadcast = options.broadcastEvents === true;
  const recheckIntervalMs = options.recheckIntervalMs ?? defaultRecheckIntervalMs;
  const unwatch = store.watch?.((change) => dispatch.onStoreChange(change), { broadcast });
  void tracker.start();
  const takeOver =
    store.takeUnfinishedDeliveries === undefined
      ? undefined
      : setInterval(
          () => void queue.run(finishing, () => dispatch.recoverDeliveries()),
          Math.min(1000, recheckIntervalMs),
        );
  takeOver?.unref();
  return {
    stop() {
      clearInterval(takeOver);
      unwatch?.();
    },
    stopTakingOver() {
      clearInterval(takeOver);
    },
  };
}

/** The bot's self-check, run once at start unless `selfCheck: false`, and stopped when the bot stops. */
function selfChecking(
  setup: Parameters<typeof checkBot>[0],
  options: BotOptions,
  logger: Logger,
): { check(checkOptions?: CheckOptions): Promise<CheckReport>; stop(): void } {
  // Stops the self-check's requests when the bot stops.
  const lifetime = new AbortController();
  const check = (checkOptions: CheckOptions = {}) => {
    const callbackUrl = checkOptions.callbackUrl ?? options.callbackUrl;
    return checkBot(setup, {
      ...checkOptions,
      ...(callbackUrl !== undefined && { callbackUrl }),
      signal: checkOptions.signal ?? lifetime.signal,
    });
  };
  // Rejects only when the bot stopped first.
  if (options.selfCheck !== false) check().then((report) => logProblems(logger, report), ignore);
  return { check, stop: () => lifetime.abort() };
}

/**
 * The options to build the authenticator from, or undefined for an authenticator of the caller's own.
 *
 * @throws TypeError when `auth.appId` is empty.
 */
function authOptionsOf(auth: BotOptions["auth"]): CallbackAuthOptions | undefined {
  if ("authenticate" in auth) return undefined;
  if (typeof auth.appId !== "string" || auth.appId.trim() === "") {
    throw new TypeError(
      "auth.appId is empty: give the bot's app id, the Application (client) ID of its app registration (a GUID)",
    );
  }
  return auth;
}

/** What the bot's receiver is built from. */
interface ReceiverParts {
  readonly options: BotOptions;
  readonly authOptions: CallbackAuthOptions | undefined;
  readonly authenticator: CallbackAuthenticator | undefined;
  readonly store: BotStore;
  readonly events: Emitter<BotEvents>;
  readonly telemetry: Telemetry;
  readonly dispatch: DeliveryDispatch;
  readonly onRefused: (refusal: RefusedDelivery) => void;
  /** The secret by which the receiver knows the bot's own self-check. */
  readonly selfCheckToken: string;
}

/**
 * The bot's receiver, timed, handing what it accepts to the dispatch; and how to stop accepting: new deliveries get
 * 503, and the requests being answered finish.
 */
function receiveWith(parts: ReceiverParts): {
  readonly receive: Receive;
  stopAccepting(): Promise<void>;
} {
  const { options, store, events, telemetry, dispatch } = parts;
  let accepting = true;
  /** The requests being answered: close() lets them finish before it waits for their processing. */
  const answering = new Set<Promise<unknown>>();
  const receiveAll = telemetry.timeAnswers(
    createReceiver({
      authenticator: parts.authenticator ?? createCallbackAuthenticator(parts.authOptions as CallbackAuthOptions),
      ...(options.maxBodyBytes !== undefined && { maxBodyBytes: options.maxBodyBytes }),
      claimDelivery: (key, body) => store.claimDelivery(key, body),
      selfCheckToken: parts.selfCheckToken,
      accepting: () => accepting,
      onAccepted: (delivery) => {
        events.emit("delivery", delivery);
        const key = delivery.messageId === undefined ? undefined : deliveryKey(delivery.messageId);
        dispatch.dispatch(delivery.notifications, key, delivery.rejected);
      },
      onInvalid: ({ body, issues, messageId }) => {
        const reason = `a delivery the parser refused: ${firstIssue(issues)}`;
        dispatch.keepInvalid(body, reason, messageId === undefined ? undefined : deliveryKey(messageId));
      },
      onRefused: parts.onRefused,
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
  return {
    receive,
    async stopAccepting() {
      accepting = false;
      await Promise.allSettled([...answering]);
    },
  };
}

function ignore(): void {}
