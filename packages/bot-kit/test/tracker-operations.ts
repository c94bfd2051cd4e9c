// What the end-to-end tracker tests share: arranging the simulator's answers, reading an operation's record and
// its steps, and notifications about an operation as Graph sends them.
import type { Scenario, Simulator } from "@graph-invite/simulator";
import type { OperationEvent, OperationRecord } from "../src/index.js";
import type { StartedBot } from "../src/node/index.js";
import { example, type World } from "./harness.js";

export type Step = OperationEvent["event"];

export const steps = (record: OperationRecord | undefined): Step[] => record?.history.map((step) => step.event) ?? [];

/** Sets the scenario (the world is shared, so every test sets its own) and creates a group call for the test. */
export function arrange({ sim, bot }: World, scenario: Scenario = {}) {
  sim.setScenario(scenario);
  return sim.createCall({ kind: "group", callbackUri: bot.callbackUrl });
}

/** Waits until the simulator has sent everything and the bot has processed it. */
export async function quiet({ sim, bot }: World): Promise<void> {
  await sim.settled();
  await bot.idle();
}

export async function recordOf(bot: StartedBot, clientContext: string): Promise<OperationRecord | undefined> {
  return (await bot.operations()).find((record) => record.clientContext === clientContext);
}

/** The invite requests the simulator received for a call, with the status it answered each with. */
export function inviteRequests(sim: Simulator, callId: string): number[] {
  return sim
    .requests()
    .filter((request) => request.method === "POST" && request.path.endsWith(`/calls/${callId}/participants/invite`))
    .map((request) => request.status);
}

export type Delivered = ReturnType<Simulator["deliveries"]>[number];

/** The `resourceData` of a delivery's first notification, as sent. */
export function resourceData(delivery: Delivered | undefined): Record<string, unknown> {
  const [first] = (delivery?.body.value ?? []) as Array<{ resourceData?: unknown }>;
  return (first?.resourceData ?? {}) as Record<string, unknown>;
}

export interface NotificationBody {
  value: Array<{ resource: string; resourceUrl: string; changeType: string; resourceData: Record<string, unknown> }>;
}

/** The reference page's example 1 terminal notification, about another call, operation, context and status. */
export function operationNotification(options: {
  callId: string;
  operationId: string;
  clientContext: string | undefined;
  status: string;
  changeType?: string;
  resultInfo?: Record<string, unknown>;
}): string {
  const body = example<NotificationBody>("example-1-invite-one-participant.operation-completed.json");
  const [notification] = body.value;
  if (notification === undefined) throw new Error("example 1 has no notification");
  notification.resource = `/app/calls/${options.callId}/operations/${options.operationId}`;
  notification.resourceUrl = `/communications/calls/${options.callId}/operations/${options.operationId}`;
  notification.changeType = options.changeType ?? "deleted";
  notification.resourceData["id"] = options.operationId;
  notification.resourceData["status"] = options.status;
  if (options.clientContext === undefined) delete notification.resourceData["clientContext"];
  else notification.resourceData["clientContext"] = options.clientContext;
  if (options.resultInfo !== undefined) notification.resourceData["resultInfo"] = options.resultInfo;
  return JSON.stringify(body);
}

/** Resolves with the first `operation` event of `clientContext` whose step is `event`. */
export function nextStep(bot: StartedBot, clientContext: string, event: Step): Promise<OperationRecord> {
  return new Promise((resolve) => {
    const stop = bot.on("operation", ({ record, step }) => {
      if (record.clientContext === clientContext && step.event === event) {
        stop();
        resolve(record);
      }
    });
  });
}
