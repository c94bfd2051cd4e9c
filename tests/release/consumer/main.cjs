// The same application started from CommonJS, as a project that has not moved to ESM starts it: require() loads the
// ESM-only packages (Node 20.19+ and 22.12+ load ES modules synchronously when they have no top-level await).
"use strict";

const client = require("@graph-invite/client");
const validator = require("@graph-invite/validator");
const simulator = require("@graph-invite/simulator");
const typesManifest = require("@graph-invite/types/package.json");
const { main } = require("./dist/node.js");

const required = {
  "@graph-invite/client": typeof client.createInviteClient,
  "@graph-invite/validator": typeof validator.parseNotifications,
  "@graph-invite/simulator": typeof simulator.start,
  "@graph-invite/types": typesManifest.name,
};

main().then(
  (report) => process.stdout.write(`${JSON.stringify({ ...report, loadedBy: "require", required })}\n`),
  (error) => {
    process.stderr.write(`${error.stack}\n`);
    process.exitCode = 1;
  },
);
