// Generated from openapi/graph-invite.yaml by scripts/generate.mjs. Do not edit: run `pnpm generate`.

/** Required properties that documented payloads omit: tolerant mode accepts their absence and reports it. */
export const knownOmissions = {
  "participant": [
    "info",
    "isInLobby",
    "isMuted"
  ],
  "mediaStream": [
    "serverMuted"
  ],
  "resultInfo": [
    "subcode"
  ]
} as const;
