// identitiesOf: a roster participant's identities, read with the validator's rule for which members count, and with
// empty or non-string ids and names read as absent.
import { identitySetMembers } from "@graph-invite/validator";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { identitiesOf, type Participant } from "../src/index.js";

const text = fc.oneof(fc.string({ maxLength: 8 }), fc.constant(""), fc.integer(), fc.constant(null));
const identity = fc.record({ id: text, displayName: text }, { requiredKeys: [] });
const member = fc.oneof(identity, fc.constant(null), fc.string(), fc.array(identity, { maxLength: 2 }));
const identitySet = fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), member, { maxKeys: 6 });

const participantWith = (identity: unknown): Participant => ({ info: { identity } }) as unknown as Participant;
const present = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined);

describe("identitiesOf", () => {
  it("lists the members the validator's identitySetMembers lists, in order, with empty ids and names absent", () => {
    fc.assert(
      fc.property(identitySet, (set) => {
        const expected = identitySetMembers(set).map(({ kind, identity }) => ({
          kind,
          id: present(identity["id"]),
          displayName: present(identity["displayName"]),
        }));
        expect(identitiesOf(participantWith(set))).toEqual(expected);
      }),
    );
  });

  it("reads a roster participant as Graph sends it", () => {
    const participant = participantWith({
      "@odata.type": "#microsoft.graph.identitySet",
      application: null,
      user: { "@odata.type": "#microsoft.graph.identity", id: "u1", displayName: "" },
      phone: { id: "+12345678901", displayName: "Front desk" },
    });
    expect(identitiesOf(participant)).toEqual([
      { kind: "user", id: "u1", displayName: undefined },
      { kind: "phone", id: "+12345678901", displayName: "Front desk" },
    ]);
  });

  it("finds no identity in a participant without info or identity set", () => {
    expect(identitiesOf({} as Participant)).toEqual([]);
    expect(identitiesOf(participantWith(null))).toEqual([]);
  });
});
