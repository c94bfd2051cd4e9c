// A notification endpoint's check: parse the body Graph POSTed, tolerating Graph's known deviations.
import { parseNotifications } from "@graph-invite/validator";

export const result = parseNotifications(globalThis.requestBody, { mode: "tolerant" });
