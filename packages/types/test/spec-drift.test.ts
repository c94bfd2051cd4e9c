// Proves that the type tests guard the spec: a spec whose property is renamed generates types under which the
// generated type tests (the reference page's examples, and Graph's metadata) no longer compile.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";
import ts from "typescript";
import { afterAll, describe, expect, test } from "vitest";
import { parse } from "yaml";

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const specText = readFileSync(resolve(packageDir, "../../openapi/graph-invite.yaml"), "utf8");
// Inside the package, so that `vitest` and the other imports of the copied files resolve from its node_modules.
const scratch = mkdtempSync(join(packageDir, "node_modules", ".spec-drift-"));

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The generated type tests, which must stop compiling when the spec drifts. */
const guardFiles = ["test/seed-examples.test-d.ts", "test/metadata-properties.test-d.ts"];

/** The package's own compiler options. */
const compilerOptions = (() => {
  const parsed = ts.getParsedCommandLineOfConfigFile(resolve(packageDir, "tsconfig.json"), undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, " "));
    },
  });
  if (!parsed) throw new Error("tsconfig.json could not be read");
  return { ...parsed.options, noEmit: true };
})();

/** Generates the types from `spec` next to copies of the entry and the guard files; returns tsc's errors. */
async function compileGuardsAgainst(spec: object, name: string): Promise<string[]> {
  const dir = join(scratch, name);
  mkdirSync(join(dir, "src/generated"), { recursive: true });
  mkdirSync(join(dir, "test"), { recursive: true });
  const ast = await openapiTS(JSON.stringify(withoutExamples(spec)), {
    rootTypes: true,
    rootTypesNoSchemaPrefix: true,
  });
  writeFileSync(join(dir, "src/generated/openapi.ts"), astToString(ast));
  writeFileSync(join(dir, "src/index.ts"), readFileSync(join(packageDir, "src/index.ts")));
  for (const file of guardFiles) writeFileSync(join(dir, file), readFileSync(join(packageDir, file)));

  const program = ts.createProgram(
    guardFiles.map((file) => join(dir, file)),
    compilerOptions,
  );
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => `${d.file?.fileName.replace(dir, "") ?? ""}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`);
}

/** The spec without its Example Objects, whose `externalValue` files would resolve against the wrong directory. */
function withoutExamples(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutExamples);
  if (node === null || typeof node !== "object") return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key]) => key !== "examples")
      .map(([key, value]) => [key, withoutExamples(value)]),
  );
}

type Spec = { components: { schemas: Record<string, { properties: Record<string, unknown> }> } };

function renameProperty(schema: string, from: string, to: string): Spec {
  const spec = parse(specText) as Spec;
  const properties = spec.components.schemas[schema]?.properties;
  if (!properties?.[from]) throw new Error(`${schema} has no property ${from}`);
  spec.components.schemas[schema] = {
    ...spec.components.schemas[schema],
    properties: Object.fromEntries(Object.entries(properties).map(([key, value]) => [key === from ? to : key, value])),
  };
  return spec;
}

describe("the generated type tests", () => {
  test("compile against the spec as it is", async () => {
    expect(await compileGuardsAgainst(parse(specText), "unchanged")).toEqual([]);
  }, 60_000);

  test.each([
    ["invitationParticipantInfo", "replacesCallId", "replacesCall"],
    ["commsNotification", "resourceUrl", "resourceUri"],
    ["participant", "isInLobby", "inLobby"],
    // Properties that no example of the reference page uses.
    ["resultInfo", "subcode", "subCode"],
    ["call", "callbackUri", "callbackUrl"],
  ])(
    "fail when %s.%s is renamed",
    async (schema, from, to) => {
      const errors = await compileGuardsAgainst(renameProperty(schema, from, to), `${schema}-${from}`);
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.every((e) => guardFiles.some((file) => e.startsWith(`/${file}`)))).toBe(true);
      expect(errors.some((e) => e.includes(`"${from}"`) || e.includes(`"${to}"`))).toBe(true);
    },
    60_000,
  );
});
