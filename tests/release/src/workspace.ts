// The workspace as a release sees it: the packages that publish, and where they are.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { run } from "./exec.js";

export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));

/** The fields of package.json that these tests read. */
export interface Manifest {
  readonly name: string;
  readonly version: string;
  readonly private?: boolean;
  readonly [field: string]: unknown;
}

export interface PublishedPackage {
  readonly name: string;
  readonly dir: string;
  readonly manifest: Manifest;
}

export function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Manifest;
}

/** Every package under packages/ that is not private: the ones `changeset publish` publishes. */
export function publishedPackages(): PublishedPackage[] {
  const root = join(repoRoot, "packages");
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => ({ dir: join(root, entry.name), manifest: readManifest(join(root, entry.name)) }))
    .filter(({ manifest }) => manifest.private !== true)
    .map(({ dir, manifest }) => ({ name: manifest.name, dir, manifest }));
}

export interface Tarball {
  readonly name: string;
  readonly version: string;
  /** The tarball's absolute path. */
  readonly filename: string;
  /** The paths inside the tarball, relative to its package/ folder. */
  readonly files: readonly string[];
}

/** `pnpm pack` in the package's folder: workspace: and catalog: ranges become the versions they stand for. */
export async function pack(dir: string, destination: string): Promise<Tarball> {
  const { stdout } = await run("pnpm", ["pack", "--json", "--pack-destination", destination], { cwd: dir });
  const packed = JSON.parse(stdout) as { name: string; version: string; filename: string; files: { path: string }[] };
  return { ...packed, files: packed.files.map((file) => file.path) };
}

/** The package.json inside a tarball, as npm will install it. */
export async function manifestInTarball(filename: string): Promise<Manifest> {
  const { stdout } = await run("tar", ["-xzOf", filename, "package/package.json"], { cwd: repoRoot });
  return JSON.parse(stdout) as Manifest;
}
