// Paths to the payloads the tests take as cases.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const openapiDir = resolve(dirname(fileURLToPath(import.meta.url)), "../../../openapi");
export const examplesDir = resolve(openapiDir, "examples");
export const payloadsDir = resolve(openapiDir, "reference/payloads");
export const malformedDir = resolve(payloadsDir, "malformed");
export const specPath = resolve(openapiDir, "graph-invite.yaml");

export function jsonFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(".json"))
    .sort();
}

export function readText(dir: string, name: string): string {
  return readFileSync(resolve(dir, name), "utf8");
}
