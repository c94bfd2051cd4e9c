// Whatever body a bot sends, the simulator answers as Graph would: 200 with an operation, or a 4xx Graph error
// body whose details point at fields that exist. Never a 500, never a hang, never an operation for a refused body.
// A body known to break the contract is refused, and the error names the member that breaks it.
import { inviteBody, phoneParticipant, replacingCall, userParticipant } from "@graph-invite/client";
import { knownBadMutations, placesIn } from "@graph-invite/test-support/examples";
import { parseGraphError } from "@graph-invite/validator";
import fc from "fast-check";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type Simulator, start } from "../src/index.js";
import { type Callback, startCallback } from "./callback.js";
import { postInvite } from "./harness.js";

let sim: Simulator;
let bot: Callback;
let callId = "";

beforeAll(async () => {
  bot = await startCallback();
  sim = await start({ scenario: { defaultAnswer: { kind: "accept", afterMs: 0 } } });
  callId = sim.createCall({ kind: "group", callbackUri: bot.url }).id;
});

afterAll(async () => {
  await sim.close();
  await bot.stop();
});

/** The value at an RFC 6901 pointer, or `missing`; the parent of a missing member is enough for `required`. */
function resolves(document: unknown, pointer: string): boolean {
  if (pointer === "") return true;
  let node: unknown = document;
  const tokens = pointer
    .slice(1)
    .split("/")
    .map((token) => token.replaceAll("~1", "/").replaceAll("~0", "~"));
  for (const [index, token] of tokens.entries()) {
    if (typeof node !== "object" || node === null || !Object.hasOwn(node, token)) return index === tokens.length - 1;
    node = (node as Record<string, unknown>)[token];
  }
  return true;
}

const valid = [
  inviteBody(userParticipant("7e1b4346-85a6-4bdd-abe3-d11c5d420efe"), "context"),
  inviteBody([userParticipant("1e126418-44a0-4a94-a6f8-0efe1ad71acb"), phoneParticipant("+12345678901")]),
  inviteBody(replacingCall(userParticipant("278405a3-f568-4b3e-b684-009193463064"), "unknown-call")),
];
const validBodies = fc.constantFrom(...valid);

/** Each valid body broken each way the contract refuses, with the pointer of the member that was broken. */
const knownBad = valid.flatMap((body) => knownBadMutations(body, ["participants", "identity"]));

/** A valid body with one value somewhere in it replaced by an arbitrary JSON value. */
const mutatedBodies = fc.tuple(validBodies, fc.nat(), fc.jsonValue()).map(([body, at, value]) => {
  const copy = structuredClone(body) as unknown;
  const places = placesIn(copy);
  const [parent, key] = places[at % places.length] ?? [{}, ""];
  parent[key] = value;
  return copy;
});

test("every body gets a 200 with an operation or a Graph error that points at the body", async () => {
  await fc.assert(
    fc.asyncProperty(fc.oneof(fc.jsonValue(), mutatedBodies, validBodies, fc.string()), async (body) => {
      const before = sim.operations().length;
      const response = await postInvite(sim, callId, body);
      if (response.status === 200) {
        expect(sim.operations()).toHaveLength(before + 1);
        expect(response.body).toMatchObject({ status: "Running" });
        return;
      }
      expect(response.status).toBe(400);
      expect(sim.operations()).toHaveLength(before);
      expect(parseGraphError(response.body, { mode: "strict" }).ok).toBe(true);
      const details = (response.body as { error: { details: Array<{ target: string; code: string }> } }).error.details;
      expect(details.length).toBeGreaterThan(0);
      const parsed = typeof body === "string" ? undefined : body;
      for (const detail of details) {
        expect(detail.code).toMatch(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/);
        if (parsed !== undefined) expect(resolves(parsed, detail.target), detail.target).toBe(true);
      }
    }),
    { numRuns: 150 },
  );
  await sim.settled();
});

test("a body known to break the contract is refused with a detail at the member that breaks it", async () => {
  expect(new Set(knownBad.map((mutation) => mutation.kind)).size).toBe(5);
  // A few dozen in all, so every one is sent rather than a sample.
  for (const { kind, pointer, payload } of knownBad) {
    const before = sim.operations().length;
    const response = await postInvite(sim, callId, payload);
    expect(response.status, `${kind} at ${pointer}`).toBe(400);
    expect(sim.operations()).toHaveLength(before);
    const details = (response.body as { error: { details: Array<{ target: string }> } }).error.details;
    expect(details.map((detail) => detail.target)).toContain(pointer);
  }
});
