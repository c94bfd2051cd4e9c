// How the kit names why the parser refused a body or one notification of it, in a 400's message and in the reason
// an unmatched entry is kept with: the first issue's pointer and rule.
import type { Issue } from "@graph-invite/validator";

/** `pointer: message` of the first issue; `(root)` when it points at the whole payload and no `pointer` is given. */
export function firstIssue(issues: readonly Issue[], pointer = ""): string {
  const [first] = issues;
  return `${first?.pointer || pointer || "(root)"}: ${first?.message ?? "invalid"}`;
}
