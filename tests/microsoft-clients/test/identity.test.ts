// @azure/identity's ClientSecretCredential, with authorityHost set to graph-invite-sim --tls, gets a token that the
// simulator's Graph accepts: the credential teams ship, tested against the simulator unchanged.
import { decodeJwt } from "jose";
import { expect, test } from "vitest";
import { requestsOf, runClient, send, startCallback, startSimulatorCli } from "./harness.js";

test("ClientSecretCredential gets a token from the simulator, and the simulator's Graph accepts it", async () => {
  const bot = await startCallback();
  const sim = await startSimulatorCli({ calls: [{ id: "call-1", kind: "group", callbackUri: bot.url }] });
  const before = Date.now();
  const result = await runClient<{ token?: string; expiresOnTimestamp?: number; error?: string }>(sim, "identity.mjs");
  expect(result.error).toBeUndefined();
  const claims = decodeJwt(result.token ?? "");
  expect(claims).toMatchObject({
    iss: `${sim.url}/${sim.app.tenantId}/v2.0`,
    aud: "https://graph.microsoft.com",
    tid: sim.app.tenantId,
    azp: sim.app.appId,
    roles: ["Calls.InitiateGroupCall.All"],
  });
  // The credential read the lifetime the token endpoint gave (3599 s).
  expect(result.expiresOnTimestamp).toBeGreaterThan(before + 3_500_000);

  const invited = await send(sim, "/v1.0/communications/calls/call-1/participants/invite", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${result.token}` },
    body: JSON.stringify({
      participants: [
        {
          "@odata.type": "#microsoft.graph.invitationParticipantInfo",
          identity: {
            "@odata.type": "#microsoft.graph.identitySet",
            user: { "@odata.type": "#microsoft.graph.identity", id: "278405a3-f568-4b3e-b684-009193463064" },
          },
        },
      ],
    }),
  });
  expect(invited.status).toBe(200);

  // MSAL read the tenant's OpenID metadata, whose issuer and endpoints name the https origin it asked, then the
  // token endpoint with the secret in the form.
  const received = await requestsOf(sim);
  expect(received.map((entry) => `${entry.method} ${entry.path.replace(/\?.*$/, "")} ${entry.status}`)).toEqual([
    `GET /${sim.app.tenantId}/v2.0/.well-known/openid-configuration 200`,
    `POST /${sim.app.tenantId}/oauth2/v2.0/token 200`,
    "POST /v1.0/communications/calls/call-1/participants/invite 200",
  ]);
});

test("a wrong secret is refused as the identity platform refuses it, and the credential says so", async () => {
  const sim = await startSimulatorCli({});
  const result = await runClient<{ error?: string }>(
    { ...sim, app: { ...sim.app, secret: "not-the-secret" } },
    "identity.mjs",
  );
  // MSAL parsed the identity platform's error body: its code, error codes and description.
  expect(result.error).toMatch(
    new RegExp(
      `^AuthenticationRequiredError: invalid_client: Error\\(s\\): 7000215 - .* AADSTS7000215: Invalid client secret provided for app '${sim.app.appId}'\\.`,
    ),
  );
});
