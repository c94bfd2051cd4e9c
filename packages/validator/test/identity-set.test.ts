// Which members of an identity set name an identity: the one rule the invite rules, the bot kit and the simulator
// share. Properties over arbitrary JSON, then the shapes Graph sends.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { identitySetMembers } from "../src/index.js";

/** A member name that is not an annotation. */
const kind = fc.string({ minLength: 1, maxLength: 20 }).filter((name) => !name.startsWith("@"));
const annotation = fc.string({ maxLength: 20 }).map((name) => `@${name}`);
const identity = fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
/** Values that name no identity. */
const notAnIdentity = fc.oneof(
  fc.constant(null),
  fc.string(),
  fc.double(),
  fc.boolean(),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
);
const anyJson = fc.jsonValue({ maxDepth: 4 });

describe("identitySetMembers", () => {
  it("never throws, and lists each member's own object under its own name, in the set's order", () => {
    fc.assert(
      fc.property(anyJson, (set) => {
        const members = identitySetMembers(set);
        const entries = set !== null && typeof set === "object" ? Object.entries(set) : [];
        const names = entries.map(([name]) => name);
        for (const member of members) {
          expect(member.identity).toBe((set as Record<string, unknown>)[member.kind]);
        }
        const positions = members.map((member) => names.indexOf(member.kind));
        expect(positions).toEqual([...positions].sort((a, b) => a - b));
        expect(new Set(positions).size).toBe(positions.length);
      }),
    );
  });

  it("finds nothing in what is not an object: null, strings, numbers, arrays of identities", () => {
    fc.assert(
      fc.property(notAnIdentity, identity, (value, member) => {
        expect(identitySetMembers(value)).toEqual([]);
        expect(identitySetMembers([member, { user: member }])).toEqual([]);
      }),
    );
    expect(identitySetMembers(undefined)).toEqual([]);
  });

  it("lists every member whose value is an object, and only those", () => {
    fc.assert(
      fc.property(fc.dictionary(kind, fc.oneof(identity, notAnIdentity), { maxKeys: 8 }), (set) => {
        const expected = Object.keys(set).filter((name) => {
          const value = set[name];
          return value !== null && typeof value === "object" && !Array.isArray(value);
        });
        expect(identitySetMembers(set).map((member) => member.kind)).toEqual(expected);
      }),
    );
  });

  it("is not changed by annotations, null members or members that are not objects", () => {
    fc.assert(
      fc.property(
        fc.dictionary(kind, identity, { maxKeys: 5 }),
        fc.dictionary(annotation, fc.oneof(identity, notAnIdentity), { maxKeys: 3 }),
        fc.dictionary(kind, notAnIdentity, { maxKeys: 3 }),
        (identities, annotations, others) => {
          const noise = Object.fromEntries(Object.entries(others).filter(([name]) => !(name in identities)));
          const padded = { ...annotations, ...identities, ...noise };
          expect(identitySetMembers(padded)).toEqual(identitySetMembers(identities));
        },
      ),
    );
  });

  it("reads the shapes Graph sends: typed, padded with null, with a communications set's endpointType", () => {
    const user = { "@odata.type": "#microsoft.graph.identity", id: "u1", displayName: "Ada" };
    const bot = { id: "b1" };
    expect(
      identitySetMembers({
        "@odata.type": "#microsoft.graph.communicationsIdentitySet",
        application: null,
        user,
        endpointType: "default",
        applicationInstance: bot,
        phone: null,
      }),
    ).toEqual([
      { kind: "user", identity: user },
      { kind: "applicationInstance", identity: bot },
    ]);
    expect(identitySetMembers({ "@odata.type": "#microsoft.graph.identitySet" })).toEqual([]);
    expect(identitySetMembers({ guest: {} })).toEqual([{ kind: "guest", identity: {} }]);
  });

  it("takes a member named __proto__ as a name, never as a prototype", () => {
    const set = JSON.parse('{"__proto__": {"id": "x"}, "user": {"id": "u"}}') as unknown;
    const members = identitySetMembers(set);
    expect(members.map((member) => member.kind)).toEqual(["__proto__", "user"]);
    expect(Object.getPrototypeOf(members[0])).toBe(Object.prototype);
  });
});
