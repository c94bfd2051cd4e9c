// Types for the generator's schema transforms, which the tests also use.
type Schemas = Record<string, Record<string, unknown>>;
export const formatKeywords: Record<string, Record<string, unknown>>;
export const modeKeyword: string;
export function switchableSchemas(schemas: Schemas): Schemas;
export function strictSchemas(schemas: Schemas): Schemas;
export function tolerantSchemas(schemas: Schemas): Schemas;
export function discriminated(schemas: Schemas): Schemas;
