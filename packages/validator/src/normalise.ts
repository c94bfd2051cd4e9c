// Tolerant mode: rewrites the known ways real Graph payloads depart from the contract into the contract's shape,
// and records each rewrite as a warning with its pointer. The rules come from the payloads under
// openapi/reference/payloads and the notes in its sources.md. Data is moved, never dropped.

import type { EnumNote } from "../generated/validators.js";
import { knownOmissions } from "./generated/tolerance.js";
import type { Issue } from "./issues.js";
import { childPointer, preview } from "./pointer.js";
import { parseResourcePath, type ResourcePath, rosterPath } from "./resource-path.js";

type JsonObject = Record<string, unknown>;

/** The statuses as Graph's documentation spells them, which tolerant mode uses for every status it reads. */
export const operationStatuses = ["notStarted", "running", "completed", "failed"] as const;
/**
 * An operation's status as Graph's documentation spells it (`notStarted`, `running`, `completed`, `failed`): what
 * `canonicalStatus` returns and what a classified operation notification carries, whatever casing arrived.
 * `OperationStatus` in `@graph-invite/types` is every spelling that Graph sends.
 */
export type CanonicalOperationStatus = (typeof operationStatuses)[number];

/** The status as the documentation spells it, whatever its casing; undefined for a status that is not one. */
export function canonicalStatus(status: string): CanonicalOperationStatus | undefined {
  return operationStatuses.find((known) => known.toLowerCase() === status.toLowerCase());
}

/** Deeper than any Graph payload nests (about 12 levels); deeper input is refused rather than walked. */
export const maxDepth = 64;

export const tooDeep: Issue = {
  pointer: "",
  code: "json.too-deep",
  message: `The payload nests more than ${maxDepth} levels deep, far deeper than any Graph payload; it is refused unread.`,
};

export class Normaliser {
  readonly warnings: Issue[] = [];
  /**
   * Where the normalised body's shape departs from the body's as it arrived, oldest first: a participant wrapped in
   * a collection, a collection of one unwrapped, a key renamed. Pointers into the normalised body are mapped back
   * through them, so that every issue points into what was received. They are kept by the first two tokens of their
   * pointer (`/value/3`): a move never leaves the notification or property it is in, so a pointer is mapped through
   * its own notification's moves only, and a body of thousands of reshaped notifications costs linear time.
   */
  private readonly moves = new Map<string, Array<{ readonly normalised: string; readonly received: string }>>();

  private move(move: { readonly normalised: string; readonly received: string }): void {
    const key = scopeOf(move.normalised);
    const moves = this.moves.get(key);
    if (moves === undefined) this.moves.set(key, [move]);
    else moves.push(move);
  }

  /** A pointer into the normalised body as a pointer into the body as it arrived (inside any envelope it was given). */
  received(pointer: string): string {
    const moves = this.moves.get(scopeOf(pointer));
    if (moves === undefined) return pointer;
    let mapped = pointer;
    for (let index = moves.length - 1; index >= 0; index--) {
      const { normalised, received } = moves[index] as { normalised: string; received: string };
      if (mapped === normalised || mapped.startsWith(`${normalised}/`)) {
        mapped = received + mapped.slice(normalised.length);
      }
    }
    return mapped;
  }

  private warn(pointer: string, code: string, message: string): void {
    this.warnings.push({ pointer: this.received(pointer), code, message });
  }

  /** `{ value: [...] }` for a body that is a single notification, or the body as it is. */
  envelope(body: unknown): { body: unknown; unwrapped: boolean } {
    if (!isObject(body) || "value" in body) return { body, unwrapped: false };
    if (!("changeType" in body || "resourceUrl" in body || "resource" in body)) return { body, unwrapped: false };
    this.warn(
      "",
      "notification.unwrapped",
      "A single notification arrived without the `commsNotifications` envelope; read as `{ value: [notification] }`.",
    );
    return { body: { value: [body] }, unwrapped: true };
  }

  /**
   * One pass over the whole payload: reports whether it nests no deeper than `maxDepth`, drops every key that would
   * name a prototype (`__proto__`, `constructor`, `prototype`) so that no object returned can lend one to a spread or
   * an `Object.assign`, and adds the `#` that OData type names start with wherever `@odata.type` lacks it (unless
   * `repair` is false, as in strict mode). Iterative, so that no input can exhaust the stack.
   */
  walk(root: unknown, repair = true): boolean {
    return this.visit(root, 0, [], repair);
  }

  /**
   * Recursive, which is safe: it stops at `maxDepth`, far below any stack's limit. `keys` is the path to `node`,
   * from which a pointer is built only for a node that needs one.
   */
  private visit(node: unknown, depth: number, keys: Array<string | number>, repair: boolean): boolean {
    if (node === null || typeof node !== "object") return true;
    if (depth > maxDepth) return false;
    if (Array.isArray(node)) {
      for (let index = 0; index < node.length; index++) {
        const child: unknown = node[index];
        if (child === null || typeof child !== "object") continue;
        keys.push(index);
        const shallow = this.visit(child, depth + 1, keys, repair);
        keys.pop();
        if (!shallow) return false;
      }
      return true;
    }
    const object = node as JsonObject;
    // The object's own type before its children's, so that warnings come in the order of the text.
    const type = object["@odata.type"];
    if (repair && typeof type === "string" && type.startsWith("microsoft.graph.")) {
      object["@odata.type"] = `#${type}`;
      this.warn(
        childPointer(pointerOf(keys), "@odata.type"),
        "odata-type.missing-hash",
        `\`@odata.type\` ${preview(type)} lacks the leading \`#\`; read as "#${type}".`,
      );
    }
    for (const key in object) {
      if ((key.length === 9 || key.length === 11) && prototypeKeys.has(key)) {
        this.dropPrototypeKey(object, key, keys);
        continue;
      }
      const child = object[key];
      if (child === null || typeof child !== "object") continue;
      keys.push(key);
      const shallow = this.visit(child, depth + 1, keys, repair);
      keys.pop();
      if (!shallow) return false;
    }
    return true;
  }

  private dropPrototypeKey(object: JsonObject, key: string, keys: ReadonlyArray<string | number>): void {
    delete object[key];
    this.warn(
      childPointer(pointerOf(keys), key),
      "json.prototype-key",
      `\`${key}\` names a prototype in JavaScript; it is never a property of a Graph payload, so it was dropped with its value.`,
    );
  }

  /** An evolvable enum's value that tolerant mode kept (the generated validators report them). */
  note({ pointer, value, member, known }: EnumNote): void {
    if (member !== undefined) {
      this.warn(pointer, "enum.casing", `${preview(value)} read as "${member}", the spelling the contract uses.`);
    } else {
      this.warn(
        pointer,
        "enum.unknown-value",
        `${preview(value)} is not a value the contract lists here (${known.join(", ")}); Graph adds values over time, so it is kept as sent.`,
      );
    }
  }

  /** Rewrites one notification of the body, at `pointer`, into the contract's shape. */
  notification(notification: JsonObject, pointer: string): void {
    this.resourceUrl(notification, pointer);
    const url = notification["resourceUrl"];
    const path = typeof url === "string" ? parseResourcePath(url) : undefined;
    if (path === undefined) return;
    const data = this.resourceData(notification, path, pointer);
    const dataPointer = `${pointer}/resourceData`;
    // A collection left as it came is a roster's, or one of several calls or operations, which the contract refuses
    // as they are: only a roster's entries are participants, whose omissions are worth a warning.
    const rosterNow = notification["resourceUrl"] !== url || path.resource.kind === "roster";
    if (Array.isArray(data)) {
      if (rosterNow) this.participants(data, dataPointer);
    } else if (isObject(data)) {
      if (data["@odata.type"] === "#microsoft.graph.deltaParticipants" && Array.isArray(data["participants"])) {
        this.participants(data["participants"], `${dataPointer}/participants`);
      } else if (path.resource.kind === "call") {
        this.call(data, dataPointer);
      } else if (path.resource.kind === "operation" || "status" in data) {
        this.operation(data, dataPointer);
      }
    }
  }

  /**
   * `resourceData` in the shape its path calls for. Graph sends "either an entity or a collection of entities
   * depending on the number of changes packaged", whatever the path, so a participant on its own is one change to
   * the roster (a delta roster of one, never the whole roster), and a collection of one call or operation is that
   * entity.
   */
  private resourceData(notification: JsonObject, path: ResourcePath, pointer: string): unknown {
    const data = notification["resourceData"];
    const dataPointer = `${pointer}/resourceData`;
    const { resource } = path;
    const namesNoOperation = resource.kind === "operation" && resource.operationId === undefined;
    // An operation's collection of one has a status; a roster's entries do not.
    const roster = Array.isArray(data) ? !data.some((item) => isObject(item) && "status" in item) : isParticipant(data);
    if (namesNoOperation && roster) {
      notification["resourceUrl"] = rosterPath(path.callId);
      this.warn(
        `${pointer}/resourceUrl`,
        "notification.roster-on-operations-path",
        `A roster arrived on the operations path ${preview(path.current)}; read as the call's roster (${rosterPath(path.callId)}).`,
      );
    } else if (resource.kind !== "roster" && resource.kind !== "participant") {
      if (!Array.isArray(data) || data.length !== 1) return data;
      this.warn(
        dataPointer,
        "notification.resource-data-collection",
        "`resourceData` was a collection of one entity; read as the entity.",
      );
      return this.reshaped(notification, data[0], { normalised: dataPointer, received: `${dataPointer}/0` });
    }
    if (isObject(data) && data["@odata.type"] !== "#microsoft.graph.deltaParticipants") {
      this.warn(
        dataPointer,
        "notification.resource-data-single",
        "`resourceData` was a single participant, that is one change to the roster; read as a delta roster (`deltaParticipants`) of that participant.",
      );
      const move = { normalised: `${dataPointer}/participants/0`, received: dataPointer };
      return this.reshaped(notification, deltaOf([data]), move);
    }
    if (Array.isArray(data) && resource.kind === "participant") {
      this.warn(
        dataPointer,
        "notification.participant-path-collection",
        `\`resourceData\` was a collection on the path of one participant, ${preview(path.current)}, so it holds changes rather than the whole roster; read as a delta roster (\`deltaParticipants\`).`,
      );
      const move = { normalised: `${dataPointer}/participants`, received: dataPointer };
      return this.reshaped(notification, deltaOf(data), move);
    }
    return data;
  }

  /** `data` as the notification's `resourceData`, where `move.normalised` holds what arrived at `move.received`. */
  private reshaped(notification: JsonObject, data: unknown, move: { normalised: string; received: string }): unknown {
    notification["resourceData"] = data;
    this.move(move);
    return data;
  }

  private resourceUrl(notification: JsonObject, pointer: string): void {
    const url = notification["resourceUrl"];
    const resource = notification["resource"];
    // Only a missing one: a `resourceUrl` of the wrong type is an error to report, not a value to overwrite.
    if ((url === undefined || url === null) && typeof resource === "string") {
      const read = parseResourcePath(resource)?.current ?? resource;
      notification["resourceUrl"] = read;
      this.warn(
        `${pointer}/resourceUrl`,
        "notification.resource-url-missing",
        `\`resourceUrl\` is missing; read from the legacy \`resource\` ${preview(resource)} as ${preview(read)}.`,
      );
    } else if (typeof url === "string" && parseResourcePath(url)?.legacy) {
      const read = parseResourcePath(url)?.current ?? url;
      notification["resourceUrl"] = read;
      this.warn(
        `${pointer}/resourceUrl`,
        "notification.legacy-path",
        `\`resourceUrl\` uses the legacy path ${preview(url)}; read as ${preview(read)}.`,
      );
    }
  }

  private call(call: JsonObject, pointer: string): void {
    if (call["@odata.type"] === undefined) {
      call["@odata.type"] = "#microsoft.graph.call";
      this.warn(
        `${pointer}/@odata.type`,
        "odata-type.inferred",
        "The call has no `@odata.type`; its path names a call, so it is read as #microsoft.graph.call.",
      );
    }
    if (isObject(call["resultInfo"])) this.resultInfo(call["resultInfo"], `${pointer}/resultInfo`);
  }

  /** An operation, in a notification or an action's response. */
  operation(operation: JsonObject, pointer: string): void {
    const status = operation["status"];
    if (typeof status === "string" && !(operationStatuses as readonly string[]).includes(status)) {
      const canonical = canonicalStatus(status);
      if (canonical !== undefined) {
        operation["status"] = canonical;
        this.warn(`${pointer}/status`, "status.casing", `Status ${preview(status)} read as "${canonical}".`);
      }
    }
    if (isObject(operation["resultInfo"])) this.resultInfo(operation["resultInfo"], `${pointer}/resultInfo`);
  }

  private resultInfo(resultInfo: JsonObject, pointer: string): void {
    if ("subCode" in resultInfo && !("subcode" in resultInfo)) {
      resultInfo["subcode"] = resultInfo["subCode"];
      delete resultInfo["subCode"];
      this.warn(`${pointer}/subCode`, "result-info.subcode-casing", "`subCode` read as `subcode`.");
      this.move({ normalised: `${pointer}/subcode`, received: `${pointer}/subCode` });
    }
    for (const key of ["code", "subcode"] as const) {
      const value = resultInfo[key];
      if (typeof value === "string" && /^-?[0-9]{1,15}$/.test(value)) {
        resultInfo[key] = Number(value);
        this.warn(
          `${pointer}/${key}`,
          "result-info.code-string",
          `\`${key}\` was the string ${preview(value)}; read as the number ${Number(value)}.`,
        );
      }
    }
    this.omissions(resultInfo, pointer, knownOmissions.resultInfo);
  }

  // Pointers are built only for a warning: these run for every participant of every roster received.
  private participants(participants: unknown[], pointer: string): void {
    for (let index = 0; index < participants.length; index++) {
      const participant = participants[index];
      if (isObject(participant)) this.participant(participant, pointer, index);
    }
  }

  private participant(participant: JsonObject, parent: string, index: number): void {
    if (lacksAny(participant, knownOmissions.participant)) {
      this.omissions(participant, `${parent}/${index}`, knownOmissions.participant);
    }
    const streams = participant["mediaStreams"];
    if (!Array.isArray(streams)) return;
    for (let at = 0; at < streams.length; at++) {
      const stream: unknown = streams[at];
      if (isObject(stream) && lacksAny(stream, knownOmissions.mediaStream)) {
        this.omissions(stream, `${parent}/${index}/mediaStreams/${at}`, knownOmissions.mediaStream);
      }
    }
  }

  private omissions(object: JsonObject, pointer: string, properties: readonly string[]): void {
    for (const property of properties) {
      if (!(property in object)) {
        this.warn(
          childPointer(pointer, property),
          "contract.missing-property",
          `\`${property}\` is missing; the contract requires it, but Graph is known to omit it, so it is accepted.`,
        );
      }
    }
  }
}

/** The first two tokens of a pointer (`/value/3` of `/value/3/resourceData`), or the pointer when it has fewer. */
function scopeOf(pointer: string): string {
  const second = pointer.indexOf("/", pointer.indexOf("/", 1) + 1);
  return second === -1 ? pointer : pointer.slice(0, second);
}

function lacksAny(object: JsonObject, properties: readonly string[]): boolean {
  for (const property of properties) if (!(property in object)) return true;
  return false;
}

/** Keys that JavaScript reads as a prototype, which a parsed payload must never hold as its own. */
const prototypeKeys: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

function pointerOf(keys: ReadonlyArray<string | number>): string {
  let pointer = "";
  for (const key of keys) pointer = childPointer(pointer, key);
  return pointer;
}

export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A delta roster of the participants given, which is how a roster change of only some participants is typed. */
function deltaOf(participants: unknown[]): JsonObject {
  return { "@odata.type": "#microsoft.graph.deltaParticipants", participants };
}

function isParticipant(value: unknown): boolean {
  return isObject(value) && (value["@odata.type"] === "#microsoft.graph.participant" || "info" in value);
}
