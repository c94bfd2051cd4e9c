// Graph's enums are evolvable: in tolerant mode a value the spec does not list is kept, with a warning, and a listed
// value in another casing is read in the spec's casing. One mechanism serves every named enum of the spec, so the
// cases are drawn from the spec itself: a new enum there is covered here without a line changing.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { isSchema, parseNotifications } from "../src/index.js";
import { specPath } from "./helpers.js";

const spec = parse(readFileSync(specPath, "utf8"));
const enums = Object.entries(spec.components.schemas as Record<string, { type?: string; enum?: string[] }>).filter(
  ([, schema]) => schema.type === "string" && Array.isArray(schema.enum),
);

const callId = "57dab8b1-894c-409a-b240-bd8beae78896";

/** A body that carries `value` where each enum of the notification schemas is used. */
const carriers: Record<string, (value: string) => unknown> = {
  changeType: (value) => ({
    value: [{ changeType: value, resourceUrl: `/communications/calls/${callId}`, resourceData: call({}) }],
  }),
  callState: (value) => notification(call({ state: value })),
  callDirection: (value) => notification(call({ direction: value })),
  modality: (value) => notification(call({ requestedModalities: ["audio", value] })),
  mediaState: (value) => notification(call({ mediaState: { audio: value } })),
  callTranscriptionState: (value) => notification(call({ transcription: { state: value } })),
  tone: (value) => notification(call({ toneInfo: { sequenceId: 1, tone: value } })),
  routingType: (value) =>
    notification(call({ callRoutes: [{ final: identities, original: identities, routingType: value }] })),
  operationStatus: (value) => ({
    value: [
      {
        changeType: "deleted",
        resourceUrl: `/communications/calls/${callId}/operations/11111111-1111-1111-1111-111111111111`,
        resourceData: {
          "@odata.type": "#microsoft.graph.inviteParticipantsOperation",
          clientContext: "c",
          status: value,
        },
      },
    ],
  }),
  mediaDirection: (value) =>
    roster({ mediaStreams: [{ mediaType: "audio", direction: value, serverMuted: false, sourceId: "1" }] }),
  endpointType: (value) => roster({ info: { identity: identities, endpointType: value } }),
  recordingStatus: (value) => roster({ recordingInfo: { recordingStatus: value } }),
};

function call(properties: Record<string, unknown>) {
  return { "@odata.type": "#microsoft.graph.call", ...properties };
}

const identities = { user: { id: "278405a3-f568-4b3e-b684-009193463064" } };

function notification(resourceData: unknown) {
  return { value: [{ changeType: "updated", resourceUrl: `/communications/calls/${callId}`, resourceData }] };
}

function roster(properties: Record<string, unknown>) {
  const participant = { "@odata.type": "#microsoft.graph.participant", id: null, isInLobby: false, isMuted: false };
  return {
    value: [
      {
        changeType: "updated",
        resourceUrl: `/communications/calls/${callId}/participants`,
        resourceData: [{ ...participant, ...properties }],
      },
    ],
  };
}

/** The first place in `value` where a string equals `needle`, as a JSON Pointer. */
function pointerTo(value: unknown, needle: string, at = ""): string | undefined {
  if (value === needle) return at;
  if (value === null || typeof value !== "object") return undefined;
  for (const [key, child] of Object.entries(value)) {
    const found = pointerTo(child, needle, `${at}/${key}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

function valueAt(value: unknown, pointer: string): unknown {
  return pointer
    .split("/")
    .slice(1)
    .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], value);
}

describe("every enum of the spec is evolvable in tolerant mode", () => {
  it("has a notification that carries each enum (a new enum in the spec needs one here)", () => {
    expect(Object.keys(carriers).sort()).toEqual(enums.map(([name]) => name).sort());
  });

  describe.each(enums)("%s", (name, schema) => {
    const carry = carriers[name] as (value: string) => unknown;
    const member = (schema.enum as string[]).at(-1) as string;
    const unlisted = `${member}Plus${name.length}`;

    it("keeps a value the spec does not list, with a warning that names it", () => {
      const result = parseNotifications(JSON.stringify(carry(unlisted)));
      expect(result.ok && result.rejected).toEqual([]);
      if (!result.ok) return;
      const pointer = pointerTo(result.value, unlisted) as string;
      expect(pointer).toBeDefined();
      const warning = result.warnings.find((issue) => issue.code === "enum.unknown-value");
      expect(warning).toMatchObject({ pointer: expect.stringMatching(/^\/value\/0\//) });
      expect(warning?.message).toContain(JSON.stringify(unlisted));
      expect(warning?.message).toContain(member);
    });

    it("reads a listed value in another casing in the spec's casing, with a warning", () => {
      // operationStatus lists both casings; its own normalisation gives the documented one (status.casing).
      const shouted = member.toUpperCase() === member ? member.toLowerCase() : member.toUpperCase();
      const result = parseNotifications(JSON.stringify(carry(shouted)));
      expect(result.ok && result.rejected).toEqual([]);
      if (!result.ok) return;
      const codes = result.warnings.map((issue) => issue.code);
      expect(codes.some((code) => code === "enum.casing" || code === "status.casing")).toBe(true);
      const warning = result.warnings.find((issue) => issue.code === "enum.casing" || issue.code === "status.casing");
      expect(String(valueAt(result.value, warning?.pointer as string)).toLowerCase()).toBe(member.toLowerCase());
      expect(pointerTo(result.value, shouted)).toBeUndefined();
    });

    it("still refuses it in strict mode", () => {
      const result = parseNotifications(JSON.stringify(carry(unlisted)), { mode: "strict" });
      expect(result.ok).toBe(false);
    });

    it("changes nothing in what a type guard is given", () => {
      const body = carry(member.toUpperCase() === member ? member.toLowerCase() : member.toUpperCase());
      const before = JSON.stringify(body);
      isSchema("commsNotifications", body, "tolerant");
      expect(JSON.stringify(body)).toBe(before);
    });
  });

  it("classifies an operation with an unlisted status as other, its status kept as sent", () => {
    const result = parseNotifications(JSON.stringify(carriers["operationStatus"]?.("paused")));
    expect(result.ok && result.notifications[0]).toMatchObject({ kind: "other" });
    expect(result.ok && result.value.value[0]?.resourceData).toMatchObject({ status: "paused" });
  });
});
