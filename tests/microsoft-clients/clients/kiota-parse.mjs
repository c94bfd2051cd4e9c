// Parses a JSON document as an operation with @microsoft/msgraph-sdk's models, with no request: what the SDK makes of
// a body, whoever sent it. Usage: node kiota-parse.mjs '<json>'
import { AnonymousAuthenticationProvider } from "@microsoft/kiota-abstractions";
import { GraphRequestAdapter } from "@microsoft/msgraph-sdk";
import { createCommsOperationFromDiscriminatorValue } from "@microsoft/msgraph-sdk/models/index.js";

const adapter = new GraphRequestAdapter(new AnonymousAuthenticationProvider());
const bytes = new TextEncoder().encode(process.argv[2] ?? "{}");
const node = adapter.getParseNodeFactory().getRootParseNode("application/json", bytes.buffer);
process.stdout.write(`${JSON.stringify({ model: node.getObjectValue(createCommsOperationFromDiscriminatorValue) })}\n`);
