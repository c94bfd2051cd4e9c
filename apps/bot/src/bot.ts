// The calling bot: its notification endpoint, the invite tracker and the rosters, put together.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { InviteClient } from "@graph-invite/client";
import type { InvitePostRequestBody, ResultInfo } from "@graph-invite/types";
import type { CallNotification, ClassifiedNotification, RosterNotification } from "@graph-invite/validator";
import { createNotificationAuthenticator, type NotificationAuthOptions } from "./auth.js";
import {
  type AcceptedDelivery,
  createNotificationHandler,
  type RefusedDelivery,
  type RequestHandler,
} from "./endpoint.js";
import { Emitter } from "./events.js";
import { KeyedQueue } from "./queue.js";
import { applyRosterNotification, emptyRoster, endRoster, type RosterChange, type RosterEvent } from "./roster.js";
import {
  type BotStore,
  MemoryStore,
  type OperationRecord,
  type RosterMember,
  type RosterState,
  type UnmatchedNotification,
} from "./store.js";
import {
  defaultInviteTimeoutMs,
  type InviteAndWaitOptions,
  type InviteOutcome,
  type OperationChange,
  OperationTracker,
} from "./tracker.js";

export interface BotOptions {
  /** The invite client, with the bot's credential and Graph's (or the simulator's) base URL. */
  readonly client: InviteClient;
  /** How notifications are authenticated: the bot's app id, the OpenID metadata URL, and the optional checks. */
  readonly auth: NotificationAuthOptions;
  /** Default: a {@link MemoryStore}. */
  readonly store?: BotStore;
  /** The default of {@link InviteAndWaitOptions.timeoutMs}: 3 minutes. */
  readonly inviteTimeoutMs?: number;
  /** The largest notification body accepted. Default 1 MiB. */
  readonly maxBodyBytes?: number;
  /** The notification path. Default `/api/calls`. */
  readonly path?: string;
}

/** A call's state changed: Graph's `call` resource with its `state`, and its resultInfo when it ended. */
export interface CallStateEvent {
  readonly callId: string;
  readonly changeType: string;
  readonly state: string | null;
  readonly resultInfo: ResultInfo | null;
}

export interface BotEvents extends Record<string, unknown> {
  /** A step in an invite's life: sent, accepted, a notification, the end. */
  operation: OperationChange;
  /** Someone joined, left or changed in a call the bot follows. */
  roster: RosterEvent;
  call: CallStateEvent;
  /** A delivery passed authentication and parsing, and was acknowledged. */
  delivery: AcceptedDelivery;
  /** A request was refused (401, 403, 413, 415, 400, …) or was a duplicate (202, not processed). */
  refused: RefusedDelivery;
  /** A notification the bot could not attach to anything it tracks; it is kept in the store. */
  unmatched: UnmatchedNotification;
  /** Processing a notification failed. The delivery has been acknowledged already. */
  error: unknown;
}

export interface Roster {
  readonly callId: string;
  readonly participants: readonly RosterMember[];
  readonly ended: boolean;
}

export interface Bot {
  /** The notification endpoint, to mount in a server of your own; {@link startBot} serves it itself. */
  readonly handler: RequestHandler;
  /** Invites, and resolves when the operation's terminal notification arrives (or the timeout passes). */
  inviteAndWait(callId: string, body: InvitePostRequestBody, options?: InviteAndWaitOptions): Promise<InviteOutcome>;
  roster(callId: string): Promise<Roster>;
  /** The invites of one call, or of every call, oldest first. */
  operations(callId?: string): Promise<OperationRecord[]>;
  unmatched(): Promise<UnmatchedNotification[]>;
  on<K extends keyof BotEvents>(name: K, listener: (event: BotEvents[K]) => void): () => void;
  /** Resolves when every notification acknowledged so far has been processed. */
  idle(): Promise<void>;
  /** Every pending {@link Bot.inviteAndWait} rejects, and its timer stops; {@link StartedBot.close} does this. */
  stopWaiting(): void;
}

export interface StartedBot extends Bot {
  /** The server's origin, such as `http://127.0.0.1:3978`. */
  readonly url: string;
  /** The URL to give Graph as a call's callback: the origin and the notification path. */
  readonly callbackUrl: string;
  close(): Promise<void>;
}

export function createBot(options: BotOptions): Bot {
  const store = options.store ?? new MemoryStore();
  // A listener that throws is reported as an error event, unless it was listening to errors: that would loop.
  const events = new Emitter<BotEvents>((error, name) => {
    if (name !== "error") events.emit("error", error);
  });
  const queue = new KeyedQueue((error) => events.emit("error", error));
  const keepUnmatched = async (callId: string | undefined, reason: string, notification: unknown) => {
    const entry: UnmatchedNotification = { at: new Date().toISOString(), callId, reason, notification };
    await store.recordUnmatched(entry);
    events.emit("unmatched", entry);
  };
  const tracker = new OperationTracker({
    client: options.client,
    store,
    queue,
    defaultTimeoutMs: options.inviteTimeoutMs ?? defaultInviteTimeoutMs,
    onChange: (change) => events.emit("operation", change),
    keepUnmatched,
  });

  const unmatched = (notification: ClassifiedNotification, reason: string) =>
    keepUnmatched(notification.callId, reason, notification.notification);

  const applyRoster = async (callId: string, change: (roster: RosterState) => RosterChange) => {
    const { roster, events: changes } = change((await store.roster(callId)) ?? emptyRoster(callId));
    await store.putRoster(roster);
    for (const event of changes) events.emit("roster", event);
  };

  const onRoster = async (notification: RosterNotification) => {
    if (notification.callId === undefined) return unmatched(notification, "a roster whose resourceUrl names no call");
    await applyRoster(notification.callId, (roster) => applyRosterNotification(roster, notification));
  };

  const onCall = async (notification: CallNotification) => {
    if (notification.callId === undefined) return unmatched(notification, "a call notification that names no call");
    const { callId, changeType, state, resultInfo } = notification;
    events.emit("call", { callId, changeType, state, resultInfo });
    if (state === "terminated" || changeType === "deleted") await applyRoster(callId, endRoster);
  };

  const dispatch = (notification: ClassifiedNotification): Promise<void> => {
    switch (notification.kind) {
      case "roster":
        return onRoster(notification);
      case "call":
        return onCall(notification);
      default:
        return unmatched(notification, "neither an operation, a roster nor a call");
    }
  };

  const handler = createNotificationHandler({
    authenticator: createNotificationAuthenticator(options.auth),
    ...(options.path !== undefined && { path: options.path }),
    ...(options.maxBodyBytes !== undefined && { maxBodyBytes: options.maxBodyBytes }),
    claimDelivery: (key) => store.claimDelivery(key),
    onAccepted: (delivery) => {
      events.emit("delivery", delivery);
      for (const notification of delivery.notifications) {
        // Operations have a queue of their own, shared with Graph's answers to the invites, so that each record
        // changes in the order things arrived. Rosters and call states are processed in order within each call.
        if (notification.kind === "operation") void tracker.onOperation(notification);
        else void queue.run(notification.callId ?? "", () => dispatch(notification));
      }
    },
    onInvalid: ({ body, issues }) => {
      const [first] = issues;
      const reason = `a delivery the parser refused: ${first?.pointer || "(root)"}: ${first?.message ?? "invalid"}`;
      // Kept on the queue of deliveries without a call, so that idle() covers it.
      void queue.run("", () => keepUnmatched(undefined, reason, body));
    },
    onRefused: (refusal) => events.emit("refused", refusal),
    onError: (error) => events.emit("error", error),
  });

  return {
    handler,
    inviteAndWait: (callId, body, inviteOptions) => tracker.inviteAndWait(callId, body, inviteOptions),
    async roster(callId) {
      const roster = await store.roster(callId);
      return { callId, participants: Object.values(roster?.members ?? {}), ended: roster?.ended ?? false };
    },
    operations: (callId) => store.operations(callId),
    unmatched: () => store.unmatched(),
    on: (name, listener) => events.on(name, listener),
    idle: () => queue.idle(),
    stopWaiting: () => tracker.close(),
  };
}

export interface ListenOptions {
  /** Default 0: any free port. */
  readonly port?: number;
  /** Default `127.0.0.1`. Graph reaches a bot over HTTPS: put a TLS proxy or tunnel in front of a public bot. */
  readonly host?: string;
}

/** Creates a bot and serves its notification endpoint. */
export async function startBot(options: BotOptions & ListenOptions): Promise<StartedBot> {
  const bot = createBot(options);
  const server: Server = createServer(bot.handler);
  // A notification is small; a client that trickles its headers or body is cut off rather than held forever.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  return {
    ...bot,
    url,
    callbackUrl: `${url}${options.path ?? "/api/calls"}`,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await bot.idle();
      bot.stopWaiting();
    },
  };
}
