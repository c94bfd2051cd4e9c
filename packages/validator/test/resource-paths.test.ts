// Graph's documentation promises only that `resourceUrl` is "the URI of the resource that was changed", and that
// `resourceData` is "either an entity or a collection of entities depending on the number of changes packaged". The
// tolerant parser must read a notification the same whichever way its path is spelt and whichever shape its data has.

import { example } from "@graph-invite/test-support/examples";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ClassifiedNotification, parseNotifications } from "../src/index.js";

const callId = "57DAB8B1894C409AB240BD8BEAE78896";
const participantId = "2b1d2c3e-0f4a-4b5c-9d6e-7f8a9b0c1d2e";
const operationId = "eec3812a-fdc3-4fb4-825c-a06c9f35414e";

type Json = Record<string, unknown>;
const firstData = (name: string): Json[] | Json =>
  (example<{ value: Array<{ resourceData: Json[] | Json }> }>(name).value[0] as { resourceData: Json[] | Json })
    .resourceData;

const participant: Json = {
  ...(firstData("example-1-invite-one-participant.roster-updated.json") as Json[])[0],
  id: participantId,
};
const { id: _, ...operation } = firstData("example-1-invite-one-participant.operation-completed.json") as Json;
const call: Json = { "@odata.type": "#microsoft.graph.call", state: "terminated" };

/**
 * What each resource under a call sends, and what the parser must make of it, as an entity and as a collection of
 * one. Only a collection on the roster path is the whole roster; a participant on its own is one change.
 */
const resources = [
  { under: "", data: call, entity: { kind: "call", state: "terminated" } },
  { under: "/participants", data: participant, entity: { kind: "roster", delta: true }, collection: { delta: false } },
  { under: `/participants/${participantId}`, data: participant, entity: { kind: "roster", delta: true } },
  { under: `/operations/${operationId}`, data: operation, entity: { kind: "operation", operationId } },
  // Graph's own Example 2 sends both the operation and the roster on this path, which names no operation.
  { under: "/operations/participants", data: operation, entity: { kind: "operation", operationId: null } },
  {
    under: "/operations/participants",
    data: participant,
    entity: { kind: "roster", delta: true },
    collection: { delta: false },
  },
] as const;

/** The ways a path to the same resource can be spelt. */
const spelling = fc.record({
  root: fc.constantFrom("/", "", "https://graph.microsoft.com/v1.0/", "https://graph.microsoft.com/beta/"),
  namespace: fc.constantFrom("communications", "app", "Communications", "APP"),
  trailing: fc.constantFrom("", "/"),
  // Letter case of the segments that name a collection: OData's segments are not case-sensitive.
  upper: fc.boolean(),
  key: fc.constantFrom("resourceUrl", "resource"),
  collectionOfOne: fc.boolean(),
});

type Spelling = typeof spelling extends fc.Arbitrary<infer T> ? T : never;

function spelt(under: string, { root, namespace, trailing, upper }: Spelling): string {
  const rest = upper ? under.replace(/\/(participants|operations)\b/g, (name) => name.toUpperCase()) : under;
  return `${root}${namespace}/calls/${callId}${rest}${trailing}`;
}

function only(body: unknown, mode: "tolerant" | "strict" = "tolerant"): ClassifiedNotification {
  const result = parseNotifications(body, { mode });
  expect(result.ok ? [] : result.errors).toEqual([]);
  const [notification, ...others] = result.ok ? result.notifications : [];
  expect(others).toEqual([]);
  return notification as ClassifiedNotification;
}

describe("a notification about one participant (…/participants/{participantId})", () => {
  const body = {
    value: [
      {
        changeType: "updated",
        resourceUrl: `/communications/calls/${callId}/participants/${participantId}`,
        resourceData: participant,
      },
    ],
  };

  it("is a delta roster of that participant, with a warning that names the pointer", () => {
    const result = parseNotifications(body);
    expect(result.ok ? [] : result.errors).toEqual([]);
    expect(result.warnings.map(({ code, pointer }) => `${code} ${pointer}`)).toEqual([
      "notification.resource-data-single /value/0/resourceData",
    ]);
    expect(result.ok && result.notifications[0]).toMatchObject({
      kind: "roster",
      callId,
      delta: true,
      sequenceNumber: null,
      participants: [participant],
    });
  });

  it("is a delta roster when it arrives as a collection, since the path names one participant", () => {
    const result = parseNotifications({ value: [{ ...body.value[0], resourceData: [participant] }] });
    expect(result.warnings.map(({ code, pointer }) => `${code} ${pointer}`)).toEqual([
      "notification.participant-path-collection /value/0/resourceData",
    ]);
    expect(result.ok && result.notifications[0]).toMatchObject({ kind: "roster", delta: true });
  });

  it("points an error inside the participant into the body as received", () => {
    const result = parseNotifications({ value: [{ ...body.value[0], resourceData: { ...participant, isMuted: 1 } }] });
    expect(result.ok ? [] : result.errors.map(({ code, pointer }) => `${code} ${pointer}`)).toEqual([
      "schema.type /value/0/resourceData/isMuted",
    ]);
  });

  it("is refused in strict mode, whose contract has no single participant as resourceData", () => {
    const result = parseNotifications(body, { mode: "strict" });
    expect(result.ok).toBe(false);
  });
});

describe("a single participant on the roster path (…/participants)", () => {
  it("is one change, not the whole roster: a delta roster of one", () => {
    const notification = only({
      value: [
        {
          changeType: "updated",
          resourceUrl: `/communications/calls/${callId}/participants`,
          resourceData: participant,
        },
      ],
    });
    expect(notification).toMatchObject({ kind: "roster", delta: true, participants: [participant] });
  });
});

describe.each(resources)("the resource under the call at '$under'", (resource) => {
  const { under, data, entity } = resource;
  const collection = { ...entity, ...("collection" in resource && resource.collection) };
  it("is read the same however its path is spelt, under resourceUrl or resource, as an entity or a collection of one", () => {
    fc.assert(
      fc.property(spelling, (spelt_) => {
        const path = spelt(under, spelt_);
        const notification = only({
          value: [{ changeType: "updated", [spelt_.key]: path, resourceData: spelt_.collectionOfOne ? [data] : data }],
        });
        expect(notification).toMatchObject({ ...(spelt_.collectionOfOne ? collection : entity), callId });
      }),
      { numRuns: 200 },
    );
  });

  it.each(["/communications/calls/", "/app/calls/", "communications/calls/"])(
    "is read from a path under %s",
    (root) => {
      const path = `${root}${callId}${under}`;
      expect(only({ value: [{ changeType: "updated", resourceUrl: path, resourceData: data }] })).toMatchObject({
        ...entity,
        callId,
      });
    },
  );
});

describe("paths that name no resource under a call", () => {
  it.each([
    "/communications/calls/",
    "/communications/calls",
    "/communications/onlineMeetings/x",
    "/users/x/calls/y",
    "calls/x",
  ])("%s gives no call id, and strict mode reads it too", (resourceUrl) => {
    for (const mode of ["tolerant", "strict"] as const) {
      const notification = only({ value: [{ changeType: "updated", resourceUrl }] }, mode);
      expect(notification).toMatchObject({ kind: "other", callId: undefined });
    }
  });

  it("a deeper path under a call is neither the call nor its roster", () => {
    const resourceUrl = `/communications/calls/${callId}/audioRoutingGroups/main`;
    expect(only({ value: [{ changeType: "updated", resourceUrl }] })).toMatchObject({ kind: "other", callId });
  });
});

describe("resource vs resourceUrl", () => {
  const resource = `/app/calls/${callId}`;

  it("reads a missing resourceUrl from the legacy resource", () => {
    expect(only({ value: [{ changeType: "updated", resource, resourceData: call }] })).toMatchObject({ callId });
  });

  it("reports a resourceUrl of the wrong type instead of overwriting it from resource", () => {
    const result = parseNotifications({
      value: [{ changeType: "updated", resource, resourceUrl: 7, resourceData: call }],
    });
    expect(result.ok ? [] : result.errors.map(({ code, pointer }) => `${code} ${pointer}`)).toEqual([
      "schema.type /value/0/resourceUrl",
    ]);
  });
});
