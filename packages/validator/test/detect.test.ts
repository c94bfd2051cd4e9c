// Which of the action's payloads a value is, as the CLI tells them apart, from the properties only that kind has.
import { describe, expect, it } from "vitest";
import { detectKind } from "../src/detect.js";
import { validateSchema } from "../src/index.js";
import { examplesDir, readText } from "./helpers.js";

const example = (name: string): unknown => JSON.parse(readText(examplesDir, name));

describe("detectKind", () => {
  it.each([
    ["example-1-invite-one-participant.request.json", "invite-request"],
    ["example-1-invite-one-participant.response.json", "invite-response"],
    ["example-1-invite-one-participant.operation-completed.json", "notifications"],
  ])("%s is an %s", (file, kind) => {
    expect(detectKind(example(file))).toBe(kind);
  });

  it("reads one notification sent without its envelope by either of its own properties", () => {
    expect(detectKind({ changeType: "updated" })).toBe("notifications");
    expect(detectKind({ resourceUrl: "/communications/calls/a" })).toBe("notifications");
  });

  it("tells a Graph error body by its error object, and an invite's answer by its status", () => {
    expect(detectKind({ error: { code: "NotFound", message: "gone" } })).toBe("graph-error");
    expect(detectKind({ error: "not an object", status: "running" })).toBe("invite-response");
    expect(detectKind({ participants: [], status: "running" })).toBe("invite-response");
  });

  it("is none of them for anything that is not an object, or an object with none of their properties", () => {
    for (const value of [null, undefined, "text", 42, true, [1, 2], {}, { participants: "one" }]) {
      expect(detectKind(value), JSON.stringify(value)).toBeUndefined();
    }
  });
});

it("validateSchema's answer for a valid value has no warnings", () => {
  const identity = { "@odata.type": "#microsoft.graph.identity", id: "a", displayName: "Ann" };
  expect(validateSchema("identity", identity)).toEqual({ ok: true, value: identity, warnings: [] });
});
