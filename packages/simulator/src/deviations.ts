// Graph's known departures from its own contract, applied on demand to what the simulator sends, so a bot can be
// tested against each of them. The validator's tolerant mode reads every one of them back.
import type { CommsNotificationsBody } from "@graph-invite/types";
import type { Deviation } from "./options.js";

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null;

/** The participants of a roster's `resourceData`: a list, or a `deltaParticipants`' list. */
function rosterParticipants(data: unknown): Json[] {
  const list = Array.isArray(data) ? data : isObject(data) ? data["participants"] : undefined;
  return Array.isArray(list) ? list.filter(isObject) : [];
}

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** What a deviation may need to know about the call the notification is about. */
interface Context {
  readonly callbackUri: string;
}

const apply: Record<Deviation, (notification: Json, context: Context) => void> = {
  "status-casing": (notification) => {
    const data = notification["resourceData"];
    if (isObject(data) && typeof data["status"] === "string") data["status"] = capitalise(data["status"]);
  },
  "null-ids": (notification) => {
    const data = notification["resourceData"];
    if (isObject(data) && "status" in data) data["id"] = null;
    for (const participant of rosterParticipants(data)) participant["id"] = null;
  },
  "codes-as-strings": (notification) => {
    const data = notification["resourceData"];
    const info = isObject(data) ? data["resultInfo"] : undefined;
    if (!isObject(info)) return;
    for (const key of ["code", "subcode"]) {
      if (typeof info[key] === "number") info[key] = String(info[key]);
    }
  },
  "app-paths": (notification) => {
    if (typeof notification["resource"] === "string") notification["resourceUrl"] = notification["resource"];
  },
  "roster-on-operations-path": (notification) => {
    for (const key of ["resource", "resourceUrl"]) {
      const path = notification[key];
      if (typeof path === "string" && /^\/[a-z]+\/calls\/[^/]+\/participants$/.test(path)) {
        notification[key] = path.replace(/\/participants$/, "/operations/participants");
      }
    }
  },
  "undeclared-properties": (notification, { callbackUri }) => {
    notification["callbackUri"] = callbackUri;
    for (const participant of rosterParticipants(notification["resourceData"])) {
      participant["publishedStates"] = [];
      participant["meetingRole"] = "attendee";
    }
  },
};

/** A copy of the body with the deviations applied; the original is left as it was. */
export function withDeviations(
  body: CommsNotificationsBody,
  chosen: readonly Deviation[],
  context: Context,
): CommsNotificationsBody {
  const copy = structuredClone(body);
  if (chosen.length === 0) return copy;
  for (const notification of copy.value as Json[]) {
    for (const deviation of chosen) apply[deviation](notification, context);
  }
  return copy;
}
