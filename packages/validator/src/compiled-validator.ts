/**
 * One error as ajv's generated code reports it. Its messages are not compiled in (schema-errors.ts writes them), nor
 * its schema paths (see scripts/generate.mjs).
 */
export interface SchemaError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
}

/** A validator that ajv generated ahead of time: true when the data matches, otherwise its errors. */
export interface CompiledValidator {
  (data: unknown): boolean;
  errors?: SchemaError[] | null;
}
