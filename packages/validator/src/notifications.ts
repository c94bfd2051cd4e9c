// Parsing what a bot receives: notifications at its callback URL, and the invite action's responses.
import type { CommsNotificationsBody, GraphErrorBody, InviteParticipantsResponse } from "@graph-invite/types";
import { type ClassifiedNotification, classify } from "./classify.js";
import type { CompiledValidator } from "./compiled-validator.js";
import { type Invalid, type Issue, invalid, type Valid, valid } from "./issues.js";
import { isObject, maxDepth, Normaliser } from "./normalise.js";
import { type PayloadInput, readPayload } from "./payload.js";
import { asIssue, describeErrors } from "./schema-errors.js";
import { type Mode, validatorFor } from "./validators.js";

export interface ParseOptions {
  /** `tolerant` (the default) normalises the known deviations and accepts undeclared properties; `strict` does not. */
  readonly mode?: Mode;
}

export type NotificationsResult =
  | (Valid<CommsNotificationsBody> & {
      /** Each notification of `value`, classified: operation, roster, call, or other. */
      readonly notifications: readonly ClassifiedNotification[];
    })
  | Invalid;

/**
 * Parses the body of a notification request (`commsNotifications`): JSON text, its bytes, or a parsed value. It never
 * throws: a failure comes back as errors with JSON Pointers into the payload as received.
 */
export function parseNotifications(input: PayloadInput, options: ParseOptions = {}): NotificationsResult {
  const result = parsePayload<CommsNotificationsBody>(input, options, "commsNotifications", (body, normaliser) => {
    const { body: wrapped, unwrapped } = normaliser.envelope(body);
    return { body: wrapped, unwrapped, normalise: () => normaliser.notifications(wrapped) };
  });
  if (!result.ok) return result;
  return { ...result, notifications: result.value.value.map(classify) };
}

/** Parses the 200 body of the invite action (an `inviteParticipantsOperation`). */
export function parseInviteResponse(input: PayloadInput, options: ParseOptions = {}) {
  return parsePayload<InviteParticipantsResponse>(
    input,
    options,
    "inviteParticipantsOperation",
    (body, normaliser) => ({
      body,
      unwrapped: false,
      normalise: () => isObject(body) && normaliser.operation(body, ""),
    }),
  );
}

/** Parses the body Graph sends with a 4XX or 5XX status. */
export function parseGraphError(input: PayloadInput, options: ParseOptions = {}) {
  return parsePayload<GraphErrorBody>(input, options, "odataError", (body) => ({
    body,
    unwrapped: false,
    normalise: () => {},
  }));
}

const tooDeep: Issue = {
  pointer: "",
  code: "json.too-deep",
  message: `The payload nests more than ${maxDepth} levels deep, far deeper than any Graph payload; it is refused unread.`,
};

interface Prepared {
  body: unknown;
  /** Whether the body was wrapped in an envelope, whose pointers must then be mapped back to the input's. */
  unwrapped: boolean;
  normalise: () => unknown;
}

function parsePayload<T>(
  input: PayloadInput,
  { mode = "tolerant" }: ParseOptions,
  schema: "commsNotifications" | "inviteParticipantsOperation" | "odataError",
  prepare: (body: unknown, normaliser: Normaliser) => Prepared,
): Valid<T> | Invalid {
  const read = readPayload(input);
  if (!read.ok) return invalid([read.issue]);
  const normaliser = new Normaliser();
  if (mode === "strict") {
    if (!normaliser.odataTypes(read.value, false)) return invalid([tooDeep]);
    return finish<T>(validatorFor(schema, "strict"), read.value, normaliser, false);
  }
  const prepared = prepare(read.value, normaliser);
  if (!normaliser.odataTypes(prepared.body)) return invalid([tooDeep]);
  prepared.normalise();
  return finish<T>(validatorFor(schema, "tolerant"), prepared.body, normaliser, prepared.unwrapped);
}

function finish<T>(
  validator: CompiledValidator,
  body: unknown,
  normaliser: Normaliser,
  unwrapped: boolean,
): Valid<T> | Invalid {
  // The normaliser's warnings point into the body as received already; errors point into the normalised body.
  const outOfEnvelope = (issue: Issue): Issue => (unwrapped ? { ...issue, pointer: unwrap(issue.pointer) } : issue);
  const received = normaliser.warnings.map(outOfEnvelope);
  if (validator(body)) return valid(body as T, received);
  const errors = describeErrors(validator.errors ?? [], body).map((issue) => {
    const error = asIssue(issue);
    return outOfEnvelope({ ...error, pointer: normaliser.received(error.pointer) });
  });
  return invalid(errors, received);
}

/** A pointer into `{ value: [notification] }` as a pointer into the bare notification that arrived. */
function unwrap(pointer: string): string {
  if (pointer === "/value/0" || pointer.startsWith("/value/0/")) return pointer.slice("/value/0".length);
  return pointer;
}
