// The workspace as a release sees it: every package pnpm knows, the ones that publish, and their tarballs.
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
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

export interface WorkspacePackage {
  readonly name: string;
  /** The absolute path of its folder. */
  readonly dir: string;
  /** Its folder relative to the workspace root, such as `packages/client`. */
  readonly path: string;
  readonly manifest: Manifest;
}

export function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Manifest;
}

/** Every package of the workspace but its root, as pnpm lists them (pnpm-workspace.yaml's globs expanded). */
export async function workspacePackages(): Promise<WorkspacePackage[]> {
  const { stdout } = await run("pnpm", ["ls", "--recursive", "--depth", "-1", "--json"], { cwd: repoRoot });
  return (JSON.parse(stdout) as { path: string }[])
    .map(({ path }) => ({ dir: path, path: relative(repoRoot, path), manifest: readManifest(path) }))
    .filter(({ path }) => path !== "")
    .map((pkg) => ({ ...pkg, name: pkg.manifest.name }));
}

/** The packages that are not private: every one of them is what `changeset publish` publishes. */
export async function publishedPackages(): Promise<WorkspacePackage[]> {
  return (await workspacePackages()).filter(({ manifest }) => manifest.private !== true);
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
  const { name, version, filename } = JSON.parse(stdout) as { name: string; version: string; filename: string };
  // The files as the tarball holds them: pnpm's report leaves out a LICENSE it adds from the workspace root.
  const listed = (await run("tar", ["-tzf", filename], { cwd: destination })).stdout;
  const files = listed
    .split("\n")
    .filter((entry) => entry !== "" && !entry.endsWith("/"))
    .map((entry) => entry.replace(/^package\//, ""));
  return { name, version, filename, files };
}

/** A file inside a tarball, such as `package.json`, as npm will install it. */
export async function fileInTarball(filename: string, path: string): Promise<string> {
  const { stdout } = await run("tar", ["-xzOf", filename, `package/${path}`], { cwd: repoRoot });
  return stdout;
}

export async function manifestInTarball(filename: string): Promise<Manifest> {
  return JSON.parse(await fileInTarball(filename, "package.json")) as Manifest;
}
