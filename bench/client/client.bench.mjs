// What @graph-invite/client costs an app, against Microsoft's two JavaScript SDKs and against raw fetch:
// (a) the browser bundle of an app that invites one participant: raw, minified, and minified + gzipped;
// (b) the time per invite on loopback, against a raw fetch POST of the same body, in the same process.
// Exits non-zero when the size targets fail: at most 5 kB gzipped, and at most half of the smallest alternative.
import { realpathSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createInviteClient, userParticipant } from "@graph-invite/client";
import { Bench } from "tinybench";
import { compareAlternating } from "../alternating.mjs";
import { bundleSize } from "../bundle.mjs";
import { print, printTable } from "../report.mjs";
import { clientInviteApp } from "../size/budgets.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const budgetBytes = clientInviteApp.budget;

// The msgraph-sdk app imports @microsoft/kiota-abstractions, the runtime the SDK is built on, which an app installs
// with it. pnpm keeps it beside the SDK in its store rather than in this package's node_modules.
const pnpmStore = join(realpathSync(dirname(require.resolve("@microsoft/msgraph-sdk/package.json"))), "../../../..");

const apps = [
  { name: "@graph-invite/client", entry: "apps/graph-invite-client.mjs", ours: true },
  { name: "@microsoft/microsoft-graph-client", entry: "apps/microsoft-graph-client.mjs" },
  { name: "@microsoft/msgraph-sdk", entry: "apps/msgraph-sdk.mjs" },
];

const kB = (bytes) => `${(bytes / 1000).toFixed(1)} kB`;
print("(a) Bundle size of an app that invites one participant (esbuild, platform browser, ESM, bundled; gzip -9)");
print();
const sizes = [];
for (const app of apps) {
  sizes.push({
    ...app,
    ...(await bundleSize(join(here, app.entry), { nodePaths: [join(pnpmStore, "node_modules")] })),
  });
}
const ours = sizes.find((size) => size.ours);
const alternatives = sizes.filter((size) => !size.ours);
const smallest = Math.min(...alternatives.map((size) => size.gzip));
printTable([
  ["app", "raw bytes", "minified bytes", "min+gzip bytes", "min+gzip", "gzip vs ours"],
  ...sizes.map((size) => [
    size.name,
    size.raw,
    size.min,
    size.gzip,
    kB(size.gzip),
    `${(size.gzip / ours.gzip).toFixed(2)}x`,
  ]),
]);
const ratio = ours.gzip / smallest;
print(`ours: ${ours.gzip} B min+gzip (target <= ${budgetBytes} B)`);
print(`ours / smallest alternative (min+gzip): ${ratio.toFixed(3)} (target <= 0.5)`);
print();

print("(b) Time per invite on loopback: client.invite() against a raw fetch POST of the same body and headers");
print();
const operation = {
  "@odata.type": "#microsoft.graph.inviteParticipantsOperation",
  id: "eec3812a-fdc3-4fb4-825c-a06c9f35414e",
  status: "Running",
  clientContext: "f2fa86af-3c51-4bc2-8fc0-475452d9764f",
  resultInfo: null,
};
const answer = JSON.stringify(operation);
const server = createServer((request, response) => {
  request.resume();
  request.on("end", () => {
    response.writeHead(200, {
      "Content-Type": "application/json",
      Location: `https://graph.microsoft.com/v1.0/communications/calls/c/operations/${operation.id}`,
      "request-id": "94fb3b52-452a-4535-a601-69e0a90e3aa2",
    });
    response.end(answer);
  });
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const baseUrl = `http://127.0.0.1:${server.address().port}/v1.0`;
const callId = "7531d31f-d10d-44de-802f-c569dbca451c";
const token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.bench.token";
const body = {
  participants: [userParticipant("278405a3-f568-4b3e-b684-009193463064", { displayName: "Adele Vance" })],
  clientContext: operation.clientContext,
};

const client = createInviteClient({
  baseUrl,
  credential: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }),
});
const rawFetch = async () => {
  const response = await fetch(`${baseUrl}/communications/calls/${callId}/participants/invite`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const parsed = await response.json();
  return { ok: response.ok, id: parsed.id, location: response.headers.get("Location") };
};
const viaClient = () => client.invite(callId, body);

const [checkRaw, checkClient] = [await rawFetch(), await viaClient()];
if (!checkRaw.ok || !checkClient.ok || checkClient.operationId !== checkRaw.id) {
  throw new Error(`the two tasks disagree: ${JSON.stringify({ checkRaw, checkClient })}`);
}

const bench = new Bench({ time: 3000, warmupTime: 500 });
bench.add("raw fetch POST", rawFetch).add("client.invite()", viaClient);
await bench.run();
// The ratio comes from alternating slices of 100 requests each (see ../alternating.mjs), which a burst of other work
// on the machine moves far less than it moves one task's three seconds.
const alternating = await compareAlternating({ ours: viaClient, baseline: rawFetch, slices: 41, sliceSize: 100 });
server.close();

const latency = (name) => bench.tasks.find((task) => task.name === name).result.latency;
const us = (ms) => (ms * 1000).toFixed(1);
printTable([
  ["task", "mean us", "p50 us", "p99 us", "rme %", "samples"],
  ...bench.tasks.map(({ name, result: { latency: l } }) => [
    name,
    us(l.mean),
    us(l.p50),
    us(l.p99),
    l.rme.toFixed(2),
    l.samplesCount,
  ]),
]);
const overhead = latency("client.invite()").mean / latency("raw fetch POST").mean;
print(`overhead ratio (client.invite() / raw fetch), tinybench means: ${overhead.toFixed(2)}`);
print(
  `overhead ratio (client.invite() / raw fetch), median of ${alternating.slices} alternating slices of ` +
    `${alternating.sliceSize} requests: ${(1 / alternating.ratio).toFixed(2)}`,
);
print();

const failures = [];
if (ours.gzip > budgetBytes) {
  failures.push(`@graph-invite/client is ${ours.gzip} B gzipped, over the ${budgetBytes} B budget`);
}
if (ratio > 0.5) {
  failures.push(`@graph-invite/client is ${(ratio * 100).toFixed(0)}% of the smallest alternative, over 50%`);
}
for (const failure of failures) {
  process.stderr.write(`TARGET MISSED: ${failure}\n`);
}
print(failures.length === 0 ? "size targets met" : "size targets missed");
process.exitCode = failures.length === 0 ? 0 : 1;
