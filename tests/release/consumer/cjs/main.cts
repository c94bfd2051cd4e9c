// The same application started from CommonJS, as a project that has not moved to ESM starts it. TypeScript compiles
// these imports to require() calls, which load the ESM-only packages (Node 20.19+ and 22.12+ load an ES module
// synchronously when it has no top-level await). `process.stdout` prints the report, as src/main.ts does.
import * as botKit from "@graph-invite/bot-kit";
import * as botKitAuth from "@graph-invite/bot-kit/auth";
import * as botKitNode from "@graph-invite/bot-kit/node";
import * as botKitRedis from "@graph-invite/bot-kit/redis";
import * as botKitTesting from "@graph-invite/bot-kit/testing";
import * as client from "@graph-invite/client";
import * as clientAbort from "@graph-invite/client/abort";
import * as clientBackoff from "@graph-invite/client/backoff";
import * as clientBody from "@graph-invite/client/body";
import * as simulator from "@graph-invite/simulator";
import * as types from "@graph-invite/types";
import * as validator from "@graph-invite/validator";
import { main } from "../src/node.js";

const required = {
  "@graph-invite/bot-kit": typeof botKit.createBot,
  "@graph-invite/bot-kit/auth": typeof botKitAuth.createCallbackAuthenticator,
  "@graph-invite/bot-kit/node": typeof botKitNode.nodeHandler,
  // Loads without the redis package: the store takes a client the application created.
  "@graph-invite/bot-kit/redis": typeof botKitRedis.RedisStore,
  "@graph-invite/bot-kit/testing": typeof botKitTesting.applyRosterNotification,
  "@graph-invite/client": typeof client.createInviteClient,
  "@graph-invite/client/abort": typeof clientAbort.abortable,
  "@graph-invite/client/backoff": typeof clientBackoff.doublingDelayMs,
  "@graph-invite/client/body": typeof clientBody.readBounded,
  "@graph-invite/validator": typeof validator.parseNotifications,
  "@graph-invite/simulator": typeof simulator.start,
  // Types only: its module loads, and holds nothing else.
  "@graph-invite/types": typeof types,
};

main().then(
  (report) => process.stdout.write(`${JSON.stringify({ ...report, loadedBy: "require", required })}\n`),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
