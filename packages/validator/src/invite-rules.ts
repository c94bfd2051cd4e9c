// The invite action's rules from the reference page, checked with what the caller knows about the call.
import type { InviteParticipantsRequest } from "@graph-invite/types";
import { invitePostRequestBody } from "../generated/validators.js";
import type { CompiledValidator } from "./compiled-validator.js";
import { rules, unavailableClouds } from "./generated/rules.js";
import { identitySetMembers } from "./identity-set.js";
import { type Issue, invalid, type Result, valid } from "./issues.js";
import { isObject } from "./normalise.js";
import { type PayloadInput, readPayload } from "./payload.js";
import type { RuleDefinition } from "./rule-definition.js";
import { asIssue, check, type SchemaIssue } from "./schema-errors.js";
import { inMode } from "./validators.js";

/** The code of one of the invite action's rules, as the spec states them (see `rules`). */
export type RuleCode = (typeof rules)[number]["code"];

/** The kind of call the participants are invited into. */
export type CallKind = "p2p" | "group" | "meeting";

/** What the caller knows about the call, which some of the invite action's rules depend on. */
export interface InviteContext {
  /** What kind of call it is; rules that depend on it are skipped when it is not given. */
  readonly callKind?: CallKind;
  /** Whether a bot (an application or application instance) other than yours is already in the call, if known. */
  readonly botInCall?: boolean;
  /** The cloud the request goes to: its Graph base URL, or a name such as `global` or `china`. */
  readonly cloud?: string;
  /**
   * With `replacesCallId` or `participantId`, Graph reads only the first participant and ignores the rest, and
   * answers 200 (the reference page's own Example 2 does this). By default (`error`) the request is refused, naming
   * the participants Graph would ignore: the caller almost always meant to invite them, and would otherwise wait for
   * people Graph never calls. `warning` accepts it with a warning that names them, as Graph does. The bot kit has the
   * same default.
   */
  readonly ignoredParticipants?: "error" | "warning";
}

const byCode = new Map<string, RuleDefinition>(rules.map((rule) => [rule.code, rule]));

/** The rules the schema states, by the keyword that states each and the pointer where it applies. */
const schemaRules: ReadonlyArray<{ code: RuleCode; keyword: string; pointer: RegExp }> = [
  { code: "invite.max-participants", keyword: "maxItems", pointer: /^\/participants$/ },
  { code: "invite.at-least-one-participant", keyword: "minItems", pointer: /^\/participants$/ },
  { code: "invite.client-context-length", keyword: "maxLength", pointer: /^\/clientContext$/ },
  { code: "invite.phone-e164", keyword: "pattern", pointer: /^\/participants\/\d+\/identity\/phone\/id$/ },
];

/** The rules that the schema enforces, for the test that keeps this table and the spec in step. */
export const schemaRuleCodes: readonly string[] = schemaRules.map((rule) => rule.code);

/** Made on first use: a top-level call would keep the request's validators in every app that imports this module. */
let requestValidator: CompiledValidator | undefined;

/**
 * Checks an invite request body against the contract (strict) and the rules of the reference page. Each issue of
 * a rule carries the rule's code and quotes the page.
 */
export function validateInviteRequest(
  input: PayloadInput,
  context: InviteContext = {},
): Result<InviteParticipantsRequest> {
  const read = readPayload(input);
  if (!read.ok) return invalid([read.issue]);
  const body = read.value;
  requestValidator ??= inMode(invitePostRequestBody, "strict");
  const schemaIssues = check(requestValidator, body).map(asRuleIssue);
  const found = new Findings();
  checkCloud(context, found);
  // The rules read only the participants' shape, so they are checked even when other parts of the body are wrong,
  // and a caller sees every problem at once.
  if (isObject(body) && Array.isArray(body["participants"]) && body["participants"].every(isObject)) {
    checkParticipants(body as InviteParticipantsRequest, context, found);
  }
  const errors = [...schemaIssues, ...found.errors];
  return errors.length === 0
    ? valid(body as InviteParticipantsRequest, found.warnings)
    : invalid(errors, found.warnings);
}

class Findings {
  readonly errors: Issue[] = [];
  readonly warnings: Issue[] = [];

  add(severity: "error" | "warning", code: RuleCode, pointer: string, finding: string): void {
    (severity === "error" ? this.errors : this.warnings).push({ pointer, code, message: ruleMessage(code, finding) });
  }
}

/** The finding, then the page's own words (or, for a derived rule, why it holds). */
function ruleMessage(code: RuleCode, finding: string): string {
  const rule = byCode.get(code);
  if (rule?.quote !== undefined) return `${finding}. The reference page says: "${rule.quote}"`;
  return rule?.basis !== undefined ? `${finding}. ${rule.basis}` : finding;
}

function asRuleIssue(issue: SchemaIssue): Issue {
  const rule = schemaRules.find(
    (candidate) => candidate.keyword === issue.keyword && candidate.pointer.test(issue.pointer),
  );
  const plain = asIssue(issue);
  if (rule === undefined) return plain;
  const subject = issue.pointer.split("/").at(-1) ?? "";
  return { ...plain, code: rule.code, message: ruleMessage(rule.code, `\`${subject}\` ${issue.message}`) };
}

function checkCloud({ cloud }: InviteContext, found: Findings): void {
  if (cloud === undefined) return;
  const named = cloud.toLowerCase();
  const unavailable = unavailableClouds.find(
    (candidate) =>
      (named !== "" && candidate.name.toLowerCase().includes(named)) ||
      named.includes("china") ||
      named.includes("21vianet") ||
      sameHost(candidate.url, cloud),
  );
  if (unavailable !== undefined) {
    found.add("error", "invite.cloud-unavailable", "", `The invite action is not available in ${unavailable.name}`);
  }
}

function sameHost(a: string, b: string): boolean {
  try {
    return new URL(a).host === new URL(b).host;
  } catch {
    return false;
  }
}

type Participant = InviteParticipantsRequest["participants"][number];

function checkParticipants({ participants }: InviteParticipantsRequest, context: InviteContext, found: Findings): void {
  participants.forEach((participant, index) => {
    // A missing identity set is the schema's `required` issue; an empty one is this rule's.
    if (isObject(participant.identity) && identitySetMembers(participant.identity).length === 0) {
      found.add(
        "error",
        "invite.identity-set-not-empty",
        `/participants/${index}/identity`,
        "The identity set names no identity (user, application, phone, …), so it names nobody to invite",
      );
    }
  });

  const moving = participants.some((participant) => participant.participantId != null);
  const replacing = participants.some((participant) => participant.replacesCallId != null);
  if (participants.length > 1 && (moving || replacing)) {
    const ignored = participants
      .slice(1)
      .map((participant, index) => `/participants/${index + 1} (${describe(participant)})`);
    found.add(
      context.ignoredParticipants ?? "error",
      moving ? "invite.move-single-participant" : "invite.replaces-call-single-participant",
      "/participants",
      `${moving ? "Moving a participant (`participantId`)" : "Replacing a call (`replacesCallId`)"} takes only the first participant, ${describe(participants[0])}; Graph will ignore ${ignored.join(", ")}`,
    );
  } else if (participants.length > 1 && context.callKind === "p2p") {
    found.add(
      "error",
      "invite.multiple-participants-group-call-only",
      "/participants",
      `${participants.length} participants are invited into a peer-to-peer call`,
    );
  } else if (participants.length > 1 && context.callKind === "meeting") {
    // Graph's call documentation treats a joined meeting as a group call with a chatInfo, so Graph may well accept
    // this: it is never refused here, only pointed out.
    found.add(
      "warning",
      "invite.multiple-participants-group-call-only",
      "/participants",
      `${participants.length} participants are invited into a meeting; Graph takes several participants only into a group call, which a joined meeting (a call with chatInfo) is`,
    );
  }

  const bots = participants.flatMap((participant, index) =>
    identitySetMembers(participant.identity)
      .filter(({ kind }) => kind === "application" || kind === "applicationInstance")
      .map(({ kind }) => `/participants/${index}/identity/${kind}`)
      .slice(0, 1),
  );
  const botsInCall = bots.length + (context.botInCall === true ? 1 : 0);
  if (botsInCall > 1 && context.callKind !== "p2p") {
    found.add(
      "error",
      "invite.single-bot",
      bots[context.botInCall === true ? 0 : 1] ?? "/participants",
      context.botInCall === true
        ? "A bot is already in the call, and the request invites another"
        : `The request invites ${bots.length} bots (${bots.join(", ")})`,
    );
  }
}

function describe(participant: Participant | undefined): string {
  const first = identitySetMembers(participant?.identity)[0];
  if (first === undefined) return "nobody";
  const { kind, identity } = first;
  const name = identity["displayName"] ?? identity["id"];
  return typeof name === "string" ? `${kind} ${JSON.stringify(name)}` : kind;
}
