// What every client script shares: the simulator it talks to, as the test describes it in SIMULATOR, and the app's
// credential from @azure/identity, as an app on Graph gets one. NODE_EXTRA_CA_CERTS, set by the test, makes Node
// trust the simulator's certificate authority; nothing here knows about it.
import { ClientSecretCredential } from "@azure/identity";

/** @type {{ url: string, tenantId: string, appId: string, secret: string }} */
export const simulator = JSON.parse(process.env.SIMULATOR ?? "{}");

export const scope = "https://graph.microsoft.com/.default";

/**
 * The credential an app uses in production, pointed at the simulator. MSAL asks Microsoft's cloud whether an
 * authority it does not know is genuine (instance discovery) unless told not to; the simulator is not one Microsoft
 * knows, so that check is switched off, as for any authority outside Microsoft's list (Azure Stack, AD FS).
 */
export const credential = new ClientSecretCredential(simulator.tenantId, simulator.appId, simulator.secret, {
  authorityHost: simulator.url,
  disableInstanceDiscovery: process.env.INSTANCE_DISCOVERY !== "on",
});

/** Prints the script's result for the test to read, and exits. */
export function report(result) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
