/** A rule of the invite action as the spec records it in `x-graph-invite-rules`. */
export interface RuleDefinition {
  /** The stable code every issue of this rule carries. */
  readonly code: string;
  /** Whether the JSON Schema states the rule or the validator's own code enforces it. */
  readonly enforcedBy: "schema" | "validator";
  /** Where in the request body the rule applies, as a JSON Pointer; `*` stands for any array index. */
  readonly pointer: string;
  /** The reference page's own words, when the rule comes from it. */
  readonly quote?: string;
  /** Why the rule holds, when it is derived rather than quoted. */
  readonly basis?: string;
}
