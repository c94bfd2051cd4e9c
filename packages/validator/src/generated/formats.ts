// Generated from openapi/graph-invite.yaml by scripts/generate.mjs. Do not edit: run `pnpm generate`.

/** The formats the validators check as a pattern, by that pattern. */
export const formatOfPattern: Readonly<Record<string, string>> = {
  "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$": "date-time"
};
