import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { codeBlockAfter, typecheckFile } from "@graph-invite/test-support/readme";
import { afterAll, describe, expect, it, vi } from "vitest";
import { accepted, callId, failed, fixture, type LoopbackGraph, operationId, startGraph } from "./graph-server.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const scratch = new URL("./.readme/", import.meta.url);

/**
 * Runs the quick start as a reader would, against a loopback Graph. The only changes: the import points at the built
 * package, `cloud: "global"` becomes the loopback base URL, and the invites it records are exported for the test.
 */
function writeQuickStart(baseUrl: string, name: string): URL {
  const code = codeBlockAfter(readme, "## Quick start", "ts");
  expect(code).toContain('from "@graph-invite/client"');
  expect(code).toContain('cloud: "global",');
  const runnable = code
    .replace('from "@graph-invite/client"', 'from "../../dist/index.js"')
    .replace('cloud: "global",', `baseUrl: ${JSON.stringify(baseUrl)},`);
  mkdirSync(scratch, { recursive: true });
  const file = new URL(`${name}.ts`, scratch);
  writeFileSync(file, `${runnable}\nexport { pendingInvites };\n`);
  return file;
}

interface QuickStartRun {
  readonly printed: string[];
  /** The example's record of invites, keyed by clientContext, as it stands when the example ends. */
  readonly pendingInvites: ReadonlyMap<string, unknown>;
}

async function runQuickStart(graph: LoopbackGraph, name: string): Promise<QuickStartRun> {
  const file = writeQuickStart(graph.baseUrl, name);

  const printed: string[] = [];
  const log = vi.spyOn(console, "log").mockImplementation((line: string) => printed.push(line));
  const error = vi.spyOn(console, "error").mockImplementation((line: string) => printed.push(line));
  vi.stubEnv("GRAPH_TOKEN", "token-from-env");
  vi.stubEnv("CALL_ID", callId);
  try {
    const { pendingInvites } = (await import(/* @vite-ignore */ file.href)) as Pick<QuickStartRun, "pendingInvites">;
    return { printed, pendingInvites };
  } finally {
    log.mockRestore();
    error.mockRestore();
    vi.unstubAllEnvs();
  }
}

describe("README quick start", () => {
  let graph: LoopbackGraph | undefined;
  afterAll(async () => {
    await graph?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("invites the user and prints the operation", async () => {
    graph = await startGraph(accepted());
    const { printed, pendingInvites } = await runQuickStart(graph, "success");

    expect(graph.requests).toHaveLength(1);
    const [request] = graph.requests;
    expect(request?.url).toBe(`/v1.0/communications/calls/${callId}/participants/invite`);
    expect(request?.headers.authorization).toBe("Bearer token-from-env");
    const sent = JSON.parse(request?.body ?? "");
    expect(sent.participants[0].identity.user).toEqual({
      "@odata.type": "#microsoft.graph.identity",
      id: "278405a3-f568-4b3e-b684-009193463064",
      displayName: "Adele Vance",
    });
    expect(printed).toEqual([`operation ${operationId} is Running; context ${sent.clientContext}`]);
    // The context it chose and recorded, so that a notification that beats the response finds its invite.
    expect([...pendingInvites.keys()]).toEqual([sent.clientContext]);
    await graph.close();
    graph = undefined;
  });

  it("typechecks under the repository's strict settings", () => {
    const file = writeQuickStart("http://127.0.0.1:9/v1.0", "typecheck");
    const problems = typecheckFile(fileURLToPath(file), fileURLToPath(new URL("../tsconfig.json", import.meta.url)));
    expect(problems).toEqual([]);
    // A whole TypeScript program: seconds on a busy machine.
  }, 60_000);

  it("prints Graph's error when the invite is refused", async () => {
    graph = await startGraph(failed(403, fixture("docs-concepts-onlinemeeting-access-policy-Unauthorized-error.json")));
    const { printed, pendingInvites } = await runQuickStart(graph, "refused");
    expect(printed).toEqual(["Graph said 403 Unauthorized (request-id 599d9cb0-56ac-4dc5-b6f8-1456a1414609)"]);
    expect(pendingInvites.size).toBe(0);
  });

  it("records the clientContext it chooses before it sends the invite", () => {
    const code = codeBlockAfter(readme, "## Quick start", "ts");
    const recorded = code.indexOf("pendingInvites.set(clientContext");
    expect(recorded).toBeGreaterThan(code.indexOf("const clientContext = crypto.randomUUID()"));
    expect(recorded).toBeLessThan(code.indexOf("await client.invite("));
  });
});

it("pins for Node 20 the @azure/identity and Azure core versions that this repository pins", () => {
  // The repository runs on Node 20.19 with these pins (see CONTRIBUTING.md); the README must not drift from them.
  const workspace = readFileSync(new URL("../../../pnpm-workspace.yaml", import.meta.url), "utf8");
  const { dependencies, overrides } = JSON.parse(
    codeBlockAfter(
      readme,
      "Which `@azure/identity` works depends on the Node.js line, by the `engines` each release declares:",
      "json",
    ),
  ) as { dependencies: Record<string, string>; overrides: Record<string, string> };
  expect(Object.keys(overrides).length).toBeGreaterThan(0);
  for (const [name, version] of Object.entries({ ...dependencies, ...overrides })) {
    expect(workspace, name).toContain(`"${name}": ${version}\n`);
  }
});

it("the client-secret example typechecks under the repository's strict settings", () => {
  const code = codeBlockAfter(readme, "### A client secret, without `@azure/identity`", "ts");
  expect(code).toContain("clientSecretCredential({");
  mkdirSync(scratch, { recursive: true });
  const file = new URL("client-secret.ts", scratch);
  writeFileSync(
    file,
    `${code.replace('from "@graph-invite/client"', 'from "../../dist/index.js"')}\nexport { client };\n`,
  );
  try {
    expect(typecheckFile(fileURLToPath(file), fileURLToPath(new URL("../tsconfig.json", import.meta.url)))).toEqual([]);
  } finally {
    rmSync(file, { force: true });
  }
}, 60_000);
