// Notification bodies the tests and benches post themselves, as Graph would send them.

/** A delta roster (`deltaParticipants`) about one call: these participants joined or changed, at this sequence number. */
export function deltaRosterBody(callId: string, sequenceNumber: number, participants: readonly unknown[]): string {
  const resource = `/communications/calls/${callId}/participants`;
  return JSON.stringify({
    value: [
      {
        changeType: "updated",
        resource,
        resourceUrl: resource,
        resourceData: { "@odata.type": "#microsoft.graph.deltaParticipants", sequenceNumber, participants },
      },
    ],
  });
}
