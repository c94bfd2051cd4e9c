/** One error as ajv's generated code reports it (its messages are not compiled in; see schema-errors.ts). */
export interface SchemaError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
}

/** A validator that ajv generated ahead of time: true when the data matches, otherwise its errors. */
export interface CompiledValidator {
  (data: unknown): boolean;
  errors?: SchemaError[] | null;
}
