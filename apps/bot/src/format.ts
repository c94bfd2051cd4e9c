// Plain-text renderings of operations and rosters, for the CLI and the demo.

import type { OperationEvent, OperationRecord, Roster, RosterEvent } from "@graph-invite/bot-kit";
import { describeResult, identitiesOf } from "@graph-invite/bot-kit";
import type { Participant } from "@graph-invite/types";

/** Who a participant is: the kind of identity, its name when known, and its id. */
export function describeParticipant(participant: Participant): string {
  const [identity] = identitiesOf(participant);
  if (identity === undefined) return "(unknown identity)";
  const name = identity.displayName !== undefined ? `${identity.displayName} ` : "";
  return `${name}(${identity.kind} ${identity.id ?? "?"})`;
}

export function formatRosterEvent(event: RosterEvent): string {
  const sign = { joined: "+", left: "-", updated: "~" }[event.type];
  const reason = event.reason !== undefined ? `, ${event.reason}` : "";
  return `${sign} ${describeParticipant(event.participant)} ${event.type}${reason}`;
}

/** The roster as an indented list, or a line saying it is empty or ended. */
export function formatRoster(roster: Roster, indent = ""): string[] {
  const count = roster.participants.length;
  const heading = `${indent}roster of call ${roster.callId}: ${roster.ended ? "call ended" : `${count} in the call`}`;
  return [
    heading,
    ...roster.participants.map(
      ({ participant, version }) =>
        `${indent}  • ${describeParticipant(participant)}${version !== null ? ` [roster #${version}]` : ""}`,
    ),
  ];
}

/** One step of an operation's life, such as `accepted  running · HTTP 200, operation 4f1c…`. */
export function formatStep(step: OperationEvent): string {
  const parts = [step.status, step.detail].filter((part) => part !== undefined && part !== "");
  return `${step.event.padEnd(22)} ${parts.join(" · ")}`.trimEnd();
}

/** How an invite ended, in one line. */
export function formatOutcome(record: OperationRecord): string {
  const context = `clientContext ${record.clientContext}`;
  switch (record.status) {
    case "completed":
      return `completed: operation ${record.operationId ?? "(no id)"}, ${context}${record.late ? " (late)" : ""}`;
    case "failed":
      return `failed: ${describeResult(record.resultInfo) ?? "no resultInfo"}${record.late ? " (late)" : ""}`;
    case "rejected":
      return `rejected: ${record.error?.message ?? "refused"}`;
    case "timed-out":
      return `timed out: no terminal notification; ${context} stays recorded`;
    default:
      return `${record.status}: ${context}`;
  }
}
