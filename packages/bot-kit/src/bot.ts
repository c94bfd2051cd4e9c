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
import { type CheckOptions, checkBot, logProblems } from "./check.js";
import { DeliveryDispatch, finishing, type KeepUnmatched } from "./delivery-dispatch.js";
import { Emitter } from "./events.js";
import { OperationTracker } from "./invite-tracker.js";
import { defaultInviteTimeoutMs, type InviteOutcome } from "./invite-types.js";
import { stderrLogger } from "./logger.js";
import { MemoryStore } from "./memory-store.js";
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
  const given: BotStore = options.store ?? new MemoryStore();
  // Its failures are told apart from the others', so that work that failed on the store is tried again.
  const store = markingFailures(given);
  // A listener that throws is reported as an error event, unless it was listening to errors: that would loop.
  const events = new Emitter<BotEvents>((error, name) => {
    if (name !== "error") events.emit("error", error);
  });
  const telemetry = new Telemetry(options.openTelemetry);
  const queue = new KeyedQueue((error) => events.emit("error", error));
  const slices = new TimeSlices();
  const recheckIntervalMs = options.recheckIntervalMs ?? defaultRecheckIntervalMs;
  const broadcast = options.broadcastEvents === true;
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
    recheckIntervalMs,
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
    broadcast,
    stopped: () => stopped,
  });
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
  const receive = receiving.receive;

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
  // Rejects only when the bot stopped first.
  if (options.selfCheck !== false) check().then((report) => logProblems(logger, report), ignore);

  const stopWaiting = () => {
    stopped = true;
    lifetime.abort();
    clearInterval(takeOver);
    unwatch?.();
    tracker.close();
  };
  /** A timed-out outcome says what was refused while it waited: a wrong app id shows as `wrong-audience`. */
  const explained = async (outcome: Promise<InviteOutcome>): Promise<InviteOutcome> => {
    const result = await outcome;
    if (result.status !== "timed-out") return result;
    return { ...result, refusedWhileWaiting: refusals.since(Date.parse(result.record.createdAt)) };
  };

  const bot: Bot = {
    fetch: createFetchHandler(receive),
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
      // Work that fails on the store while closing is left to the other instances (they take unfinished deliveries
      // over), rather than tried again for as long as the delivery is retained.
      stopped = true;
      clearInterval(takeOver);
      await receiving.stopAccepting();
      await queue.idle();
      stopWaiting();
      // What the store's last changes queued (a waiter woken, say) runs before the caller closes the store's client.
      await queue.idle();
    },
  };
  return attachReceiver(bot, { receive, path, refused: onRefused, failed: (error) => events.emit("error", error) });
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
        const [first] = issues;
        const reason = `a delivery the parser refused: ${first?.pointer || "(root)"}: ${first?.message ?? "invalid"}`;
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
