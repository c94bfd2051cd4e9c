// How the HTTP adapters reach a bot's receiver. It is not a property of the bot: whoever holds one could emit
// `refused` and `failed` events as if the bot had. The adapters of this package read it here, by the bot.
import type { Bot } from "./bot-types.js";
import type { Receive, RefusedDelivery } from "./receiver.js";

/** What an HTTP adapter needs of a bot: the receiver, and where to report what it refuses or fails at. */
export interface BotReceiver {
  readonly receive: Receive;
  /** The path notifications are POSTed to. */
  readonly path: string;
  refused(refusal: RefusedDelivery): void;
  failed(error: unknown): void;
}

const receivers = new WeakMap<Bot, BotReceiver>();

/** Records the receiver of a bot {@link createBot} made. */
export function attachReceiver<B extends Bot>(bot: B, receiver: BotReceiver): B {
  receivers.set(bot, receiver);
  return bot;
}

/**
 * The receiver of a bot made by {@link createBot}.
 *
 * @throws TypeError for an object createBot did not make.
 */
export function receiverOf(bot: Bot): BotReceiver {
  const receiver = receivers.get(bot);
  if (receiver === undefined) throw new TypeError("not a bot made by createBot() of @graph-invite/bot-kit");
  return receiver;
}
