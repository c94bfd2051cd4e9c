// What the parts of the BotStore contract share: a fresh operation record, updates and roster writes that retry
// on a stale revision, and polling until a condition holds.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { inviteBody, userParticipant } from "@graph-invite/client";
import type { BotStore, OperationRecord, RetentionOverrides, RosterState } from "../src/index.js";
import { emptyRoster } from "../src/testing.js";

export interface StoreUnderTest {
  /** A new, empty store with these retention overrides. */
  open(retention?: RetentionOverrides): Promise<BotStore>;
  /** Another handle on the same data, as a second instance of the bot has one (the same one, for one process). */
  another(store: BotStore, retention?: RetentionOverrides): Promise<BotStore>;
  /** Several processes share the store, and so it reports their changes through `watch`. */
  readonly shared: boolean;
}

export function operation(callId: string, overrides: Partial<OperationRecord> = {}): OperationRecord {
  const clientContext = overrides.clientContext ?? randomUUID();
  return {
    clientContext,
    callId,
    operationId: null,
    status: "sending",
    request: inviteBody(userParticipant(randomUUID()), clientContext),
    resultInfo: null,
    error: null,
    late: false,
    createdAt: "2024-01-01T00:00:00.000Z",
    updatedAt: "2024-01-01T00:00:00.000Z",
    deadline: new Date(Date.now() + 60_000).toISOString(),
    revision: 0,
    history: [{ at: "2024-01-01T00:00:00.000Z", event: "sent" }],
    ...overrides,
  };
}

/** Reads the record, lets `change` change it, and writes it back, again and again until no other writer came between. */
export async function update(store: BotStore, clientContext: string, change: (record: OperationRecord) => void) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const record = await store.operationByContext(clientContext);
    if (record === undefined) throw new Error(`no record ${clientContext}`);
    change(record);
    if (await store.putOperation(record)) return attempt;
  }
  throw new Error("200 conflicts in a row");
}

export function member(id: string) {
  return {
    participant: { id, info: { identity: { user: { id, displayName: id } } }, isInLobby: false, isMuted: false },
    version: null,
  };
}

export async function updateRoster(store: BotStore, callId: string, add: string) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const roster = (await store.roster(callId)) ?? emptyRoster(callId);
    const next: RosterState = { ...roster, members: { ...roster.members, [add]: member(add) } };
    if (await store.putRoster(next, [])) return;
  }
  throw new Error("200 conflicts in a row");
}

export const contexts = (records: readonly OperationRecord[]) => records.map((record) => record.clientContext);

/** Polls `condition` every 10 ms, for at most 5 s. */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
    await sleep(10);
  }
}
