// Retry-safe invites on one instance, against the simulator: the same invite sent again with its clientContext
// reattaches to the first (in flight or ended) and sends nothing; a different invite with that clientContext is
// refused; `invite` answers as soon as Graph has, and `waitFor` gives the outcome later.
import { randomUUID } from "node:crypto";
import { inviteBody, userParticipant } from "@graph-invite/client";
import type { Scenario, Simulator } from "@graph-invite/simulator";
import { describe, expect, test } from "vitest";
import { ClientContextInUse, MemoryStore, type OperationRecord } from "../src/index.js";
import { lifecycle, type World } from "./harness.js";

const store = new MemoryStore();
const { sharedWorld } = lifecycle();
const world = sharedWorld({}, { store });

/** The invite requests the simulator received for a call, but those it answered 429 (the client sends them again). */
const invitesTo = (sim: Simulator, callId: string) =>
  sim
    .requests()
    .filter(
      (request) =>
        request.method === "POST" &&
        request.path.endsWith(`/calls/${callId}/participants/invite`) &&
        request.status !== 429,
    ).length;

/** The value with the keys of every object in reverse order. */
function reversed<T>(value: T): T {
  if (Array.isArray(value)) return value.map(reversed) as T;
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([key, inner]) => [key, reversed(inner)]),
  ) as T;
}

function arrange({ sim, bot }: World, afterMs: number, scenario: Scenario = {}) {
  const user = randomUUID();
  sim.setScenario({ ...scenario, answers: { [user]: { kind: "accept", afterMs } } });
  const call = sim.createCall({ kind: "group", callbackUri: bot.callbackUrl });
  const clientContext = randomUUID();
  return { call, clientContext, body: inviteBody(userParticipant(user), clientContext) };
}

describe("inviteAndWait sent again with the same clientContext", () => {
  test("and the same body, while the first is in flight: one invite reaches Graph and both get its outcome", async () => {
    const w = world();
    const { call, body } = arrange(w, 300);
    const [first, again] = await Promise.all([
      w.bot.inviteAndWait(call.id, body),
      w.bot.inviteAndWait(call.id, structuredClone(body)),
    ]);
    expect(first.status).toBe("completed");
    expect(again).toMatchObject({ status: "completed", operationId: first.operationId });
    expect(invitesTo(w.sim, call.id)).toBe(1);
  });

  test("and the same body after it ended: its outcome at once, and nothing is sent", async () => {
    const w = world();
    const { call, body } = arrange(w, 0);
    const first = await w.bot.inviteAndWait(call.id, body);
    // The same invite built again, the keys of every object in reverse order: still the same invite.
    const again = await w.bot.inviteAndWait(call.id, reversed(body));
    expect(JSON.stringify(reversed(body))).not.toBe(JSON.stringify(body));
    expect(again).toEqual(first);
    expect(invitesTo(w.sim, call.id)).toBe(1);
  });

  test("with another body, or the same body for another call, is refused", async () => {
    const w = world();
    const { call, clientContext, body } = arrange(w, 0);
    await w.bot.inviteAndWait(call.id, body);
    const other = inviteBody(userParticipant(randomUUID()), clientContext);
    await expect(w.bot.inviteAndWait(call.id, other)).rejects.toBeInstanceOf(ClientContextInUse);
    const elsewhere = w.sim.createCall({ kind: "group", callbackUri: w.bot.callbackUrl });
    await expect(w.bot.inviteAndWait(elsewhere.id, body)).rejects.toThrow(
      `clientContext ${clientContext} was used by an earlier invite with another call or body`,
    );
    await expect(w.bot.invite(call.id, other)).rejects.toBeInstanceOf(ClientContextInUse);
    expect(invitesTo(w.sim, call.id) + invitesTo(w.sim, elsewhere.id)).toBe(1);
  });

  test("refused before sending, and sent again: the same refusal, and still nothing sent", async () => {
    const w = world();
    const { call } = arrange(w, 0);
    const body = inviteBody(
      Array.from({ length: 6 }, () => userParticipant(randomUUID())),
      randomUUID(),
    );
    const first = await w.bot.inviteAndWait(call.id, body);
    expect(first.error?.kind).toBe("validation");
    expect(await w.bot.inviteAndWait(call.id, body)).toEqual(first);
    expect(invitesTo(w.sim, call.id)).toBe(0);
  });

  test("of a record kept before fingerprints were: matched by the request it keeps", async () => {
    const w = world();
    const { call, clientContext, body } = arrange(w, 0);
    const first = await w.bot.inviteAndWait(call.id, body);
    const { fingerprint, ...older } = (await store.operationByContext(clientContext)) as OperationRecord;
    expect(fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await store.putOperation(older)).toBe(true);
    expect((await w.bot.inviteAndWait(call.id, body)).record.history).toEqual(first.record.history);
    await expect(
      w.bot.inviteAndWait(call.id, inviteBody(userParticipant(randomUUID()), clientContext)),
    ).rejects.toBeInstanceOf(ClientContextInUse);
  });
});

test("invites asked for at once are recorded in the order they were asked for", async () => {
  const w = world();
  const { call } = arrange(w, 0);
  // Refused before sending, so that nothing but the fingerprint and the write comes between the call and the record.
  // The first is the largest, so that its digest takes longest.
  const bodies = Array.from({ length: 20 }, (_, index) =>
    inviteBody(
      Array.from({ length: 6 }, () =>
        userParticipant(randomUUID(), { displayName: "x".repeat(index === 0 ? 2_000_000 : 1) }),
      ),
      randomUUID(),
    ),
  );
  await Promise.all(bodies.map((body) => w.bot.inviteAndWait(call.id, body)));
  const recorded = (await w.bot.operations(call.id)).map((record) => record.clientContext);
  expect(recorded).toEqual(bodies.map((body) => body.clientContext));
});

describe("invite: start now, learn the outcome later", () => {
  test("resolves with Graph's answer before the outcome, and waitFor gives the outcome", async () => {
    const w = world();
    const { call, clientContext, body } = arrange(w, 1500);
    const started = await w.bot.invite(call.id, body);
    expect(started.clientContext).toBe(clientContext);
    expect(started.operation).toMatchObject({ status: "running", error: null });
    expect(started.operation.operationId).toMatch(/\S/);
    expect(started.operation.history.map((step) => step.event)).toEqual(["sent", "accepted"]);
    const outcome = await w.bot.waitFor(started.clientContext);
    expect(outcome).toMatchObject({ status: "completed", operationId: started.operation.operationId });
  });

  test("sent again while the first waits for Graph's answer: resolves with that answer, and sends nothing", async () => {
    const w = world();
    // Graph answers the first with 429 and Retry-After 0.6 s, so its answer comes 600 ms later: the retry comes while
    // the record still says sending.
    const { call, body } = arrange(w, 1500, { rejectInvites: [{ status: 429, retryAfter: "0.6" }] });
    const [first, again] = await Promise.all([w.bot.invite(call.id, body), w.bot.invite(call.id, body)]);
    expect(first.operation.operationId).toMatch(/\S/);
    expect(again.operation).toMatchObject({ status: "running", operationId: first.operation.operationId });
    expect(invitesTo(w.sim, call.id)).toBe(1);
    expect((await w.bot.waitFor(again.clientContext)).status).toBe("completed");
  });

  test("refused by Graph: resolves rejected with Graph's error", async () => {
    const w = world();
    const started = await w.bot.invite(randomUUID(), inviteBody(userParticipant(randomUUID())));
    expect(started.operation.status).toBe("rejected");
    expect(started.operation.error).toMatchObject({ kind: "graph", status: 404 });
    expect((await w.bot.waitFor(started.clientContext)).status).toBe("rejected");
  });

  test("refused before sending: resolves rejected, and nothing is sent", async () => {
    const w = world();
    const { call } = arrange(w, 0);
    const body = inviteBody([userParticipant(randomUUID()), userParticipant(randomUUID())]);
    const started = await w.bot.invite(call.id, body, { callKind: "p2p" });
    expect(started.operation).toMatchObject({ status: "rejected", error: { kind: "validation" } });
    expect(invitesTo(w.sim, call.id)).toBe(0);
  });
});
