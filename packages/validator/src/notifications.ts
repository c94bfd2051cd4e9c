// Parsing what a bot receives: notifications at its callback URL, and the invite action's responses.
import type {
  CommsNotification,
  CommsNotificationsBody,
  GraphErrorBody,
  InviteParticipantsResponse,
} from "@graph-invite/types";
import {
  commsNotification,
  commsNotifications,
  commsNotificationsEnvelope,
  type EnumNote,
  inviteParticipantsOperation,
  odataError,
  runInMode,
} from "../generated/validators.js";
import { type ClassifiedNotification, classify } from "./classify.js";
import type { CompiledValidator } from "./compiled-validator.js";
import { type Invalid, type Issue, invalid, type Valid, valid } from "./issues.js";
import { isObject, Normaliser, tooDeep } from "./normalise.js";
import { type PayloadInput, readPayload } from "./payload.js";
import { asIssue, describeFailure } from "./schema-errors.js";
import type { Mode } from "./validators.js";

/** How the notification parser reads a body. */
export interface ParseOptions {
  /** `tolerant` (the default) normalises the known deviations and accepts undeclared properties; `strict` does not. */
  readonly mode?: Mode;
}

/**
 * A notification of the body that could not be read as one, in tolerant mode: its siblings are still returned.
 * Graph never delivers an answered notification again, so a receiver keeps it with its errors rather than lose it.
 */
export interface RejectedNotification {
  /** Its index in the body's `value`. */
  readonly index: number;
  /** Where it is in the body as received: `/value/<index>`, or `""` for a notification sent without an envelope. */
  readonly pointer: string;
  /** The notification, after the normalisations that applied to it (they move data, never drop it). */
  readonly notification: unknown;
  /** Why it cannot be used, with JSON Pointers into the body as received. */
  readonly errors: readonly Issue[];
}

/**
 * What `parseNotifications` returns: the body and its notifications, classified, with those it could not use; or the
 * errors that make the whole body unusable.
 */
export type NotificationsResult =
  | (Valid<CommsNotificationsBody> & {
      /** Each usable notification of `value`, classified: operation, roster, call, or other. */
      readonly notifications: readonly ClassifiedNotification[];
      /** The notifications that could not be used, each with its errors (tolerant mode; always empty in strict). */
      readonly rejected: readonly RejectedNotification[];
    })
  | (Invalid & { readonly rejected: readonly RejectedNotification[] });

/**
 * Parses the body of a notification request (`commsNotifications`): JSON text, its bytes, or a parsed value. It never
 * throws: a failure comes back as errors with JSON Pointers into the payload as received.
 *
 * In tolerant mode each notification is read on its own. The result is valid when the envelope is usable and at
 * least one notification is (or `value` is empty): `value` and `notifications` then hold the usable ones, and
 * `rejected` the others with their errors. In strict mode the whole body must match the contract.
 */
export function parseNotifications(input: PayloadInput, options: ParseOptions = {}): NotificationsResult {
  const prepared = prepare(input, options.mode ?? "tolerant");
  if (!prepared.ok) return { ...prepared, rejected: [] };
  const { body, normaliser, mode } = prepared;
  if (mode === "strict") {
    const result = finish<CommsNotificationsBody>(commsNotifications, "strict", body, normaliser, false);
    if (!result.ok) return { ...result, rejected: [] };
    return { ...result, notifications: result.value.value.map(classify), rejected: [] };
  }
  const { body: wrapped, unwrapped } = normaliser.envelope(body);
  const place = (pointer: string) => (unwrapped ? unwrap(pointer) : pointer);
  if (!isObject(wrapped) || !Array.isArray(wrapped["value"])) {
    const result = finish<CommsNotificationsBody>(commsNotifications, "tolerant", wrapped, normaliser, unwrapped);
    return result.ok ? { ...result, notifications: [], rejected: [] } : { ...result, rejected: [] };
  }
  const received: unknown[] = wrapped["value"];
  // The envelope's own properties are checked apart from the notifications, so that one bad notification is not
  // reported as a bad envelope.
  const envelopeErrors = errorsOf(commsNotificationsEnvelope, wrapped, normaliser, place, []);
  if (envelopeErrors.length > 0) return { ...invalid(envelopeErrors, warningsOf(normaliser, place)), rejected: [] };

  const usable: CommsNotification[] = [];
  const rejected: RejectedNotification[] = [];
  const notes: EnumNote[] = [];
  for (let index = 0; index < received.length; index++) {
    const notification = received[index];
    const pointer = `/value/${index}`;
    if (isObject(notification)) normaliser.notification(notification, pointer);
    const noted = notes.length;
    if (runInMode("tolerant", commsNotification, notification, notes)) {
      usable.push(notification as CommsNotification);
    } else {
      // Notes of a notification that is not used are still reported, beside its errors.
      const errors = describeFailure(commsNotification, notification).map((issue) =>
        asIssue({ ...issue, pointer: place(normaliser.received(pointer + issue.pointer)) }),
      );
      rejected.push({ index, pointer: place(pointer), notification, errors });
    }
    for (let at = noted; at < notes.length; at++) {
      const note = notes[at] as EnumNote;
      normaliser.note({ ...note, pointer: pointer + note.pointer });
    }
  }
  const warnings = warningsOf(normaliser, place);
  if (usable.length === 0 && rejected.length > 0) {
    return {
      ...invalid(
        rejected.flatMap((notification) => notification.errors),
        warnings,
      ),
      rejected,
    };
  }
  // The body with only the usable notifications, so that `value.value[i]` is what `notifications[i]` classifies.
  const value = (rejected.length === 0 ? wrapped : { ...wrapped, value: usable }) as CommsNotificationsBody;
  const notifications: ClassifiedNotification[] = [];
  for (const notification of usable) notifications.push(classify(notification));
  return { ok: true, value, warnings, notifications, rejected };
}

/** Parses the 200 body of the invite action (an `inviteParticipantsOperation`). */
export function parseInviteResponse(input: PayloadInput, options: ParseOptions = {}) {
  const prepared = prepare(input, options.mode ?? "tolerant");
  if (!prepared.ok) return prepared;
  const { body, normaliser, mode } = prepared;
  if (mode === "tolerant" && isObject(body)) normaliser.operation(body, "");
  return finish<InviteParticipantsResponse>(inviteParticipantsOperation, mode, body, normaliser, false);
}

/** Parses the body Graph sends with a 4XX or 5XX status. */
export function parseGraphError(input: PayloadInput, options: ParseOptions = {}) {
  const prepared = prepare(input, options.mode ?? "tolerant");
  if (!prepared.ok) return prepared;
  return finish<GraphErrorBody>(odataError, prepared.mode, prepared.body, prepared.normaliser, false);
}

type Prepared =
  | { readonly ok: true; readonly body: unknown; readonly normaliser: Normaliser; readonly mode: Mode }
  | Invalid;

/**
 * Reads the payload into a fresh value, and makes one pass over it: nesting bounded, keys that would name a
 * prototype dropped, and (tolerant mode) the `#` of OData type names restored.
 */
function prepare(input: PayloadInput, mode: Mode): Prepared {
  const read = readPayload(input);
  if (!read.ok) return invalid([read.issue]);
  const normaliser = new Normaliser();
  if (!normaliser.walk(read.value, mode === "tolerant")) return invalid([tooDeep], normaliser.warnings);
  return { ok: true, body: read.value, normaliser, mode };
}

function finish<T>(
  validator: CompiledValidator,
  mode: Mode,
  body: unknown,
  normaliser: Normaliser,
  unwrapped: boolean,
): Valid<T> | Invalid {
  const place = (pointer: string) => (unwrapped ? unwrap(pointer) : pointer);
  const notes: EnumNote[] = [];
  const errors = errorsOf(validator, body, normaliser, place, mode === "tolerant" ? notes : undefined, mode);
  for (const note of notes) normaliser.note(note);
  const warnings = warningsOf(normaliser, place);
  return errors.length === 0 ? valid(body as T, warnings) : invalid(errors, warnings);
}

/** The validator's errors for `data`, with pointers into the body as received. */
function errorsOf(
  validator: CompiledValidator,
  data: unknown,
  normaliser: Normaliser,
  place: (pointer: string) => string,
  notes: EnumNote[] | undefined,
  mode: Mode = "tolerant",
): Issue[] {
  if (runInMode(mode, validator, data, notes)) return [];
  return describeFailure(validator, data).map((issue) =>
    asIssue({ ...issue, pointer: place(normaliser.received(issue.pointer)) }),
  );
}

/** The normaliser's warnings point into the body as received already, inside any envelope it was given. */
function warningsOf(normaliser: Normaliser, place: (pointer: string) => string): Issue[] {
  const { warnings } = normaliser;
  return warnings.length === 0 ? [] : warnings.map((issue) => ({ ...issue, pointer: place(issue.pointer) }));
}

/** A pointer into `{ value: [notification] }` as a pointer into the bare notification that arrived. */
function unwrap(pointer: string): string {
  if (pointer === "/value/0" || pointer.startsWith("/value/0/")) return pointer.slice("/value/0".length);
  return pointer;
}
