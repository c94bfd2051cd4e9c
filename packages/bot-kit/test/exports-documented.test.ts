// Every name a caller can import from the kit's entry points has its own TSDoc: a name that shows up only in the
// .d.ts files, undocumented, is one a user cannot learn about. Names re-exported from the other @graph-invite packages
// carry the docs of the package that owns them.
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { expect, test } from "vitest";

const entryPoints = ["index.ts", "auth/index.ts", "node/index.ts", "redis/index.ts", "testing.ts"].map((file) =>
  fileURLToPath(new URL(`../src/${file}`, import.meta.url)),
);

test("every exported name of every entry point is documented", () => {
  const program = ts.createProgram(entryPoints, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
  });
  const checker = program.getTypeChecker();
  const undocumented: string[] = [];
  for (const file of entryPoints) {
    const source = program.getSourceFile(file);
    const module = source === undefined ? undefined : checker.getSymbolAtLocation(source);
    expect(module, file).toBeDefined();
    for (const exported of checker.getExportsOfModule(module as ts.Symbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const documented = (symbol.getDeclarations() ?? []).some(
        (declaration) => ts.getJSDocCommentsAndTags(declaration).length > 0,
      );
      if (!documented) undocumented.push(`${file.replace(/.*\/src\//, "")}: ${exported.name}`);
    }
  }
  expect(undocumented).toEqual([]);
});
