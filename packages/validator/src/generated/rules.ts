// Generated from openapi/graph-invite.yaml by scripts/generate.mjs. Do not edit: run `pnpm generate`.
import type { RuleDefinition } from "../rule-definition.js";

/** The invite action's rules, as the spec states them (`x-graph-invite-rules`). */
export const rules = [
  {
    "code": "invite.multiple-participants-group-call-only",
    "enforcedBy": "validator",
    "pointer": "/participants",
    "quote": "Inviting multiple participants in one request is only supported for group calls."
  },
  {
    "code": "invite.max-participants",
    "enforcedBy": "schema",
    "pointer": "/participants",
    "quote": "The existing group call must have a valid chatInfo. Inviting up to 5 participants is supported."
  },
  {
    "code": "invite.single-bot",
    "enforcedBy": "validator",
    "pointer": "/participants",
    "quote": "Inviting more than one bot to a meeting or group call isn't allowed."
  },
  {
    "code": "invite.replaces-call-single-participant",
    "enforcedBy": "validator",
    "pointer": "/participants",
    "quote": "The invite API supports only one participant when replacing an existing peer-to-peer call. When multiple participants are provided in the request body, only the first participant is read and the rest of the participants are ignored."
  },
  {
    "code": "invite.move-single-participant",
    "enforcedBy": "validator",
    "pointer": "/participants",
    "quote": "The invite API can move only one participate per request. If you provide more than one participant in the request body, the invite API moves only the first one."
  },
  {
    "code": "invite.at-least-one-participant",
    "enforcedBy": "schema",
    "pointer": "/participants",
    "basis": "Graph's metadata declares `participants` as a non-null collection, and an invite of nobody has nothing to do."
  },
  {
    "code": "invite.client-context-length",
    "enforcedBy": "schema",
    "pointer": "/clientContext",
    "quote": "Unique Client Context string. Max limit is 256 chars."
  },
  {
    "code": "invite.phone-e164",
    "enforcedBy": "schema",
    "pointer": "/participants/*/identity/phone/id",
    "quote": "Phone ID is the phone number in E.164 format."
  },
  {
    "code": "invite.identity-set-not-empty",
    "enforcedBy": "validator",
    "pointer": "/participants/*/identity",
    "basis": "`identity` is non-null in Graph's metadata (\"The identitySet associated with this invitation.\"); an identity set without any identity names nobody to invite."
  },
  {
    "code": "invite.cloud-unavailable",
    "enforcedBy": "validator",
    "pointer": "",
    "quote": "This API is available in the following national cloud deployments."
  }
] as const satisfies readonly RuleDefinition[];

/** The national clouds where the action is not available. */
export const unavailableClouds = [
  {
    "name": "China operated by 21Vianet",
    "url": "https://microsoftgraph.chinacloudapi.cn/v1.0",
    "reason": "The reference page's national cloud table marks the action as not available in this cloud."
  }
] as const;
