// The public API's types: guards narrow to @graph-invite/types, results discriminate, classifications narrow.
import type {
  CommsNotificationsBody,
  InviteParticipantsRequest,
  InviteParticipantsResponse,
  OperationStatus,
  Participant,
  ResultInfo,
} from "@graph-invite/types";
import { describe, expectTypeOf, it } from "vitest";
import {
  type CanonicalOperationStatus,
  type OperationStatus as DeprecatedOperationStatus,
  type Issue,
  isInviteRequest,
  isSchema,
  parseInviteResponse,
  parseNotifications,
  type RuleCode,
  validateInviteRequest,
  validateSchema,
} from "../src/index.js";

describe("guards", () => {
  it("narrow unknown to the contract's types", () => {
    const data: unknown = {};
    if (isInviteRequest(data)) expectTypeOf(data).toEqualTypeOf<InviteParticipantsRequest>();
    if (isSchema("participant", data, "tolerant")) expectTypeOf(data).toEqualTypeOf<Participant>();
    // @ts-expect-error: not a schema of the spec
    isSchema("participants", data);
  });
});

describe("results", () => {
  it("carry the value only when valid, and errors only when not", () => {
    const result = validateInviteRequest({});
    if (result.ok) {
      expectTypeOf(result.value).toEqualTypeOf<InviteParticipantsRequest>();
      // @ts-expect-error: a valid result has no errors
      result.errors;
    } else {
      expectTypeOf(result.errors).toEqualTypeOf<readonly Issue[]>();
    }
    expectTypeOf(result.warnings).toEqualTypeOf<readonly Issue[]>();
    const response = parseInviteResponse("{}");
    if (response.ok) expectTypeOf(response.value).toEqualTypeOf<InviteParticipantsResponse>();
    const schema = validateSchema("resultInfo", {});
    if (schema.ok) expectTypeOf(schema.value).toEqualTypeOf<ResultInfo>();
  });

  it("classify notifications into kinds that narrow", () => {
    const result = parseNotifications("{}", { mode: "tolerant" });
    if (!result.ok) return;
    expectTypeOf(result.value).toEqualTypeOf<CommsNotificationsBody>();
    for (const notification of result.notifications) {
      if (notification.kind === "operation") {
        expectTypeOf(notification.status).toEqualTypeOf<CanonicalOperationStatus>();
        expectTypeOf(notification.operationId).toEqualTypeOf<string | null>();
        expectTypeOf(notification.resultInfo).toEqualTypeOf<ResultInfo | null>();
      } else if (notification.kind === "roster") {
        expectTypeOf(notification.participants).toEqualTypeOf<readonly Participant[]>();
      }
    }
    // @ts-expect-error: the modes are strict and tolerant
    parseNotifications("{}", { mode: "lenient" });
  });
});

it("means by OperationStatus what @graph-invite/types means: every spelling Graph sends", () => {
  expectTypeOf<DeprecatedOperationStatus>().toEqualTypeOf<OperationStatus>();
  expectTypeOf<CanonicalOperationStatus>().toEqualTypeOf<"notStarted" | "running" | "completed" | "failed">();
});

it("names every rule code", () => {
  expectTypeOf<"invite.max-participants">().toMatchTypeOf<RuleCode>();
  expectTypeOf<"invite.phone-e164">().toMatchTypeOf<RuleCode>();
  // @ts-expect-error: no such rule
  expectTypeOf<"invite.unknown">().toMatchTypeOf<RuleCode>();
});
