// Tells which of the action's payloads a value is, from the properties only that kind has.
import { isObject } from "./normalise.js";

export type PayloadKind = "invite-request" | "invite-response" | "notifications" | "graph-error";

export function detectKind(value: unknown): PayloadKind | undefined {
  if (!isObject(value)) return undefined;
  if (isObject(value["error"])) return "graph-error";
  if (Array.isArray(value["value"]) || "changeType" in value || "resourceUrl" in value) return "notifications";
  if (Array.isArray(value["participants"]) && !("status" in value)) return "invite-request";
  if ("status" in value) return "invite-response";
  return undefined;
}
