// The generated validators by schema name and mode, as type guards and as checks that return issues.
import type { components } from "@graph-invite/types";
import {
  commsNotifications,
  inviteParticipantsOperation,
  invitePostRequestBody,
  odataError,
  runInMode,
  validatorsByName,
} from "../generated/validators.js";
import type { CompiledValidator } from "./compiled-validator.js";
import { invalid, type Result, valid } from "./issues.js";
import { asIssue, check } from "./schema-errors.js";

/** Every schema of the spec, by name (`components.schemas` of `@graph-invite/types`). */
export type Schemas = components["schemas"];
/** The name of a schema of the spec, such as `commsNotifications` or `invitePostRequestBody`. */
export type SchemaName = keyof Schemas;

/**
 * `strict` checks the exact contract: for what you send, or to find out where Graph departs from it.
 * `tolerant` is for what you receive: it also accepts properties and derived types the contract does not declare,
 * and the parsers in this package also normalise the known deviations first.
 */
export type Mode = "strict" | "tolerant";

/**
 * Each generated function serves both modes; these wrappers fix the mode, one per schema and mode. Created on first
 * use, so that an app which never looks a validator up by name carries none of this.
 */
let byMode: Record<Mode, Map<string, CompiledValidator>> | undefined;

/** The generated validator of a schema of the spec (`components.schemas`), in a mode. */
export function validatorFor(name: SchemaName, mode: Mode = "strict"): CompiledValidator {
  byMode ??= { strict: new Map(), tolerant: new Map() };
  const known = byMode[mode].get(name);
  if (known !== undefined) return known;
  const generatedValidator = Object.hasOwn(validatorsByName, name) ? validatorsByName[name] : undefined;
  if (generatedValidator === undefined) throw new TypeError(`No schema named ${JSON.stringify(name)} in the spec`);
  const validator = inMode(generatedValidator, mode);
  byMode[mode].set(name, validator);
  return validator;
}

/** A generated validator with its mode fixed. */
export function inMode(generatedValidator: CompiledValidator, mode: Mode): CompiledValidator {
  const validator: CompiledValidator = (data: unknown) => {
    const valid = runInMode(mode, generatedValidator, data);
    validator.errors = generatedValidator.errors ?? null;
    return valid;
  };
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

// The guards of the action's own payloads name their validators, so that an app using one carries only its schemas.

/** The invite action's request body, checked against the contract (strict). */
export const isInviteRequest = (data: unknown): data is Schemas["invitePostRequestBody"] =>
  runInMode("strict", invitePostRequestBody, data);

/** The invite action's 200 body: the operation. */
export const isInviteResponse = (
  data: unknown,
  mode: Mode = "strict",
): data is Schemas["inviteParticipantsOperation"] => runInMode(mode, inviteParticipantsOperation, data);

/** The body Graph sends with a 4XX or 5XX status. */
export const isGraphError = (data: unknown, mode: Mode = "strict"): data is Schemas["odataError"] =>
  runInMode(mode, odataError, data);

/** The body Graph posts to a bot's callback URL. */
export const isCommsNotifications = (data: unknown, mode: Mode = "strict"): data is Schemas["commsNotifications"] =>
  runInMode(mode, commsNotifications, data);
