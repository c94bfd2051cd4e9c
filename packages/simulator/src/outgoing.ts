// Sending a batch of notifications as the scenario's delivery controls and deviations say.
import type { CommsNotificationsBody } from "@graph-invite/types";
import type { SimulatedCall } from "./calls.js";
import type { Courier } from "./delivery.js";
import { withDeviations } from "./deviations.js";
import { sleep } from "./in-flight.js";
import type { NotificationKind, Scenario } from "./options.js";

/** One notification, before the scenario's deviations and delivery controls apply. */
export interface OutgoingNotification {
  readonly kind: NotificationKind;
  /** The call it is about, whose callback receives it and whose app it is addressed to. */
  readonly call: SimulatedCall;
  readonly body: CommsNotificationsBody;
  /** Held back by the scenario's `reorder` and sent out of order. */
  readonly reordered?: boolean;
  /** The invite whose carrying out sends it. */
  readonly operationId?: string;
}

/** What sending needs: the scenario as it is when the batch goes out, the courier, and the simulator's lifetime. */
export interface Dispatcher {
  readonly scenario: Scenario;
  readonly courier: Courier;
  readonly signal: AbortSignal;
}

/**
 * Sends notifications one after another, as the scenario's delivery controls and deviations say, read once for the
 * batch. `terminalSent` is called once the operation's notification has had its first attempt or was dropped.
 */
export async function dispatch(
  outgoing: readonly OutgoingNotification[],
  { scenario, courier, signal }: Dispatcher,
  terminalSent: () => void,
): Promise<void> {
  const { delivery: controls = {}, deviations = [] } = scenario;
  const policy = { maxAttempts: controls.maxAttempts ?? 4, retryDelayMs: controls.retryDelayMs ?? 100 };
  for (const { kind, call, body, reordered, operationId } of outgoing) {
    if ((controls.delayMs ?? 0) > 0) await sleep(controls.delayMs ?? 0, signal);
    const sent = {
      kind,
      callId: call.id,
      url: call.callbackUri,
      body: withDeviations(body, deviations, call),
      ...(reordered === true && { reordered }),
      ...(operationId !== undefined && { operationId }),
    };
    const attempted = kind === "operation" ? terminalSent : undefined;
    if (controls.drop?.includes(kind) === true) {
      courier.drop(sent);
      attempted?.();
      continue;
    }
    const first = await courier.send(sent, call, policy, { afterFirstAttempt: attempted });
    if (controls.duplicate === true) await courier.send(sent, call, policy, { copyOf: first });
  }
}
