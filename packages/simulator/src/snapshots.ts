// What the simulator shows of its state: copies, so that a test reading them cannot change the simulated world,
// and Graph's resource shapes for the GET routes.
import type { AnyCommsOperation, Call } from "@graph-invite/types";
import type { SimulatedCall } from "./calls.js";
import type { SimulatedOperation } from "./wire.js";

export const snapshot = <T>(value: T): T => structuredClone(value);

/** The call as `GET /communications/calls/{id}` returns it. */
export function callResource(call: SimulatedCall): Call {
  return {
    "@odata.type": "#microsoft.graph.call",
    id: call.id,
    state: call.state,
    callbackUri: call.callbackUri,
    tenantId: call.tenantId,
    chatInfo: snapshot(call.chatInfo),
  } as Call;
}

const metadataStatus = { running: "Running", completed: "Completed", failed: "Failed" } as const;

/** The operation as `GET /communications/calls/{id}/operations/{id}` returns it. */
export function operationResource(operation: SimulatedOperation): AnyCommsOperation {
  return {
    "@odata.type": "#microsoft.graph.inviteParticipantsOperation",
    id: operation.id,
    // Graph's metadata casing, as the invite's response has it (`Running`): clients generated from the metadata,
    // such as Kiota's, read nothing from `running`. Only notifications carry the lower-case values.
    status: metadataStatus[operation.status],
    clientContext: operation.clientContext,
    resultInfo: snapshot(operation.resultInfo),
    participants: snapshot(operation.participants),
  } as AnyCommsOperation;
}
