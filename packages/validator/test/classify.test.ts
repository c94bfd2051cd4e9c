// What each notification is about, from the shape of its resourceData: the classifier on its own, with each field
// it reads present, absent and of the wrong type. The parsers' tests reach it only through whole payloads.
import type { CommsNotification } from "@graph-invite/types";
import { describe, expect, it } from "vitest";
import { classify } from "../src/classify.js";

const callUrl = "/communications/calls/call-1";
const notice = (resourceData: unknown, resourceUrl = callUrl): CommsNotification =>
  ({ changeType: "updated", resourceUrl, resourceData }) as unknown as CommsNotification;

describe("classify", () => {
  it("reads a collection as the whole roster", () => {
    const participants = [{ id: "p" }];
    const notification = notice(participants, `${callUrl}/participants`);
    expect(classify(notification)).toEqual({
      kind: "roster",
      notification,
      changeType: "updated",
      callId: "call-1",
      participants,
      delta: false,
      sequenceNumber: null,
    });
  });

  it("reads a delta roster with its sequence number, and without one", () => {
    const participants = [{ id: "p" }];
    const notification = notice({
      "@odata.type": "#microsoft.graph.deltaParticipants",
      sequenceNumber: 7,
      participants,
    });
    expect(classify(notification)).toEqual({
      kind: "roster",
      notification,
      changeType: "updated",
      callId: "call-1",
      participants,
      delta: true,
      sequenceNumber: 7,
    });
    const bare = classify(notice({ "@odata.type": "#microsoft.graph.deltaParticipants", sequenceNumber: "7" }));
    expect(bare).toMatchObject({ kind: "roster", participants: [], delta: true, sequenceNumber: null });
  });

  it("reads a call's state and resultInfo, each null when absent or not as the contract types it", () => {
    const data = { "@odata.type": "#microsoft.graph.call", state: "terminated", resultInfo: { code: 200 } };
    const notification = notice(data);
    expect(classify(notification)).toEqual({
      kind: "call",
      notification,
      changeType: "updated",
      callId: "call-1",
      state: "terminated",
      resultInfo: { code: 200 },
      call: data,
    });
    expect(classify(notice({ "@odata.type": "#microsoft.graph.call", state: 3 }))).toMatchObject({
      kind: "call",
      state: null,
      resultInfo: null,
    });
  });

  it("reads an operation's fields, spelling its status as the documentation does", () => {
    const data = {
      "@odata.type": "#microsoft.graph.inviteParticipantsOperation",
      id: "op-body",
      clientContext: "ctx",
      status: "COMPLETED",
      resultInfo: { code: 200 },
    };
    const notification = notice(data, `${callUrl}/operations/op-path`);
    expect(classify(notification)).toEqual({
      kind: "operation",
      notification,
      changeType: "updated",
      callId: "call-1",
      operationId: "op-body",
      operationType: "#microsoft.graph.inviteParticipantsOperation",
      clientContext: "ctx",
      status: "completed",
      resultInfo: { code: 200 },
      operation: data,
    });
  });

  it("takes an operation's id from its path when the body has none, and else null", () => {
    expect(classify(notice({ id: null, status: "running" }, `${callUrl}/operations/op-path`))).toMatchObject({
      kind: "operation",
      operationId: "op-path",
      // Graph's operations sent without a type are invite operations, the only kind this contract carries.
      operationType: "#microsoft.graph.inviteParticipantsOperation",
      clientContext: null,
      resultInfo: null,
    });
    expect(classify(notice({ status: "failed", clientContext: 5 }, `${callUrl}/participants/op-path`))).toMatchObject({
      kind: "operation",
      operationId: null,
      clientContext: null,
    });
    expect(
      classify(notice({ status: "failed", "@odata.type": "#microsoft.graph.muteParticipantOperation" }, "/nowhere")),
    ).toMatchObject({
      kind: "operation",
      operationId: null,
      callId: undefined,
      operationType: "#microsoft.graph.muteParticipantOperation",
    });
  });

  it.each([
    ["a status the contract does not list", { status: "paused" }],
    ["a status that is not a string", { status: 1 }],
    ["no status", { id: "x" }],
    ["data that is not an object", "text"],
    ["null data", null],
  ])("reads %s as other, keeping the call", (_, data) => {
    const notification = notice(data);
    expect(classify(notification)).toEqual({ kind: "other", notification, changeType: "updated", callId: "call-1" });
  });
});
