// Invites one user with a token from the identity platform, fetched by the client's own client-credentials credential.
import { clientSecretCredential, createInviteClient, userParticipant } from "@graph-invite/client";

const client = createInviteClient({
  credential: clientSecretCredential({
    tenantId: globalThis.TENANT_ID,
    clientId: globalThis.CLIENT_ID,
    clientSecret: globalThis.CLIENT_SECRET,
  }),
});

export const result = await client.invite("7531d31f-d10d-44de-802f-c569dbca451c", {
  participants: [userParticipant("278405a3-f568-4b3e-b684-009193463064", { displayName: "Adele Vance" })],
  clientContext: "f2fa86af-3c51-4bc2-8fc0-475452d9764f",
});
