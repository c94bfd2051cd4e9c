// graph-invite-validate: checks a payload file (or stdin) and says what it is and what is wrong with it.
import { parseArgs } from "node:util";
import { detectKind, type PayloadKind } from "./detect.js";
// The library through its entry point, which the CLI's bundle leaves external (scripts/build.mjs).
import {
  type CallKind,
  type InviteContext,
  type Issue,
  type Mode,
  parseGraphError,
  parseInviteResponse,
  parseJson,
  parseNotifications,
  validateInviteRequest,
} from "./index.js";

const usage = `Usage: graph-invite-validate [options] <file|->

Checks a Microsoft Graph participant: invite payload: an invite request, an invite response, the
commsNotifications a bot receives, or a Graph error body. The kind is detected unless --kind is given.

Options:
  --kind <kind>        invite-request | invite-response | notifications | graph-error
  --mode <mode>        tolerant (default; what a bot should accept) | strict (the exact contract)
  --call-kind <kind>   p2p | group | meeting: the call an invite request is for, to check the rules that depend on it
  --ignored-participants <warning|error>
                       with replacesCallId or participantId, Graph reads only the first participant and ignores
                       the rest; error (default) refuses the request, warning accepts it and names the ignored ones
  --json               print the result as JSON
  -h, --help           show this help

Exit codes: 0 valid, 1 invalid, 2 usage error or unreadable file.`;

const kinds: readonly PayloadKind[] = ["invite-request", "invite-response", "notifications", "graph-error"];

interface Outcome {
  file: string;
  kind: PayloadKind | "unknown";
  valid: boolean;
  errors: readonly Issue[];
  warnings: readonly Issue[];
  notifications?: readonly string[];
}

export function run(
  argv: readonly string[],
  readInput: (file: string) => Uint8Array,
  write: (text: string) => void,
): number {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(argv);
  } catch (error) {
    write(`graph-invite-validate: ${error instanceof Error ? error.message : String(error)}\n\n${usage}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    write(`${usage}\n`);
    return 0;
  }
  const usageError = checkUsage(values, positionals);
  if (usageError !== undefined) {
    write(`graph-invite-validate: ${usageError}\n\n${usage}\n`);
    return 2;
  }
  const file = positionals[0] as string;
  let bytes: Uint8Array;
  try {
    bytes = readInput(file);
  } catch (error) {
    const reason = (error as { code?: string }).code === "ENOENT" ? "no such file" : String((error as Error).message);
    write(`graph-invite-validate: cannot read ${file}: ${reason}\n`);
    return 2;
  }
  const context: InviteContext = {
    ignoredParticipants: values["ignored-participants"] as "error" | "warning",
    ...(values["call-kind"] !== undefined && { callKind: values["call-kind"] as CallKind }),
  };
  const outcome = validate(file, bytes, values.kind as PayloadKind | undefined, values.mode as Mode, context);
  write(values.json ? `${JSON.stringify(outcome, null, 2)}\n` : describe(outcome));
  return outcome.valid ? 0 : 1;
}

function parseOptions(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      kind: { type: "string" },
      mode: { type: "string", default: "tolerant" },
      "call-kind": { type: "string" },
      "ignored-participants": { type: "string", default: "error" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
}

function checkUsage(values: Record<string, unknown>, positionals: readonly string[]): string | undefined {
  if (positionals.length !== 1) return positionals.length === 0 ? "give a file, or - for stdin" : "give one file";
  if (values["kind"] !== undefined && !kinds.includes(values["kind"] as PayloadKind))
    return `unknown --kind ${String(values["kind"])}`;
  if (values["mode"] !== "strict" && values["mode"] !== "tolerant") return `unknown --mode ${String(values["mode"])}`;
  const callKind = values["call-kind"];
  if (callKind !== undefined && !["p2p", "group", "meeting"].includes(String(callKind)))
    return `unknown --call-kind ${String(callKind)}`;
  const ignored = values["ignored-participants"];
  if (ignored !== "error" && ignored !== "warning") return `unknown --ignored-participants ${String(ignored)}`;
  return undefined;
}

/**
 * The CLI hands the library the bytes it read, so that it reads them as a bot's receiver does: the same UTF-8 rule,
 * byte order mark and nesting limit. They are parsed once more only to detect the kind.
 */
function validate(
  file: string,
  bytes: Uint8Array,
  kind: PayloadKind | undefined,
  mode: Mode,
  context: InviteContext,
): Outcome {
  const json = kind === undefined ? parseJson(bytes) : undefined;
  const detected = kind ?? (json?.ok ? detectKind(json.value) : undefined);
  const outcome = (result: { ok: boolean; warnings: readonly Issue[]; errors?: readonly Issue[] }, extra = {}) => ({
    file,
    kind: detected ?? ("unknown" as const),
    valid: result.ok,
    errors: result.errors ?? [],
    warnings: result.warnings,
    ...extra,
  });
  if (json?.ok === false) return outcome({ ok: false, errors: [json.issue], warnings: [] });
  switch (detected) {
    case "invite-request": {
      const request = parseJson(bytes);
      return outcome(request.ok ? validateInviteRequest(request.value, context) : invalidJson(request.issue));
    }
    case "invite-response":
      return outcome(parseInviteResponse(bytes, { mode }));
    case "graph-error":
      return outcome(parseGraphError(bytes, { mode }));
    case "notifications": {
      const result = parseNotifications(bytes, { mode });
      return outcome(
        result,
        result.ok ? { notifications: result.notifications.map((notification) => notification.kind) } : {},
      );
    }
    default:
      return outcome({
        ok: false,
        warnings: [],
        errors: [
          {
            pointer: "",
            code: "payload.unknown-kind",
            message:
              "This is not an invite request, an invite response, commsNotifications or a Graph error body; give --kind to check it as one",
          },
        ],
      });
  }
}

function invalidJson(issue: Issue) {
  return { ok: false, errors: [issue], warnings: [] };
}

function describe(outcome: Outcome): string {
  const lines = [
    `${outcome.file}: ${outcome.valid ? "valid" : "invalid"} ${outcome.kind}${outcome.notifications ? ` (${outcome.notifications.join(", ")})` : ""}`,
  ];
  for (const error of outcome.errors)
    lines.push(`  error   ${error.pointer || "(root)"}  ${error.message}  [${error.code}]`);
  for (const warning of outcome.warnings)
    lines.push(`  warning ${warning.pointer || "(root)"}  ${warning.message}  [${warning.code}]`);
  return `${lines.join("\n")}\n`;
}
