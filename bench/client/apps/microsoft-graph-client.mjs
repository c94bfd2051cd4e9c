// Invites one user with @microsoft/microsoft-graph-client, as the reference page's JavaScript snippet does.
import { Client } from "@microsoft/microsoft-graph-client";

const client = Client.init({
  authProvider: (done) => done(null, globalThis.GRAPH_TOKEN),
});

export const result = await client
  .api("/communications/calls/7531d31f-d10d-44de-802f-c569dbca451c/participants/invite")
  .post({
    participants: [
      {
        "@odata.type": "#microsoft.graph.invitationParticipantInfo",
        identity: {
          "@odata.type": "#microsoft.graph.identitySet",
          user: {
            "@odata.type": "#microsoft.graph.identity",
            id: "278405a3-f568-4b3e-b684-009193463064",
            displayName: "Adele Vance",
          },
        },
      },
    ],
    clientContext: "f2fa86af-3c51-4bc2-8fc0-475452d9764f",
  });
