// The tracker on its own over a store that instances share, as each instance sees it: what news of another
// instance's change wakes, what the recheck every `recheckIntervalMs` catches when that news is lost, the invites
// picked up at start, `waitFor` on an invite whose instance is gone, and a retry sent to another instance. The store
// is a MemoryStore that says it is shared (it has `watch` and `follow`); the news that the Redis store's feed would
// bring is handed to `onStoreChange` by the test, so each test decides exactly what an instance hears and when.
import { randomUUID } from "node:crypto";
import { type InviteClient, inviteBody, userParticipant } from "@graph-invite/client";
import { describe, expect, test } from "vitest";
import { MemoryStore, type OperationRecord, UnknownInvite } from "../src/index.js";
import {
  completed,
  inviteInStore,
  inviteRequests,
  parsedOperationNotification,
  sharedStore,
  trackersBesideSimulator,
  within,
} from "./tracker-operations.js";

const world = trackersBesideSimulator();
const { instance } = world;

describe("news of another instance's change", () => {
  test("wakes a waiter with the record the news carries, which may be newer than a read would give", async () => {
    const { store, calls } = sharedStore();
    const { tracker, errors } = instance(store);
    const invite = await inviteInStore(store);
    const outcome = tracker.waitFor(invite.clientContext);
    // Its own read, and the read again once it follows the invite.
    await expect.poll(() => calls.operationByContext).toBe(2);
    const news = { ...invite, ...completed, revision: 1 };
    await tracker.onStoreChange({
      kind: "operation",
      clientContext: invite.clientContext,
      operationId: null,
      record: news,
    });
    expect(calls.operationByContext).toBe(2);
    await expect(within(outcome)).resolves.toMatchObject({ status: "completed", resultInfo: completed.resultInfo });
    expect(errors).toEqual([]);
  });

  test("without the record, reads it again and wakes the waiter with what it reads", async () => {
    const { store, calls, rewrite } = sharedStore();
    const { tracker } = instance(store);
    const invite = await inviteInStore(store);
    const outcome = tracker.waitFor(invite.clientContext);
    await expect.poll(() => calls.operationByContext).toBe(2);
    await rewrite(invite.clientContext, completed);
    const news = { kind: "operation", clientContext: invite.clientContext, operationId: null } as const;
    await tracker.onStoreChange(news);
    expect(calls.operationByContext).toBe(3);
    await expect(within(outcome)).resolves.toMatchObject({ status: "completed" });
    // Nobody waits on it any more: later news of it is dropped unread.
    expect(tracker.onStoreChange(news)).toBeUndefined();
  });

  test("about an invite nobody here waits on, and no held notification names, is dropped unread", async () => {
    const { store, calls } = sharedStore();
    const { tracker } = instance(store);
    const invite = await inviteInStore(store);
    const news = { kind: "operation", clientContext: invite.clientContext, operationId: invite.operationId } as const;
    expect(tracker.onStoreChange(news)).toBeUndefined();
    expect(tracker.onStoreChange({ kind: "roster", callId: invite.callId, events: [] })).toBeUndefined();
    expect(calls.operationByContext).toBe(0);
  });

  test("about an invite the store no longer has wakes nobody and reports nothing, nor does a resync", async () => {
    const { store, calls, forget } = sharedStore();
    const { tracker, errors } = instance(store);
    const invite = await inviteInStore(store);
    const settled: string[] = [];
    const outcome = tracker.waitFor(invite.clientContext).then(({ status }) => void settled.push(status));
    await expect.poll(() => calls.operationByContext).toBe(2);
    // Past its retention on the store's side, say: every read from now on finds nothing.
    forget();
    await tracker.onStoreChange({ kind: "operation", clientContext: invite.clientContext, operationId: null });
    await tracker.onStoreChange({ kind: "resync" });
    expect(errors).toEqual([]);
    expect(settled).toEqual([]);
    tracker.close();
    await expect(outcome).rejects.toThrow("the bot closed before the invite ended");
  });

  test("that changes may have been lost (a resync) reads again every invite waited on", async () => {
    const { store, calls, rewrite } = sharedStore();
    const { tracker } = instance(store);
    const first = await inviteInStore(store);
    const second = await inviteInStore(store);
    const outcomes = [tracker.waitFor(first.clientContext), tracker.waitFor(second.clientContext)];
    await expect.poll(() => calls.operationByContext).toBe(4);
    await rewrite(first.clientContext, completed);
    await rewrite(second.clientContext, { status: "failed", resultInfo: { code: 403, subcode: 0, message: "no" } });
    await tracker.onStoreChange({ kind: "resync" });
    await expect(within(Promise.all(outcomes))).resolves.toMatchObject([{ status: "completed" }, { status: "failed" }]);
  });

  test("naming the operation of a held notification applies it to the invite, which nobody here waits on", async () => {
    const { store, rewrite, statusOf } = sharedStore();
    const { tracker, unmatched } = instance(store);
    // Another instance sent the invite and awaits Graph's answer; Graph's terminal notification, naming the operation
    // by id alone, reaches this one first.
    const invite = await inviteInStore(store, { status: "sending", operationId: null });
    const operationId = randomUUID();
    const idOnly = { ...invite, operationId };
    await tracker.onOperation(parsedOperationNotification(idOnly, { status: "completed", idOnly: true, code: 200 }));
    expect(unmatched).toEqual([]);
    expect(await statusOf(invite.clientContext)).toBe("sending");

    await rewrite(invite.clientContext, { status: "running", operationId });
    const unrelated = { kind: "operation", clientContext: randomUUID(), operationId: randomUUID() } as const;
    expect(tracker.onStoreChange(unrelated)).toBeUndefined();
    await tracker.onStoreChange({ kind: "operation", clientContext: invite.clientContext, operationId });
    expect(await statusOf(invite.clientContext)).toBe("completed");
    expect(unmatched).toEqual([]);
  });
});

describe("the recheck every recheckIntervalMs", () => {
  test("wakes a waiter whose news was lost", async () => {
    const { store, calls, rewrite } = sharedStore();
    const { tracker } = instance(store, { recheckIntervalMs: 20 });
    await tracker.start();
    const invite = await inviteInStore(store);
    const outcome = tracker.waitFor(invite.clientContext);
    await expect.poll(() => calls.operationByContext).toBeGreaterThanOrEqual(2);
    await rewrite(invite.clientContext, completed);
    await expect(within(outcome)).resolves.toMatchObject({ status: "completed" });
  });

  test("ends an overdue invite of an instance that is gone, though nobody here waits on it", async () => {
    const { store, statusOf } = sharedStore();
    const { tracker } = instance(store, { recheckIntervalMs: 20 });
    await tracker.start();
    // Written after this instance started, so only the recheck can find it.
    const invite = await inviteInStore(store, { deadline: new Date(Date.now() - 1).toISOString() });
    await expect.poll(() => statusOf(invite.clientContext), { timeout: 5000 }).toBe("timed-out");
  });

  test("applies a held notification once another instance's write names its operation, with no news of it", async () => {
    const { store, rewrite, statusOf } = sharedStore();
    const { tracker, unmatched } = instance(store, { recheckIntervalMs: 20 });
    await tracker.start();
    const invite = await inviteInStore(store, { status: "sending", operationId: null });
    const operationId = randomUUID();
    const idOnly = { ...invite, operationId };
    await tracker.onOperation(parsedOperationNotification(idOnly, { status: "failed", idOnly: true, code: 500 }));
    await rewrite(invite.clientContext, { status: "running", operationId });
    await expect.poll(() => statusOf(invite.clientContext), { timeout: 5000 }).toBe("failed");
    expect(unmatched).toEqual([]);
  });

  test("keeps no process alive, and stops when the tracker closes", async () => {
    const { store, calls } = sharedStore();
    const { tracker } = instance(store, { recheckIntervalMs: 10 });
    const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;
    const before = timers();
    const started = tracker.start();
    expect(timers()).toBe(before);
    await started;
    await expect.poll(() => calls.pendingOperations).toBeGreaterThan(2);
    tracker.close();
    const after = calls.pendingOperations;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(calls.pendingOperations).toBe(after);
  });
});

describe("starting", () => {
  test("picks up the invites in flight in the store and ends each at its own deadline", async () => {
    const { store, statusOf } = sharedStore();
    const { tracker } = instance(store);
    // From before a restart: nobody waits on them, and the recheck is a minute away.
    const soon = await inviteInStore(store, { deadline: new Date(Date.now() + 1000).toISOString() });
    const later = await inviteInStore(store, { deadline: new Date(Date.now() + 30_000).toISOString() });
    await tracker.start();
    expect(await statusOf(soon.clientContext)).toBe("running");
    await expect.poll(() => statusOf(soon.clientContext), { timeout: 5000 }).toBe("timed-out");
    expect(await statusOf(later.clientContext)).toBe("running");
  });
});

describe("waitFor", () => {
  test("with a signal already aborted rejects with its reason before anything is read", async () => {
    const { store, calls } = sharedStore();
    const { tracker } = instance(store);
    const reason = new Error("the caller gave up");
    await expect(tracker.waitFor(randomUUID(), { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(calls.operationByContext).toBe(0);
  });

  test("an invite the store does not have rejects with UnknownInvite naming it", async () => {
    const { tracker } = instance(sharedStore().store);
    const clientContext = randomUUID();
    const waited = tracker.waitFor(clientContext);
    await expect(waited).rejects.toBeInstanceOf(UnknownInvite);
    await expect(waited).rejects.toMatchObject({ clientContext });
  });

  test("rejects with the signal's reason when it aborts while waiting", async () => {
    const { store, calls } = sharedStore();
    const { tracker } = instance(store);
    const invite = await inviteInStore(store);
    const controller = new AbortController();
    const outcome = tracker.waitFor(invite.clientContext, { signal: controller.signal });
    await expect.poll(() => calls.operationByContext).toBe(2);
    const reason = new Error("the request was closed");
    controller.abort(reason);
    await expect(within(outcome)).rejects.toBe(reason);
  });

  test("ends an invite whose instance is gone at its deadline", async () => {
    const { store, statusOf } = sharedStore();
    const { tracker } = instance(store);
    const invite = await inviteInStore(store, { deadline: new Date(Date.now() + 100).toISOString() });
    await expect(within(tracker.waitFor(invite.clientContext))).resolves.toMatchObject({ status: "timed-out" });
    expect(await statusOf(invite.clientContext)).toBe("timed-out");
  });

  test("asks to hear of the invite's changes, then reads it again, so a change made in between is not missed", async () => {
    let invite: OperationRecord | undefined;
    const shared = sharedStore(async (interest) => {
      // Another instance ends the invite after the first read, before the wish to hear of it is recorded.
      if (invite !== undefined && "clientContext" in interest) await shared.rewrite(invite.clientContext, completed);
    });
    const { tracker } = instance(shared.store);
    invite = await inviteInStore(shared.store);
    await expect(within(tracker.waitFor(invite.clientContext))).resolves.toMatchObject({ status: "completed" });
    expect(shared.follows).toEqual([{ interest: { clientContext: invite.clientContext }, options: undefined }]);
  });
});

describe("an invite sent again to another instance", () => {
  test("waits there for the first one's outcome, sending nothing", async () => {
    const { store, calls } = sharedStore();
    const first = instance(store, { client: world.client() });
    const second = instance(store, { client: world.client() });
    const call = world.sim.createCall({ kind: "group", callbackUri: "https://127.0.0.1:9/callback" });
    const body = { ...inviteBody(userParticipant(randomUUID())), clientContext: randomUUID() };
    const started = await first.tracker.invite(call.id, body);
    expect(started.operation.status).toBe("running");

    const readsBefore = calls.operationByContext;
    const retried = second.tracker.inviteAndWait(call.id, body);
    // The retry's read of the invite it found, and the read again once it follows it.
    await expect.poll(() => calls.operationByContext).toBe(readsBefore + 2);
    const terminal = parsedOperationNotification(started.operation, { status: "completed", idOnly: false, code: 200 });
    await first.tracker.onOperation(terminal);
    const { operationId } = started.operation;
    await second.tracker.onStoreChange({ kind: "operation", clientContext: body.clientContext, operationId });
    await expect(within(retried)).resolves.toMatchObject({ status: "completed", operationId });
    expect(inviteRequests(world.sim, call.id)).toEqual([200]);
    expect([...first.errors, ...second.errors]).toEqual([]);
  });

  test("hands the caller's signal to the client that sends it", async () => {
    const signals: Array<AbortSignal | undefined> = [];
    const sending = world.client();
    const recording: InviteClient = {
      ...sending,
      invite: (callId, body, options) => {
        signals.push(options?.signal);
        return sending.invite(callId, body, options);
      },
    };
    const { tracker } = instance(new MemoryStore(), { client: recording });
    const call = world.sim.createCall({ kind: "group", callbackUri: "https://127.0.0.1:9/callback" });
    const controller = new AbortController();
    await tracker.invite(call.id, inviteBody(userParticipant(randomUUID())), { signal: controller.signal });
    expect(signals).toHaveLength(1);
    expect(signals[0]).toBe(controller.signal);
  });
});
