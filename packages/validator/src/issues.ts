/** Something wrong with a payload, or something the tolerant parser changed in it. */
export interface Issue {
  /** Where, as a JSON Pointer (RFC 6901) into the payload as it was received; `""` is the whole payload. */
  readonly pointer: string;
  /** A stable code for the rule, such as `schema.required` or `invite.max-participants`, to branch on. */
  readonly code: string;
  /** What is wrong and what to do about it, for a person. */
  readonly message: string;
}

/** A check's outcome. Checks return it rather than throw, whatever the input. */
export type Result<T> = Valid<T> | Invalid;

/** A check that passed: the value, and any warnings. */
export interface Valid<T> {
  /** True: the check passed. */
  readonly ok: true;
  /** The payload, typed, and normalised if the check normalises. */
  readonly value: T;
  /** What was accepted but deserves attention, or what a tolerant check changed. */
  readonly warnings: readonly Issue[];
}

/** A check that failed: why, and any warnings. */
export interface Invalid {
  /** False: the check failed. */
  readonly ok: false;
  /** What is wrong, at least one issue, each with a JSON Pointer into the payload as received. */
  readonly errors: readonly Issue[];
  /** What deserves attention besides the errors. */
  readonly warnings: readonly Issue[];
}

export function valid<T>(value: T, warnings: readonly Issue[] = []): Valid<T> {
  return { ok: true, value, warnings };
}

export function invalid(errors: readonly Issue[], warnings: readonly Issue[] = []): Invalid {
  return { ok: false, errors, warnings };
}
