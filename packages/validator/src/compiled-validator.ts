// The generated validators' declarations define these types (generated/validators.d.ts), so that the published
// declarations never import a source file; the package's modules import them from here.
export type { CompiledValidator, SchemaError } from "../generated/validators.js";
