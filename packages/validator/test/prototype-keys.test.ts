// Nothing from the wire becomes a prototype key: `__proto__`, `constructor` and `prototype` are dropped, with a
// warning that names where they were, from every object a parser returns, in either mode, however deep.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Issue, parseGraphError, parseInviteResponse, parseNotifications } from "../src/index.js";
import { knownPayloads } from "./arbitraries.js";

const prototypeKeys = ["__proto__", "constructor", "prototype"] as const;

/** Every object in `value`, each with its pointer. */
function objectsIn(value: unknown, at = ""): Array<[string, object]> {
  if (value === null || typeof value !== "object") return [];
  const children = Object.entries(value).flatMap(([key, child]) => objectsIn(child, `${at}/${key}`));
  return Array.isArray(value) ? children : [[at, value], ...children];
}

/** The JSON text of `payload` with `key: hostile` added to the object at `index` (in objectsIn's order). */
function withKeyAt(payload: unknown, index: number, key: string): { text: string; pointer: string } {
  const copy = structuredClone(payload);
  const objects = objectsIn(copy);
  const [pointer, target] = objects[index % objects.length] as [string, Record<string, unknown>];
  // A marker property rather than the key itself: JSON.stringify cannot write an own `__proto__` set by assignment.
  target["\u0000marker"] = { polluted: true };
  const text = JSON.stringify(copy).replace('"\\u0000marker"', JSON.stringify(key));
  return { text, pointer: `${pointer}/${key}` };
}

const parsers = {
  parseNotifications: (text: string) => parseNotifications(text),
  parseNotificationsStrict: (text: string) => parseNotifications(text, { mode: "strict" }),
  parseInviteResponse: (text: string) => parseInviteResponse(text),
  parseGraphError: (text: string) => parseGraphError(text),
};

const payloads = knownPayloads.filter((payload) => objectsIn(payload).length > 0);

describe.each(Object.entries(parsers))("%s", (_, parse) => {
  it("returns no object that owns a prototype key, and copies of what it returns keep Object.prototype clean", () => {
    fc.assert(
      fc.property(fc.constantFrom(...payloads), fc.nat(), fc.constantFrom(...prototypeKeys), (payload, index, key) => {
        const { text } = withKeyAt(payload, index, key);
        const result = parse(text);
        const returned = result.ok ? result.value : undefined;
        for (const [, object] of objectsIn(returned)) {
          for (const name of prototypeKeys) expect(Object.hasOwn(object, name)).toBe(false);
          const assigned = Object.assign({}, object) as Record<string, unknown>;
          const spread = { ...object } as Record<string, unknown>;
          const cloned = structuredClone(object) as Record<string, unknown>;
          for (const copy of [assigned, spread, cloned]) {
            expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
            expect(copy["polluted"]).toBeUndefined();
          }
        }
        expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
});

it("drops the key with a warning that points at it, and reads the rest of the notification", () => {
  const body = `{"value":[{"changeType":"updated","resourceUrl":"/communications/calls/1","__proto__":{"polluted":true},
    "resourceData":{"@odata.type":"#microsoft.graph.call","state":"established","constructor":{"prototype":{}}}}]}`;
  const result = parseNotifications(body);
  expect(result.ok).toBe(true);
  if (!result.ok) return;
  expect(result.warnings.filter((issue: Issue) => issue.code === "json.prototype-key").map((i) => i.pointer)).toEqual([
    "/value/0/__proto__",
    "/value/0/resourceData/constructor",
  ]);
  expect(result.notifications[0]).toMatchObject({ kind: "call", state: "established" });
  const notification = result.notifications[0]?.notification as object;
  expect(Object.getPrototypeOf(notification)).toBe(Object.prototype);
  expect(Object.keys(notification)).not.toContain("__proto__");
});

it("drops them from a value already parsed, without changing the caller's value", () => {
  const value = JSON.parse('{"error":{"code":"x","message":"y","__proto__":{"polluted":true}}}');
  const result = parseGraphError(value);
  expect(Object.hasOwn(value.error, "__proto__")).toBe(true);
  expect(result.ok && Object.hasOwn(result.value.error, "__proto__")).toBe(false);
  expect(result.warnings.map((issue) => issue.pointer)).toEqual(["/error/__proto__"]);
});
