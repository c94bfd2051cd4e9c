// Invites on the tracker's own paths, over a store shared as instances share it and the simulator in Graph's place:
// an invite sent again while the first awaits Graph's answer, here or on another instance; a clientContext taken by
// another invite, or kept from before fingerprints; a terminal notification that overtakes the answer; a store that
// fails the answer's write; records the store no longer has; what an invite costs the store; and how often an
// invite is counted as ended.
import { randomUUID } from "node:crypto";
import { type InviteClient, inviteBody, userParticipant } from "@graph-invite/client";
import * as api from "@opentelemetry/api";
import { describe, expect, test } from "vitest";
import { ClientContextInUse, MemoryStore } from "../src/index.js";
import { Telemetry } from "../src/telemetry.js";
import { count, useSdk } from "./telemetry-sdk.js";
import {
  inviteInStore,
  inviteRequests,
  parsedOperationNotification,
  sharedStore,
  trackersBesideSimulator,
  within,
} from "./tracker-operations.js";

useSdk();
const world = trackersBesideSimulator({ simulatorByDefault: true });
const { instance } = world;

/** A client whose answers from the simulator are held until `release`; `operationIds` are those answered so far. */
function holdingAnswers() {
  const client = world.client();
  const operationIds: string[] = [];
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const holding: InviteClient = {
    ...client,
    async invite(callId, body, options) {
      const result = await client.invite(callId, body, options);
      if (result.ok) operationIds.push(result.operationId ?? "");
      await released;
      return result;
    },
  };
  return { client: holding, operationIds, release };
}

function newInvite() {
  const call = world.sim.createCall({ kind: "group", callbackUri: "https://127.0.0.1:9/callback" });
  const body = { ...inviteBody(userParticipant(randomUUID())), clientContext: randomUUID() };
  return { callId: call.id, body, clientContext: body.clientContext };
}

describe("an invite sent again with its clientContext", () => {
  test("while the first awaits Graph's answer waits for that answer, here and on another instance, sending nothing", async () => {
    const { store, calls } = sharedStore();
    const held = holdingAnswers();
    const first = instance(store, { client: held.client });
    const other = instance(store);
    const { callId, body, clientContext } = newInvite();
    const sent = first.tracker.invite(callId, body);
    await expect.poll(() => held.operationIds.length).toBe(1);

    const againHere = first.tracker.invite(callId, body);
    const againThere = other.tracker.invite(callId, body);
    // Each retry reads the invite it found, then again once it follows it.
    await expect.poll(() => calls.operationByContext).toBe(4);
    held.release();
    const { operation } = await within(sent);
    expect(operation).toMatchObject({ status: "running", operationId: held.operationIds[0] });
    await other.tracker.onStoreChange({ kind: "operation", clientContext, operationId: operation.operationId });
    for (const again of [againHere, againThere]) {
      await expect(within(again)).resolves.toMatchObject({ clientContext, operation: { status: "running" } });
    }
    expect(inviteRequests(world.sim, callId)).toEqual([200]);
    // Nobody waits on it any more, on either instance: later news of it is dropped unread.
    for (const { tracker } of [first, other]) {
      expect(tracker.onStoreChange({ kind: "operation", clientContext, operationId: null })).toBeUndefined();
    }
    // Once answered, another retry has its answer at once.
    await expect(within(other.tracker.invite(callId, body))).resolves.toMatchObject({
      operation: { status: "running", operationId: operation.operationId },
    });
    expect(inviteRequests(world.sim, callId)).toEqual([200]);
  });

  test("by another invite (another body or call) is refused, and nothing is sent", async () => {
    const { tracker } = instance(new MemoryStore());
    const { callId, body, clientContext } = newInvite();
    await tracker.invite(callId, body);
    const otherBody = { ...inviteBody(userParticipant(randomUUID())), clientContext };
    await expect(tracker.invite(callId, otherBody)).rejects.toBeInstanceOf(ClientContextInUse);
    const otherCall = world.sim.createCall({ kind: "group", callbackUri: "https://127.0.0.1:9/callback" });
    await expect(tracker.invite(otherCall.id, body)).rejects.toBeInstanceOf(ClientContextInUse);
    expect(inviteRequests(world.sim, callId)).toEqual([200]);
    expect(inviteRequests(world.sim, otherCall.id)).toEqual([]);
  });

  test("as a record kept from before fingerprints were kept is a retry, told by the request it keeps", async () => {
    const store = new MemoryStore();
    const { tracker } = instance(store);
    const { callId, body, clientContext } = newInvite();
    // Written with no fingerprint, as by an earlier version of the kit.
    const kept = await inviteInStore(store, { callId, clientContext, request: body });
    expect(kept).not.toHaveProperty("fingerprint");
    await expect(within(tracker.invite(callId, body))).resolves.toMatchObject({
      operation: { status: "running", operationId: kept.operationId },
    });
    const otherBody = { ...inviteBody(userParticipant(randomUUID())), clientContext };
    await expect(tracker.invite(callId, otherBody)).rejects.toBeInstanceOf(ClientContextInUse);
    expect(inviteRequests(world.sim, callId)).toEqual([]);
  });
});

describe("Graph's answer", () => {
  test("overtaken by the terminal notification: the invite resolves with the record as it ended", async () => {
    const held = holdingAnswers();
    const { tracker } = instance(new MemoryStore(), { client: held.client });
    const { callId, body, clientContext } = newInvite();
    const sent = tracker.invite(callId, body);
    await expect.poll(() => held.operationIds.length).toBe(1);
    const operationId = held.operationIds[0] as string;
    const notification = parsedOperationNotification(
      { callId, clientContext, operationId },
      { status: "completed", idOnly: false, code: 200 },
    );
    await tracker.onOperation(notification);
    held.release();
    await expect(within(sent)).resolves.toMatchObject({ operation: { status: "completed", operationId } });
  });

  test("whose write the store fails: the invite rejects with the store's error", async () => {
    const store = new MemoryStore();
    const failure = new Error("the store is read-only");
    const put = store.putOperation.bind(store);
    let writes = 0;
    Object.assign(store, {
      putOperation: async (record: Parameters<MemoryStore["putOperation"]>[0]) => {
        // The invite's first write goes through; the answer's fails.
        if (++writes === 2) throw failure;
        return put(record);
      },
    });
    const { tracker, errors } = instance(store);
    const { callId, body } = newInvite();
    await expect(within(tracker.invite(callId, body))).rejects.toBe(failure);
    expect(errors).toEqual([failure]);
  });

  test("costs one write and no read: it is written over the record as sent, whose revision the tracker keeps", async () => {
    const { store, calls, follows } = sharedStore();
    const { tracker } = instance(store);
    const { callId, body, clientContext } = newInvite();
    const { operation } = await within(tracker.invite(callId, body));
    expect(operation).toMatchObject({ status: "running", revision: 2 });
    expect(calls.operationByContext).toBe(0);
    // The wish to hear of the invite's changes goes with its first write.
    expect(follows).toEqual([{ interest: { clientContext }, options: { withFirstWrite: true } }]);
  });
});

describe("a store of one instance, without follow", () => {
  test("waitFor ends with the terminal notification", async () => {
    const store = new MemoryStore();
    const { tracker } = instance(store);
    const invite = await inviteInStore(store);
    const outcome = tracker.waitFor(invite.clientContext);
    await tracker.onOperation(parsedOperationNotification(invite, { status: "completed", idOnly: false, code: 200 }));
    await expect(within(outcome)).resolves.toMatchObject({ status: "completed" });
  });
});

describe("records the store no longer has", () => {
  test("an invite gone while being followed is waited on, without an error", async () => {
    const shared = sharedStore(async () => {
      shared.forget();
    });
    const { tracker, errors } = instance(shared.store);
    const invite = await inviteInStore(shared.store);
    const outcome = tracker.waitFor(invite.clientContext);
    const settled: unknown[] = [];
    outcome.then(
      (value) => settled.push(value),
      (error: unknown) => settled.push(error),
    );
    await expect.poll(() => shared.follows.length).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(settled).toEqual([]);
    expect(errors).toEqual([]);
    tracker.close();
    await expect(outcome).rejects.toThrow("the bot closed before the invite ended");
  });

  test("a deadline that comes for an invite gone from the store is no error", async () => {
    const shared = sharedStore();
    const { tracker, errors } = instance(shared.store);
    await inviteInStore(shared.store, { deadline: new Date(Date.now() + 50).toISOString() });
    await tracker.start();
    shared.forget();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(errors).toEqual([]);
  });
});

describe("the invites counted as ended", () => {
  const ended = (outcome: string) => count("graph_invite.invites", { "graph_invite.invite.outcome": outcome });

  test("once when the terminal notification comes, not again for a repeat", async () => {
    const store = new MemoryStore();
    const { tracker } = instance(store, { telemetry: new Telemetry(api) });
    const invite = await inviteInStore(store);
    const before = await ended("failed");
    const terminal = parsedOperationNotification(invite, { status: "failed", idOnly: false, code: 500 });
    await tracker.onOperation(terminal);
    expect(await ended("failed")).toBe(before + 1);
    await tracker.onOperation(terminal);
    expect(await ended("failed")).toBe(before + 1);
  });

  test("once for an invite refused before it is sent, and never while one is in flight", async () => {
    const { tracker } = instance(new MemoryStore(), { telemetry: new Telemetry(api) });
    const before = {
      rejected: await ended("rejected"),
      sending: await ended("sending"),
      running: await ended("running"),
    };
    const { callId } = newInvite();
    const { operation } = await tracker.invite(callId, { participants: [] });
    expect(operation.status).toBe("rejected");
    await tracker.invite(callId, inviteBody(userParticipant(randomUUID())));
    expect({
      rejected: await ended("rejected"),
      sending: await ended("sending"),
      running: await ended("running"),
    }).toEqual({
      ...before,
      rejected: before.rejected + 1,
    });
    expect(inviteRequests(world.sim, callId)).toEqual([200]);
  });
});
