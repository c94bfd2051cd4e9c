// Graph never delivers an answered notification again, so one notification the reader cannot use must not cost its
// siblings: each is read on its own, and the body is refused only when its envelope is unusable or nothing in it is.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseNotifications } from "../src/index.js";

const callId = "57dab8b1-894c-409a-b240-bd8beae78896";

const inviteCompleted = {
  "@odata.type": "#microsoft.graph.commsNotification",
  changeType: "deleted",
  resourceUrl: `/communications/calls/${callId}/operations/eec3812a-fdc3-4fb4-825c-a06c9f35414e`,
  resourceData: {
    "@odata.type": "#microsoft.graph.inviteParticipantsOperation",
    id: "eec3812a-fdc3-4fb4-825c-a06c9f35414e",
    clientContext: "f2fa86af-3c51-4bc2-8fc0-475452d9764f",
    status: "completed",
    resultInfo: { "@odata.type": "#microsoft.graph.resultInfo", code: 200, subcode: 0, message: "OK" },
  },
};

/** A notification no reader can use: its resourceData is a number. */
const unusable = { changeType: "updated", resourceUrl: `/communications/calls/${callId}`, resourceData: 42 };

describe("a batch is read one notification at a time", () => {
  it("returns the usable notifications of a batch, and each unusable one on its own with its pointer", () => {
    const result = parseNotifications({ value: [unusable, inviteCompleted, { changeType: "updated" }] });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.notifications.map((notification) => notification.kind)).toEqual(["operation"]);
    expect(result.value.value).toEqual([result.notifications[0]?.notification]);
    expect(result.rejected.map(({ index, pointer }) => ({ index, pointer }))).toEqual([
      { index: 0, pointer: "/value/0" },
      { index: 2, pointer: "/value/2" },
    ]);
    expect(result.rejected[0]?.errors).toEqual([
      expect.objectContaining({ pointer: "/value/0/resourceData", code: "schema.type" }),
    ]);
    expect(result.rejected[1]?.errors).toEqual([
      expect.objectContaining({ pointer: "/value/2/resourceUrl", code: "schema.required" }),
    ]);
    expect(result.rejected[0]?.notification).toEqual(unusable);
  });

  it("keeps the invite's outcome beside a call state Graph's samples send capitalised and one it may add", () => {
    const body = JSON.stringify({
      value: [
        inviteCompleted,
        {
          changeType: "updated",
          resourceUrl: `/communications/calls/${callId}`,
          resourceData: { "@odata.type": "#microsoft.graph.call", state: "Established" },
        },
        {
          changeType: "updated",
          resourceUrl: `/communications/calls/${callId}`,
          resourceData: { "@odata.type": "#microsoft.graph.call", state: "parkedInOrbit" },
        },
      ],
    });
    const result = parseNotifications(body);
    expect(result.ok && result.rejected).toEqual([]);
    if (!result.ok) return;
    expect(result.notifications.map((notification) => notification.kind)).toEqual(["operation", "call", "call"]);
    expect(result.notifications.map((n) => (n.kind === "call" ? n.state : n.kind))).toEqual([
      "operation",
      "established",
      "parkedInOrbit",
    ]);
    expect(result.warnings.map(({ pointer, code }) => `${code} ${pointer}`)).toEqual([
      "enum.casing /value/1/resourceData/state",
      "enum.unknown-value /value/2/resourceData/state",
    ]);
  });

  it("refuses the body when no notification of it is usable, with every notification's errors", () => {
    const result = parseNotifications({ value: [unusable, unusable] });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((error) => error.pointer)).toEqual(["/value/0/resourceData", "/value/1/resourceData"]);
    expect(result.rejected).toHaveLength(2);
  });

  it.each([
    ["text that is not JSON", "{", "json.syntax", ""],
    ["no value array", { value: "none" }, "schema.type", "/value"],
    [
      "an envelope of the wrong type",
      { "@odata.type": "#microsoft.graph.call", value: [inviteCompleted] },
      "schema.const",
      "/@odata.type",
    ],
    ["not an object", [inviteCompleted], "schema.type", ""],
  ])("refuses a body whose envelope is unusable: %s", (_, body, code, pointer) => {
    const result = parseNotifications(body);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toContainEqual(expect.objectContaining({ code, pointer }));
  });

  it("accepts an empty batch", () => {
    const result = parseNotifications({ value: [] });
    expect(result.ok && result.notifications).toEqual([]);
  });

  it("points into a notification sent without its envelope", () => {
    const result = parseNotifications(unusable);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.rejected.map((notification) => notification.pointer)).toEqual([""]);
    expect(result.errors.map((error) => error.pointer)).toEqual(["/resourceData"]);
  });

  it("stays strict in strict mode: one bad notification refuses the body", () => {
    const result = parseNotifications({ value: [inviteCompleted, unusable] }, { mode: "strict" });
    expect(result.ok).toBe(false);
  });

  it("never loses a usable notification, whatever its siblings are", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant(inviteCompleted), fc.jsonValue()), { minLength: 1, maxLength: 6 }),
        (batch) => {
          const result = parseNotifications({ value: batch });
          const usable = batch.filter((item) => item === inviteCompleted).length;
          const rejected = result.rejected.length;
          if (usable > 0) {
            expect(result.ok).toBe(true);
            if (!result.ok) return;
            // Arbitrary JSON is sometimes a usable notification itself, never fewer.
            expect(result.notifications.filter((n) => n.kind === "operation").length).toBeGreaterThanOrEqual(usable);
            expect(result.notifications.length + rejected).toBe(batch.length);
          }
          for (const { pointer, errors } of result.rejected) {
            for (const error of errors) expect(error.pointer.startsWith(pointer)).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
