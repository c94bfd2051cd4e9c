// Checks an invite request against the contract and the reference page's rules before sending it.
import { validateInviteRequest } from "@graph-invite/validator";

export const result = validateInviteRequest(globalThis.inviteBody, { callKind: "group" });
