// Reading a notification's path on its own: each spelling Graph uses, what each names, and the paths that name no
// call. test/resource-paths.test.ts checks the same through whole notifications.
import { describe, expect, it } from "vitest";
import { parseResourcePath, rosterPath } from "../src/resource-path.js";

describe("parseResourcePath", () => {
  it.each([
    ["/communications/calls/abc", "abc", { kind: "call" }],
    ["communications/calls/abc/", "abc", { kind: "call" }],
    ["https://graph.microsoft.com/v1.0/communications/calls/abc/participants", "abc", { kind: "roster" }],
    ["https://graph.microsoft.com/beta/communications/calls/abc/participants/", "abc", { kind: "roster" }],
    ["/communications/calls/abc/participants/P1", "abc", { kind: "participant", participantId: "P1" }],
    ["/v1.0/communications/calls/abc/operations/Op-1", "abc", { kind: "operation", operationId: "Op-1" }],
    ["//communications//calls//abc//operations", "abc", { kind: "operation", operationId: undefined }],
    ["/communications/calls/abc/OPERATIONS/Participants", "abc", { kind: "operation", operationId: undefined }],
    ["/communications/calls/abc/participants/p1/extra", "abc", { kind: "other" }],
    ["/communications/calls/abc/operations/o1/extra", "abc", { kind: "other" }],
    ["/communications/calls/abc/audioRoutingGroups", "abc", { kind: "other" }],
    ["/communications/calls/abc/audioRoutingGroups/g1", "abc", { kind: "other" }],
    ["/communications/calls/ABC?$select=id#top", "ABC", { kind: "call" }],
    ["h+t.t-p://host:8080/Communications/Calls/abc/participants?x=/y", "abc", { kind: "roster" }],
    ["https://graph.microsoft.com//v1.0/communications/calls/abc", "abc", { kind: "call" }],
    ["//beta//communications/calls/abc", "abc", { kind: "call" }],
  ])("%s: call %s, %j", (path, callId, resource) => {
    expect(parseResourcePath(path)).toEqual({ callId, resource, legacy: false, current: path });
  });

  it("reads a legacy path under /app/calls/ as the same path under /communications/calls/", () => {
    expect(parseResourcePath("https://graph.microsoft.com/beta/app/calls/abc/participants/p1?x#y")).toEqual({
      callId: "abc",
      resource: { kind: "participant", participantId: "p1" },
      legacy: true,
      current: "/communications/calls/abc/participants/p1?x#y",
    });
    expect(parseResourcePath("APP/Calls/abc")).toEqual({
      callId: "abc",
      resource: { kind: "call" },
      legacy: true,
      current: "/communications/calls/abc",
    });
  });

  it.each([
    "",
    "/communications/call/abc",
    "/communications/calls/",
    "/communications/calls//",
    "/communications/calls/?id=abc",
    "/communications/calls/#abc",
    "/me/calls/abc",
    "/communications/abc",
    "/communicationscalls/abc",
    "https://graph.microsoft.com/v2.0/communications/calls/abc",
    "https://graph.microsoft.com/v1x0/communications/calls/abc",
    "https://graph.microsoft.com/v1.0communications/calls/abc",
    "https:/graph.microsoft.com/communications/calls/abc",
    "1http://graph.microsoft.com/communications/calls/abc",
    "https:///communications/calls/abc",
    "x/communications/calls/abc",
  ])("names no call in %j", (path) => {
    expect(parseResourcePath(path)).toBeUndefined();
  });

  it("answers each path by its own text, read one after another and again", () => {
    const paths = ["/communications/calls/a", "/communications/calls/b/participants", "/nothing"];
    for (const path of [...paths, ...paths.reverse(), paths[0] as string]) {
      const callId = /calls\/([^/]+)/.exec(path)?.[1];
      expect(parseResourcePath(path)?.callId).toBe(callId);
    }
  });
});

it("rosterPath names a call's roster under /communications/calls/", () => {
  expect(rosterPath("abc")).toBe("/communications/calls/abc/participants");
  expect(parseResourcePath(rosterPath("abc"))?.resource).toEqual({ kind: "roster" });
});
