// @azure/identity's ClientSecretCredential with authorityHost set to the simulator: the token an app gets in
// production from the Microsoft identity platform, here from the simulator.
import { credential, report, scope } from "./simulator.mjs";

try {
  const token = await credential.getToken(scope);
  report({ token: token.token, expiresOnTimestamp: token.expiresOnTimestamp });
} catch (error) {
  report({ error: `${error.name}: ${error.message}` });
}
