// One name, one meaning across the published packages: an application imports from several of them, and an editor's
// auto-import picks whichever package it finds first. So a name that two packages export must be the same thing
// (one re-exports the other's) or at least the same type, never two different types that happen to share a name.
import { join } from "node:path";
import ts from "typescript";
import { expect, it } from "vitest";
import { publishedPackages } from "../src/workspace.js";

const packages = await publishedPackages();

/** The declarations files that a package's `exports` give TypeScript, one per entry point, as npm delivers them. */
function typesEntries(name: string, dir: string, manifest: Record<string, unknown>) {
  return Object.entries(manifest["exports"] as Record<string, string | Record<string, string>>).flatMap(
    ([subpath, target]) =>
      typeof target === "object" && target["types"] !== undefined
        ? [{ name: join(name, subpath), file: join(dir, target["types"]) }]
        : [],
  );
}

// One program for all of them, so that a re-export and what it re-exports resolve to the same symbol.
const entries = packages.flatMap((pkg) => typesEntries(pkg.name, pkg.dir, pkg.manifest));
const program = ts.createProgram(
  entries.map(({ file }) => file),
  { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, strict: true, noEmit: true },
);
const checker = program.getTypeChecker();

function exportsOf(file: string): ts.Symbol[] {
  const source = program.getSourceFile(file);
  const module = source && checker.getSymbolAtLocation(source);
  if (module === undefined) throw new Error(`${file} is not a module TypeScript can read`);
  return checker.getExportsOfModule(module);
}

const resolve = (symbol: ts.Symbol): ts.Symbol =>
  symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;

/** Declared twice but the same: the same type (as a type) and the same value type (as a value), each way round. */
function sameMeaning(a: ts.Symbol, b: ts.Symbol): boolean {
  const same = (x: ts.Type, y: ts.Type) => checker.isTypeAssignableTo(x, y) && checker.isTypeAssignableTo(y, x);
  if ((a.flags & ts.SymbolFlags.Type) !== (b.flags & ts.SymbolFlags.Type)) return false;
  if ((a.flags & ts.SymbolFlags.Value) !== (b.flags & ts.SymbolFlags.Value)) return false;
  if (a.flags & ts.SymbolFlags.Type && !same(checker.getDeclaredTypeOfSymbol(a), checker.getDeclaredTypeOfSymbol(b))) {
    return false;
  }
  return !(a.flags & ts.SymbolFlags.Value) || same(checker.getTypeOfSymbol(a), checker.getTypeOfSymbol(b));
}

it("reads every published package's exported names", () => {
  for (const { name, file } of entries) {
    expect(exportsOf(file).length, name).toBeGreaterThan(0);
  }
});

it("gives a name that two packages export one meaning: a re-export, or the same type", () => {
  const byName = new Map<string, { readonly from: string; readonly symbol: ts.Symbol }[]>();
  for (const { name: from, file } of entries) {
    for (const exported of exportsOf(file)) {
      const symbol = resolve(exported);
      byName.set(exported.name, [...(byName.get(exported.name) ?? []), { from, symbol }]);
    }
  }
  const clashes: string[] = [];
  for (const [name, exporters] of byName) {
    const [first, ...others] = exporters;
    for (const other of others) {
      if (first && other.symbol !== first.symbol && !sameMeaning(first.symbol, other.symbol)) {
        clashes.push(`${name}: ${first.from} and ${other.from} export different things`);
      }
    }
  }
  expect(clashes).toEqual([]);
});
