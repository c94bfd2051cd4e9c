// Invites one user with @microsoft/msgraph-sdk. The SDK has no request builders under /communications, so the app
// builds the request itself and sends it through the SDK's request adapter, with the SDK's models to serialise the
// participants and parse the operation or the OData error. RequestInformation and the bearer-token provider come
// from @microsoft/kiota-abstractions, which the SDK is built on.
import {
  AllowedHostsValidator,
  BaseBearerTokenAuthenticationProvider,
  HttpMethod,
  RequestInformation,
} from "@microsoft/kiota-abstractions";
import { createGraphServiceClient, GraphRequestAdapter } from "@microsoft/msgraph-sdk";
import {
  createInviteParticipantsOperationFromDiscriminatorValue,
  serializeInvitationParticipantInfo,
} from "@microsoft/msgraph-sdk/models/index.js";
import { createODataErrorFromDiscriminatorValue } from "@microsoft/msgraph-sdk/models/oDataErrors/index.js";

const authProvider = new BaseBearerTokenAuthenticationProvider({
  getAuthorizationToken: async () => globalThis.GRAPH_TOKEN,
  getAllowedHostsValidator: () => new AllowedHostsValidator(new Set(["graph.microsoft.com"])),
});
const adapter = new GraphRequestAdapter(authProvider);
export const client = createGraphServiceClient(adapter);

const request = new RequestInformation(
  HttpMethod.POST,
  "{+baseurl}/communications/calls/{call%2Did}/participants/invite",
  { baseurl: adapter.baseUrl, "call%2Did": "7531d31f-d10d-44de-802f-c569dbca451c" },
);
request.headers.tryAdd("Accept", "application/json");
request.setContentFromParsable(
  adapter,
  "application/json",
  {
    participants: [
      {
        odataType: "#microsoft.graph.invitationParticipantInfo",
        identity: {
          odataType: "#microsoft.graph.identitySet",
          user: {
            odataType: "#microsoft.graph.identity",
            id: "278405a3-f568-4b3e-b684-009193463064",
            displayName: "Adele Vance",
          },
        },
      },
    ],
    clientContext: "f2fa86af-3c51-4bc2-8fc0-475452d9764f",
  },
  (writer, body = {}) => {
    writer.writeCollectionOfObjectValues("participants", body.participants, serializeInvitationParticipantInfo);
    writer.writeStringValue("clientContext", body.clientContext);
  },
);

export const result = await adapter.send(request, createInviteParticipantsOperationFromDiscriminatorValue, {
  XXX: createODataErrorFromDiscriminatorValue,
});
