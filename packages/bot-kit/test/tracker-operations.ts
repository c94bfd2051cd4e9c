// What the tracker tests share: arranging the simulator's answers, reading an operation's record and its steps,
// notifications about an operation as Graph sends them, and a tracker on its own over a store.
import { randomUUID } from "node:crypto";
import { createInviteClient, type InviteClient } from "@graph-invite/client";
import { type Scenario, type Simulator, start } from "@graph-invite/simulator";
import { type OperationNotification, parseNotifications } from "@graph-invite/validator";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import type { BotStore } from "../src/bot-store.js";
import type { OperationEvent, OperationRecord } from "../src/index.js";
import { OperationTracker } from "../src/invite-tracker.js";
import { MemoryStore } from "../src/memory-store.js";
import type { StartedBot } from "../src/node/index.js";
import { KeyedQueue } from "../src/queue.js";
import type { Telemetry } from "../src/telemetry.js";
import { TimeSlices } from "../src/time-slices.js";
import { example, exampleCallId, type World } from "./harness.js";

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

/**
 * A tracker on its own over `store`, as a bot builds it, with what its queue reported and what it kept as unmatched.
 * The client defaults to one that can reach nothing: for tests whose invites are in the store already.
 */
export function trackerOver(
  store: BotStore,
  options: { readonly client?: InviteClient; readonly recheckIntervalMs?: number; readonly telemetry?: Telemetry } = {},
) {
  const errors: unknown[] = [];
  const unmatched: string[] = [];
  const tracker = new OperationTracker({
    client:
      options.client ?? createInviteClient({ credential: async () => "unused", baseUrl: "http://127.0.0.1:9/v1.0" }),
    store,
    queue: new KeyedQueue((error) => errors.push(error)),
    slices: new TimeSlices(),
    defaultTimeoutMs: 60_000,
    recheckIntervalMs: options.recheckIntervalMs ?? 60_000,
    onChange: () => {},
    keepUnmatched: async (_callId, reason) => {
      unmatched.push(reason);
    },
    ...(options.telemetry !== undefined && { telemetry: options.telemetry }),
  });
  return { tracker, errors, unmatched };
}

/**
 * The record of an invite as a bot writes it, by default one Graph has answered (`running`, with its operation id)
 * whose deadline is a minute away, at revision 0: ready for `putOperation` to create.
 */
export function openRecord(fields: Partial<OperationRecord> = {}): OperationRecord {
  const now = new Date().toISOString();
  return {
    clientContext: randomUUID(),
    callId: randomUUID(),
    operationId: randomUUID(),
    status: "running",
    request: { participants: [], clientContext: "" },
    resultInfo: null,
    error: null,
    late: false,
    createdAt: now,
    updatedAt: now,
    deadline: new Date(Date.now() + 60_000).toISOString(),
    revision: 0,
    history: [{ at: now, event: "sent" }],
    ...fields,
  };
}

const completedBody = example<{ value: Array<Record<string, unknown>> }>(
  "example-1-invite-one-participant.operation-completed.json",
);

/**
 * The reference page's operation notification about `record`'s call and operation, through the real parser, with
 * `status` and a resultInfo whose code tells it apart. With `idOnly`, it names the operation by id alone, as Graph
 * may before it has answered the invite.
 */
export function parsedOperationNotification(
  record: Pick<OperationRecord, "callId" | "clientContext" | "operationId">,
  sent: { readonly status: string; readonly idOnly: boolean; readonly code: number },
): OperationNotification {
  const body = structuredClone(completedBody);
  const notification = body.value[0] as { resourceData: Record<string, unknown> };
  notification.resourceData["status"] = sent.status;
  notification.resourceData["id"] = record.operationId;
  if (sent.idOnly) delete notification.resourceData["clientContext"];
  else notification.resourceData["clientContext"] = record.clientContext;
  notification.resourceData["resultInfo"] = { code: sent.code, subcode: 0, message: `sent as ${sent.code}` };
  const parsed = parseNotifications(JSON.stringify(body).replaceAll(exampleCallId, record.callId));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const [classified] = parsed.notifications;
  if (classified?.kind !== "operation") throw new Error("not an operation notification");
  return classified;
}

type Interest = Parameters<NonNullable<BotStore["follow"]>>[0];
type FollowOptions = Parameters<NonNullable<BotStore["follow"]>>[1];

/**
 * A MemoryStore that says it is shared, counting the tracker's reads and recording its wishes to hear of changes
 * (`onFollow` runs inside each `follow`, as a change written meanwhile by another instance). `rewrite` is another
 * instance's write: it goes past the counters, and the tracker hears nothing of it.
 */
export function sharedStore(onFollow?: (interest: Interest) => Promise<void>) {
  const store = new MemoryStore();
  const byContext = store.operationByContext.bind(store);
  const pending = store.pendingOperations.bind(store);
  const calls = { operationByContext: 0, pendingOperations: 0 };
  const follows: Array<{ readonly interest: Interest; readonly options: FollowOptions }> = [];
  Object.assign(store, {
    watch: () => () => {},
    async follow(interest: Interest, options?: FollowOptions) {
      follows.push({ interest, options });
      await onFollow?.(interest);
    },
    operationByContext(clientContext: string) {
      calls.operationByContext++;
      return byContext(clientContext);
    },
    pendingOperations(dueBy?: number) {
      calls.pendingOperations++;
      return pending(dueBy);
    },
  });
  async function rewrite(clientContext: string, fields: Partial<OperationRecord>): Promise<OperationRecord> {
    const record = await byContext(clientContext);
    if (record === undefined) throw new Error(`no record of ${clientContext}`);
    const changed = { ...record, ...fields, updatedAt: new Date().toISOString() };
    expect(await store.putOperation(changed)).toBe(true);
    return { ...changed, revision: changed.revision + 1 };
  }
  /** From now on the store has no record of any invite, as when records outlive their retention. */
  const forget = () => Object.assign(store, { operationByContext: async () => undefined });
  const statusOf = async (clientContext: string) => (await byContext(clientContext))?.status;
  return { store, calls, follows, rewrite, forget, statusOf };
}

export const completed = { status: "completed", resultInfo: { code: 200, subcode: 0, message: "joined" } } as const;

/** An invite of another instance in the store: running unless `fields` say otherwise. */
export async function inviteInStore(store: BotStore, fields: Partial<OperationRecord> = {}): Promise<OperationRecord> {
  const record = openRecord(fields);
  expect(await store.putOperation(record)).toBe(true);
  return record;
}

/**
 * `outcome`, or a rejection once `ms` pass: every invite here has a deadline a minute away unless a test sets it, so
 * this only turns a wait that would last that minute into a quick failure.
 */
export function within<T>(outcome: Promise<T>, ms = 5000): Promise<T> {
  return Promise.race([
    outcome,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms).unref()),
  ]);
}

/**
 * Registers, for a test file, a simulator in Graph's place whose own notifications go nowhere (each test hands the
 * tracker the ones it is about), and closes after each test the trackers `instance` made. `instance` gives a
 * tracker over `store`; with `simulatorByDefault`, its client reaches the simulator unless the options give one.
 */
export function trackersBesideSimulator(options: { readonly simulatorByDefault?: boolean } = {}) {
  const trackers: OperationTracker[] = [];
  const world = {
    sim: undefined as unknown as Simulator,
    client: (): InviteClient => createInviteClient({ credential: world.sim.credential(), baseUrl: world.sim.graphUrl }),
    instance(store: BotStore, trackerOptions: Parameters<typeof trackerOver>[1] = {}) {
      const defaults = options.simulatorByDefault === true ? { client: world.client() } : {};
      const made = trackerOver(store, { ...defaults, ...trackerOptions });
      trackers.push(made.tracker);
      return made;
    },
  };
  beforeAll(async () => {
    world.sim = await start();
    world.sim.setScenario({ delivery: { drop: ["operation", "roster"] } });
  });
  afterEach(() => {
    for (const tracker of trackers.splice(0)) tracker.close();
  });
  afterAll(async () => {
    await world.sim?.close();
  });
  return world;
}
