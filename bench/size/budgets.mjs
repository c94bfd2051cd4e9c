// The size budgets, in bytes of the app bundled for the browser, minified and gzipped (-9). The client's is the 5 kB
// its README promises. The others sit a few per cent above the sizes they were set at, so that a real regression
// fails; raise one only with the reason in the commit. The simulator's console is the bundle the package ships and
// serves, held to 35 kB (its styles, about 1.3 kB gzipped, are served beside it). bench/size checks them all, in CI;
// bench/client prints the client's beside Microsoft's SDKs.
//
// The generated validators are tree-shaken: an app keeps only the schemas it reaches (validateInviteRequest alone was
// 22.0 kB with all 66 schemas, 10.5 kB with its own). What parseNotifications must carry is the whole notification
// schema, a call with every type it nests, in both modes: its generated code alone is 14.2 kB gzipped, so a parser
// that validates the contract cannot get under about 20 kB this way.
export const clientInviteApp = {
  name: "client: invite one participant",
  entry: new URL("../client/apps/graph-invite-client.mjs", import.meta.url),
  budget: 5000,
};

export const budgets = [
  clientInviteApp,
  {
    // The credential is tree-shaken out of an app that does not use it; this one does (6.6 kB when set).
    name: "client: invite, with clientSecretCredential",
    entry: new URL("./apps/client-secret-credential.mjs", import.meta.url),
    budget: 6800,
  },
  {
    name: "validator: validateInviteRequest",
    entry: new URL("./apps/validate-invite.mjs", import.meta.url),
    budget: 11_500,
  },
  {
    name: "validator: parseNotifications",
    entry: new URL("./apps/parse-notifications.mjs", import.meta.url),
    budget: 23_000,
  },
  {
    name: "validator: everything it exports",
    entry: new URL("./apps/validator-everything.mjs", import.meta.url),
    budget: 25_500,
  },
  {
    name: "bot-kit: createBot's Web receiver",
    entry: new URL("./apps/bot-kit-web-receiver.mjs", import.meta.url),
    // 49.3 kB with the logger and self-check, the scale-out work, retry-safe invites, bot.invite and the OpenTelemetry
    // instruments (the API is not bundled: it is imported at run time when installed). 50.6 kB once the tracker and
    // createBot were split into modules and the store wrapper that marks failures became a class instead of a Proxy
    // (+3.6 kB minified: export names and class members that a bundler cannot shorten).
    budget: 51_000,
  },
  {
    name: "simulator: the web console",
    entry: new URL("../../packages/simulator/dist/console-app/app.js", import.meta.url),
    budget: 35_000,
  },
];
