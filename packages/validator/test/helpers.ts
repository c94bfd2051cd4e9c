// Paths to the payloads the tests take as cases.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Mode, parseInviteResponse, parseNotifications, validateInviteRequest } from "../src/index.js";

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

/** What an example of `openapi/examples` is, by its name. */
export function exampleKind(name: string): "request" | "response" | "notifications" {
  if (name.endsWith(".request.json")) return "request";
  return name.endsWith(".response.json") ? "response" : "notifications";
}

/** Checks a body as the example `name` is checked: an invite request by the rules, the others by their parser. */
export function checkAsExample(name: string, body: unknown, mode: Mode) {
  const kind = exampleKind(name);
  if (kind === "request") return validateInviteRequest(body);
  return kind === "response" ? parseInviteResponse(body, { mode }) : parseNotifications(body, { mode });
}
