// What makes two invites the same invite: the SHA-256 of the call id and the body as JSON with every object's keys
// sorted, so that the same invite assembled in another order matches, and any change of value or of array order
// does not.
import { createHash } from "node:crypto";
import type { InviteParticipantsRequest } from "@graph-invite/types";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { inviteFingerprint } from "../src/fingerprint.js";

const callId = "2f1a0b00-4c1f-4b4e-9a55-2f6a1f0e2a10";

// A null is data too: JSON from the wire has them.
const body = (): InviteParticipantsRequest =>
  ({
    clientContext: "f2fa86af-3c51-4bc2-8fc0-475452d9764f",
    participants: [
      {
        "@odata.type": "#microsoft.graph.invitationParticipantInfo",
        identity: { user: { id: "a", displayName: "Alex" } },
        replacesCallId: "r",
      },
      { identity: { phone: { id: "+12345678901", displayName: null } } },
    ],
  }) as InviteParticipantsRequest;

/** `value` rebuilt with each object's keys in the order `order` gives them. */
function reordered(value: unknown, order: (keys: string[]) => string[]): unknown {
  if (Array.isArray(value)) return value.map((item) => reordered(item, order));
  if (typeof value !== "object" || value === null) return value;
  const entries = Object.entries(value);
  const byKey = new Map(entries);
  return Object.fromEntries(order(entries.map(([key]) => key)).map((key) => [key, reordered(byKey.get(key), order)]));
}

describe("inviteFingerprint", () => {
  test("is the SHA-256 of [callId, body] as JSON with every object's keys sorted", async () => {
    const sorted = JSON.stringify([
      callId,
      {
        clientContext: "f2fa86af-3c51-4bc2-8fc0-475452d9764f",
        participants: [
          {
            "@odata.type": "#microsoft.graph.invitationParticipantInfo",
            identity: { user: { displayName: "Alex", id: "a" } },
            replacesCallId: "r",
          },
          { identity: { phone: { displayName: null, id: "+12345678901" } } },
        ],
      },
    ]);
    const expected = `sha256:${createHash("sha256").update(sorted).digest("hex")}`;
    await expect(inviteFingerprint(callId, body())).resolves.toBe(expected);
  });

  test("is the same however the invite's objects were assembled", async () => {
    const reference = await inviteFingerprint(callId, body());
    await fc.assert(
      fc.asyncProperty(fc.infiniteStream(fc.double()), async (randomness) => {
        const shuffle = (keys: string[]) => {
          const keyed = keys.map((key) => ({ key, at: randomness.next().value }));
          return keyed.sort((a, b) => a.at - b.at).map(({ key }) => key);
        };
        const shuffled = reordered(body(), shuffle) as InviteParticipantsRequest;
        expect(await inviteFingerprint(callId, shuffled)).toBe(reference);
      }),
      { numRuns: 50 },
    );
    const reversed = reordered(body(), (keys) => [...keys].reverse()) as InviteParticipantsRequest;
    expect(await inviteFingerprint(callId, reversed)).toBe(reference);
  });

  test("differs for another call, another value, or participants in another order", async () => {
    const reference = await inviteFingerprint(callId, body());
    const swapped = body();
    swapped.participants.reverse();
    const renamed = body();
    (renamed.participants[0] as { identity: { user: { displayName: string } } }).identity.user.displayName = "Sam";
    const others = await Promise.all([
      inviteFingerprint("another-call", body()),
      inviteFingerprint(callId, swapped),
      inviteFingerprint(callId, renamed),
      inviteFingerprint(callId, { ...body(), clientContext: "another" }),
    ]);
    expect(new Set([reference, ...others]).size).toBe(5);
  });

  test('keeps a "__proto__" key from the wire as data', async () => {
    const withProto = JSON.parse(
      '{"clientContext":"c","participants":[{"identity":{"user":{"id":"a","__proto__":{"x":1}}}}]}',
    ) as InviteParticipantsRequest;
    const without = JSON.parse(
      '{"clientContext":"c","participants":[{"identity":{"user":{"id":"a"}}}]}',
    ) as InviteParticipantsRequest;
    expect(await inviteFingerprint(callId, withProto)).not.toBe(await inviteFingerprint(callId, without));
  });
});
