// Reads the JSON that drives the simulator from outside the process: the CLI's config file and the control API's
// bodies. Each mistake is reported with the JSON Pointer of the field and what it should be.
import type { AnyIdentitySet, ChatInfo } from "@graph-invite/types";
import { type SchemaName, validateSchema } from "@graph-invite/validator";
import { graphError, HttpError } from "./http.js";
import { maxTimerMs } from "./in-flight.js";
import type { KeyRollover } from "./keys.js";
import {
  type Answer,
  type AppRegistration,
  type CallSeed,
  type DeliveryControls,
  type Deviation,
  type DirectoryUser,
  deviations,
  type NotificationKind,
  type RejectedInvite,
  type Scenario,
  type SeedParticipant,
  type SimulatorOptions,
} from "./options.js";

/** A field that is not what it should be. */
export class ConfigError extends Error {
  constructor(
    /** Where the field is, as a JSON Pointer into the document; `""` for the whole document. */
    readonly pointer: string,
    /** What the field should be, for a person. */
    readonly rule: string,
  ) {
    super(`${pointer === "" ? "the document" : pointer}: ${rule}`);
  }
}

type Json = Record<string, unknown>;

const pointerToken = (key: string) => key.replaceAll("~", "~0").replaceAll("/", "~1");

/** One value of the document, with the pointer to it. */
class Field {
  constructor(
    readonly value: unknown,
    readonly pointer: string,
  ) {}

  child(key: string | number): Field {
    const parent = this.value as Json & unknown[];
    return new Field(parent[key as never], `${this.pointer}/${pointerToken(String(key))}`);
  }

  get present(): boolean {
    return this.value !== undefined;
  }

  fail(rule: string): never {
    throw new ConfigError(this.pointer, rule);
  }

  /** An object with any keys. */
  record(): Json {
    if (typeof this.value !== "object" || this.value === null || Array.isArray(this.value))
      this.fail("must be an object");
    return this.value as Json;
  }

  /** An object with only the `allowed` keys. */
  object(allowed: readonly string[]): Json {
    const value = this.record();
    const unknown = Object.keys(value).find((key) => !allowed.includes(key));
    if (unknown !== undefined)
      this.child(unknown).fail(`is not a known property (expected one of ${allowed.join(", ")})`);
    return value;
  }

  array(): Field[] {
    if (!Array.isArray(this.value)) this.fail("must be an array");
    return this.value.map((_, index) => this.child(index));
  }

  string(): string {
    if (typeof this.value !== "string" || this.value === "") this.fail("must be a non-empty string");
    return this.value;
  }

  oneOf<T extends string>(choices: readonly T[]): T {
    if (!choices.includes(this.value as T))
      this.fail(`must be one of ${choices.map((c) => JSON.stringify(c)).join(", ")}`);
    return this.value as T;
  }

  number(min = 0, max = Number.MAX_SAFE_INTEGER): number {
    if (typeof this.value !== "number" || !Number.isFinite(this.value) || this.value < min || this.value > max) {
      this.fail(`must be a number from ${min} to ${max}`);
    }
    return this.value;
  }

  /** A wait in milliseconds. Node fires a timer longer than its limit after 1 ms, the opposite of what was asked. */
  milliseconds(): number {
    return this.number(0, maxTimerMs);
  }

  integer(min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const value = this.number(min, max);
    if (!Number.isInteger(value)) this.fail("must be an integer");
    return value;
  }

  boolean(): boolean {
    if (typeof this.value !== "boolean") this.fail("must be true or false");
    return this.value;
  }

  url(): string {
    const text = this.string();
    if (!URL.canParse(text) || !/^https?:$/.test(new URL(text).protocol)) this.fail("must be an http or https URL");
    return text;
  }

  /** A value of one of the contract's types, checked by the validator; reports the first problem's pointer. */
  schema<T>(name: SchemaName): T {
    const checked = validateSchema(name, this.value);
    if (checked.ok) return this.value as T;
    const [first] = checked.errors;
    throw new ConfigError(`${this.pointer}${first?.pointer ?? ""}`, first?.message ?? `must be a ${name}`);
  }

  /** The property's value read by `read`, or no property at all when it is absent. */
  optional<K extends string, T>(key: K, read: (field: Field) => T): { [P in K]?: T } {
    const field = this.child(key);
    return (field.present ? { [key]: read(field) } : {}) as { [P in K]?: T };
  }
}

function parseText(text: string): Field {
  try {
    return new Field(JSON.parse(text), "");
  } catch (error) {
    throw new ConfigError("", `is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

const readApp = (field: Field): AppRegistration => {
  field.object(["appId", "secret", "tenantId", "roles"]);
  return {
    appId: field.child("appId").string(),
    secret: field.child("secret").string(),
    tenantId: field.child("tenantId").string(),
    ...field.optional("roles", (roles) => roles.array().map((role) => role.string())),
  };
};

const readUser = (field: Field): DirectoryUser => {
  field.object(["id", "displayName", "tenantId"]);
  return {
    id: field.child("id").string(),
    ...field.optional("displayName", (name) => name.string()),
    ...field.optional("tenantId", (tenant) => tenant.string()),
  };
};

const readCallSeed = (field: Field): CallSeed => {
  field.object(["id", "kind", "callbackUri", "appId", "chatInfo", "participants"]);
  return {
    ...field.optional("id", (id) => id.string()),
    kind: field.child("kind").oneOf(["p2p", "group", "meeting"] as const),
    callbackUri: field.child("callbackUri").url(),
    ...field.optional("appId", (id) => id.string()),
    ...field.optional("chatInfo", (chat) => chat.schema<ChatInfo>("chatInfo")),
    ...field.optional("participants", (list) => list.array().map(readSeedParticipant)),
  };
};

const readSeedParticipant = (field: Field): SeedParticipant => {
  field.object(["id", "identity"]);
  const identity = field.child("identity");
  const members = Object.entries(identity.record()).filter(([key]) => key !== "@odata.type");
  const identitySet = identity.schema<AnyIdentitySet>("anyIdentitySet");
  if (!members.some(([, member]) => typeof member === "object" && member !== null)) {
    identity.fail("must name an identity, such as user or phone");
  }
  return { ...field.optional("id", (id) => id.string()), identity: identitySet };
};

const readAnswer = (field: Field): Answer => {
  field.object(["kind", "afterMs", "code", "subcode", "message"]);
  const kind = field.child("kind").oneOf(["accept", "decline", "no-answer"] as const);
  const afterMs = field.optional("afterMs", (ms) => ms.milliseconds());
  // Checked whatever the kind: a mistake in them shows now, not only once the answer is switched to a decline.
  const failure = {
    ...field.optional("code", (code) => code.integer()),
    ...field.optional("subcode", (code) => code.integer()),
    ...field.optional("message", (message) => message.string()),
  };
  return kind === "accept" ? { kind, ...afterMs } : { kind, ...afterMs, ...failure };
};

const readRejection = (field: Field): RejectedInvite => {
  field.object(["status", "retryAfter"]);
  const status = field.child("status").value;
  if (status !== 429 && status !== 503) return field.child("status").fail("must be 429 or 503");
  return { status, ...field.optional("retryAfter", readRetryAfter) };
};

/** Sent verbatim as the `Retry-After` header: seconds (Graph sends fractions such as `2.128`) or an HTTP-date. */
const readRetryAfter = (field: Field): string => {
  const text = field.string();
  const seconds = /^\d+(\.\d+)?$/.test(text);
  const date = /^[\x20-\x7e]+$/.test(text) && /[a-z]/i.test(text) && !Number.isNaN(Date.parse(text));
  if (!seconds && !date) field.fail("must be a number of seconds, such as 2.128, or an HTTP-date");
  return text;
};

const readDelivery = (field: Field): DeliveryControls => {
  field.object(["delayMs", "duplicate", "reorder", "terminalBeforeResponse", "drop", "maxAttempts", "retryDelayMs"]);
  return {
    ...field.optional("delayMs", (ms) => ms.milliseconds()),
    ...field.optional("duplicate", (flag) => flag.boolean()),
    ...field.optional("reorder", (flag) => flag.boolean()),
    ...field.optional("terminalBeforeResponse", (flag) => flag.boolean()),
    ...field.optional("drop", (kinds) =>
      kinds.array().map((kind) => kind.oneOf<NotificationKind>(["operation", "roster", "call"])),
    ),
    ...field.optional("maxAttempts", (count) => count.integer(1)),
    ...field.optional("retryDelayMs", (ms) => ms.milliseconds()),
  };
};

const readScenario = (field: Field): Scenario => {
  field.object([
    "answers",
    "defaultAnswer",
    "rejectInvites",
    "delivery",
    "deviations",
    "roster",
    "rosterSequenceNumbers",
  ]);
  return {
    ...field.optional("answers", (answers) => {
      const entries = Object.keys(answers.record());
      return Object.fromEntries(entries.map((id) => [id, readAnswer(answers.child(id))]));
    }),
    ...field.optional("defaultAnswer", readAnswer),
    ...field.optional("rejectInvites", (list) => list.array().map(readRejection)),
    ...field.optional("delivery", readDelivery),
    ...field.optional("deviations", (list) => list.array().map((item) => item.oneOf<Deviation>(deviations))),
    ...field.optional("roster", (mode) => mode.oneOf(["full", "delta"] as const)),
    ...field.optional("rosterSequenceNumbers", (flag) => flag.boolean()),
  };
};

/** Checks options given in code as thoroughly as a config file; throws a {@link ConfigError} naming the field. */
export function checkOptions(value: unknown): SimulatorOptions {
  const root = new Field(value, "");
  root.object([
    "$schema",
    "port",
    "host",
    "apps",
    "directory",
    "calls",
    "scenario",
    "notificationIssuer",
    "tls",
    "publicUrl",
  ]);
  // Only editors read it, but a value that is not a string is a mistake all the same.
  root.optional("$schema", (schema) => schema.string());
  const options: SimulatorOptions = {
    ...root.optional("port", (port) => port.integer(0, 65535)),
    ...root.optional("host", (host) => host.string()),
    ...root.optional("apps", (apps) => apps.array().map(readApp)),
    ...root.optional("directory", (users) => users.array().map(readUser)),
    ...root.optional("calls", (calls) => calls.array().map(readCallSeed)),
    ...root.optional("scenario", readScenario),
    ...root.optional("notificationIssuer", (issuer) =>
      issuer.oneOf(["https://api.botframework.com", "https://graph.microsoft.com"] as const),
    ),
    ...root.optional("tls", (tls) => tls.boolean()),
    ...root.optional("publicUrl", readPublicUrl),
  };
  checkCallOwners(root, options);
  return options;
}

/** An origin: every URL handed out is built on it, so a path, query or fragment would be silently dropped. */
function readPublicUrl(field: Field): string {
  const url = new URL(field.url());
  if (url.pathname !== "/" || url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
    field.fail("must be an origin (scheme, host and port), with no path, query, fragment or credentials");
  }
  return url.origin;
}

/** The CLI's config file: everything {@link SimulatorOptions} holds, as JSON. */
export function parseConfig(text: string): SimulatorOptions {
  // Editors on Windows save JSON with a byte order mark, which JSON.parse refuses.
  return checkOptions(parseText(text.replace(/^\uFEFF/, "")).value);
}

/** Checks a scenario given in code; throws a {@link ConfigError} naming the field. */
export const checkScenario = (value: unknown): Scenario => readScenario(new Field(value, ""));

/** Checks a key rollover given in code; throws a {@link ConfigError} naming the field. */
export function checkRollover(value: unknown): KeyRollover {
  const field = new Field(value, "");
  field.object(["overlapMs", "retainMs"]);
  return {
    overlapMs: field.child("overlapMs").milliseconds(),
    ...field.optional("retainMs", (retain) => retain.milliseconds()),
  };
}

/** Checks a call given in code; throws a {@link ConfigError} naming the field. */
export const checkCallSeed = (value: unknown): CallSeed => readCallSeed(new Field(value, ""));

/** What start() would otherwise refuse without a pointer: a call of an app not in `apps`, or a call id used twice. */
function checkCallOwners(root: Field, options: SimulatorOptions): void {
  const appIds = new Set((options.apps ?? []).map((app) => app.appId));
  const callIds = new Set<string>();
  (options.calls ?? []).forEach((call, index) => {
    const field = root.child("calls").child(index);
    if (call.appId !== undefined && !appIds.has(call.appId)) {
      field.child("appId").fail("must be the appId of one of /apps");
    }
    if (call.id !== undefined) {
      if (callIds.has(call.id)) field.child("id").fail("is the id of an earlier call");
      callIds.add(call.id);
    }
  });
}

/** Reads a control API body and acts on it, answering 400 with the field's pointer when it is wrong. */
export function controlBody<T>(text: string, read: (value: unknown) => T): T {
  try {
    return read(parseText(text).value);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new HttpError(
      400,
      graphError("BadRequest", error.message, {
        details: [{ code: "simulator.invalid", message: error.rule, target: error.pointer }],
      }),
    );
  }
}

/** A control API body holding a scenario, read as {@link controlBody} reads it. */
export const parseScenario = (text: string) => controlBody(text, checkScenario);
