// The generated validators by schema name and mode, as type guards and as checks that return issues.
import type { components } from "@graph-invite/types";
import * as generated from "../generated/validators.js";
import type { CompiledValidator } from "./compiled-validator.js";
import { invalid, type Result, valid } from "./issues.js";
import { asIssue, check } from "./schema-errors.js";

export type Schemas = components["schemas"];
export type SchemaName = keyof Schemas;

/**
 * `strict` checks the exact contract: for what you send, or to find out where Graph departs from it.
 * `tolerant` is for what you receive: it also accepts properties and derived types the contract does not declare,
 * and the parsers in this package also normalise the known deviations first.
 */
export type Mode = "strict" | "tolerant";

const { runInMode, ...compiled } = generated as unknown as Readonly<Record<string, CompiledValidator>> & {
  runInMode: typeof generated.runInMode;
};

/** Each generated function serves both modes; these wrappers fix the mode, one per schema and mode. */
const byMode: Record<Mode, Map<string, CompiledValidator>> = { strict: new Map(), tolerant: new Map() };

/** The generated validator of a schema of the spec (`components.schemas`), in a mode. */
export function validatorFor(name: SchemaName, mode: Mode = "strict"): CompiledValidator {
  const known = byMode[mode].get(name);
  if (known !== undefined) return known;
  const generatedValidator = Object.hasOwn(compiled, name) ? compiled[name] : undefined;
  if (generatedValidator === undefined) throw new TypeError(`No schema named ${JSON.stringify(name)} in the spec`);
  const validator: CompiledValidator = (data: unknown) => {
    const valid = runInMode(mode, generatedValidator, data);
    validator.errors = generatedValidator.errors ?? null;
    return valid;
  };
  byMode[mode].set(name, validator);
  return validator;
}

/** True when `data` matches the named schema; narrows `data` to its type. */
export function isSchema<Name extends SchemaName>(
  name: Name,
  data: unknown,
  mode: Mode = "strict",
): data is Schemas[Name] {
  return validatorFor(name, mode)(data);
}

/** Checks `data` against the named schema, as it is (no normalisation). */
export function validateSchema<Name extends SchemaName>(
  name: Name,
  data: unknown,
  mode: Mode = "strict",
): Result<Schemas[Name]> {
  const errors = check(validatorFor(name, mode), data).map(asIssue);
  return errors.length === 0 ? valid(data as Schemas[Name]) : invalid(errors);
}

/** The invite action's request body, checked against the contract (strict). */
export const isInviteRequest = (data: unknown): data is Schemas["invitePostRequestBody"] =>
  isSchema("invitePostRequestBody", data);

/** The invite action's 200 body: the operation. */
export const isInviteResponse = (
  data: unknown,
  mode: Mode = "strict",
): data is Schemas["inviteParticipantsOperation"] => isSchema("inviteParticipantsOperation", data, mode);

/** The body Graph sends with a 4XX or 5XX status. */
export const isGraphError = (data: unknown, mode: Mode = "strict"): data is Schemas["odataError"] =>
  isSchema("odataError", data, mode);

/** The body Graph posts to a bot's callback URL. */
export const isCommsNotifications = (data: unknown, mode: Mode = "strict"): data is Schemas["commsNotifications"] =>
  isSchema("commsNotifications", data, mode);
