// The reference page's JavaScript snippet for one example, as the page writes it: `options` gains only the simulator's
// base URL and `customHosts`, which the Graph client needs to send its token anywhere but graph.microsoft.com. The
// body is the example's request, which test/seed.test.ts in the simulator holds to the page's. With --location, the
// operation of a second invite is read back from its Location.
// Usage: SIMULATOR=… node graph-client.mjs <request.json> <call id> [--location]
import { readFileSync } from "node:fs";
import { Client, ResponseType } from "@microsoft/microsoft-graph-client";
import { credential, report, scope, simulator } from "./simulator.mjs";

const [requestFile = "", callId = ""] = process.argv.slice(2);

// The Graph client's callback form of an auth provider, fed by @azure/identity.
const authProvider = (done) =>
  credential.getToken(scope).then(
    (token) => done(null, token.token),
    (error) => done(error, null),
  );

const options = {
  authProvider,
  baseUrl: simulator.url,
  customHosts: new Set([new URL(simulator.url).hostname]),
};
const client = Client.init(options);
const inviteParticipantsOperation = JSON.parse(readFileSync(requestFile, "utf8"));
const response = await client
  .api(`/communications/calls/${callId}/participants/invite`)
  .post(inviteParticipantsOperation);

if (process.argv[4] !== "--location") {
  report({ response });
} else {
  // The same invite once more, as a raw response, for its Location; then the client GETs that absolute URL.
  const raw = await client
    .api(`/communications/calls/${callId}/participants/invite`)
    .responseType(ResponseType.RAW)
    .post(inviteParticipantsOperation);
  const location = raw.headers.get("location");
  const operation = await client.api(location).get();
  report({ response, rawStatus: raw.status, location, operation });
}
