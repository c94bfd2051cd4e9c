// @microsoft/msgraph-sdk (Kiota) against the simulator: an invite and a GET of its operation, each parsed into the
// SDK's models. The SDK has no request builders under /communications, so the requests are built as its generated
// builders build them (the URL templates are Graph's), and sent through its request adapter.
// Usage: SIMULATOR=… node msgraph-sdk.mjs <call id> <user id>
import {
  AllowedHostsValidator,
  BaseBearerTokenAuthenticationProvider,
  HttpMethod,
  RequestInformation,
} from "@microsoft/kiota-abstractions";
import { GraphRequestAdapter } from "@microsoft/msgraph-sdk";
import {
  createCommsOperationFromDiscriminatorValue,
  createInviteParticipantsOperationFromDiscriminatorValue,
  serializeInvitationParticipantInfo,
} from "@microsoft/msgraph-sdk/models/index.js";
import { createODataErrorFromDiscriminatorValue } from "@microsoft/msgraph-sdk/models/oDataErrors/index.js";
import { credential, report, scope, simulator } from "./simulator.mjs";

const [callId = "", userId = ""] = process.argv.slice(2);
const errors = { XXX: createODataErrorFromDiscriminatorValue };

const authProvider = new BaseBearerTokenAuthenticationProvider({
  getAuthorizationToken: async () => (await credential.getToken(scope)).token,
  getAllowedHostsValidator: () => new AllowedHostsValidator(new Set([new URL(simulator.url).host])),
});
const adapter = new GraphRequestAdapter(authProvider);
adapter.baseUrl = `${simulator.url}/v1.0`;

const invite = new RequestInformation(
  HttpMethod.POST,
  "{+baseurl}/communications/calls/{call%2Did}/participants/invite",
  { baseurl: adapter.baseUrl, "call%2Did": callId },
);
invite.headers.tryAdd("Accept", "application/json");
invite.setContentFromParsable(
  adapter,
  "application/json",
  {
    participants: [
      {
        odataType: "#microsoft.graph.invitationParticipantInfo",
        identity: {
          odataType: "#microsoft.graph.identitySet",
          user: { odataType: "#microsoft.graph.identity", id: userId, displayName: "Adele Vance" },
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
/** Sends a request, keeps the bytes Graph answered, and parses them as the SDK's `send` does. */
async function sendAndParse(request, factory) {
  const bytes = await adapter.sendPrimitive(request, "ArrayBuffer", errors);
  const node = adapter.getParseNodeFactory().getRootParseNode("application/json", bytes);
  return { json: new TextDecoder().decode(bytes), model: node.getObjectValue(factory) };
}

const invited = await sendAndParse(invite, createInviteParticipantsOperationFromDiscriminatorValue);

const read = new RequestInformation(
  HttpMethod.GET,
  "{+baseurl}/communications/calls/{call%2Did}/operations/{commsOperation%2Did}",
  { baseurl: adapter.baseUrl, "call%2Did": callId, "commsOperation%2Did": invited.model.id },
);
read.headers.tryAdd("Accept", "application/json");
// The commsOperation factory picks the subtype from @odata.type, as the SDK's operations builder does.
const operation = await sendAndParse(read, createCommsOperationFromDiscriminatorValue);

// Models hold undefined for what was absent or null; JSON drops those, and the test compares what is left.
report({ invited, operation });
