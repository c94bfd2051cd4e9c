// graph-invite-validate, run in process for its outcomes and as a real process for its exit codes and streams.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { run } from "../src/cli.js";
import { parseNotifications } from "../src/index.js";
import { examplesDir, malformedDir, payloadsDir } from "./helpers.js";

function cli(...argv: string[]) {
  let output = "";
  const code = run(
    argv,
    (file) => readFileSync(file),
    (text) => {
      output += text;
    },
  );
  return { code, output };
}

const example = (name: string) => resolve(examplesDir, name);

/** The CLI run on `bytes` as its input file `-`, with what it printed. */
function cliOnBytes(bytes: Uint8Array, ...argv: string[]) {
  let output = "";
  const code = run(
    [...argv, "-"],
    () => bytes,
    (text) => {
      output += text;
    },
  );
  return { code, output };
}

describe("detects the kind and validates", () => {
  it.each([
    ["example-1-invite-one-participant.request.json", "valid invite-request"],
    ["example-1-invite-one-participant.response.json", "valid invite-response"],
    ["example-1-invite-one-participant.operation-completed.json", "valid notifications (operation)"],
    ["example-3-replace-peer-to-peer-call.roster-updated.json", "valid notifications (roster)"],
  ])("%s", (file, verdict) => {
    const { code, output } = cli(example(file));
    expect(code).toBe(0);
    expect(output.split("\n")[0]).toBe(`${example(file)}: ${verdict}`);
  });

  it("a Graph error body", () => {
    const file = resolve(payloadsDir, "docs-concepts-throttling-429-TooManyRequests-error.json");
    expect(cli(file).output).toContain(": valid graph-error");
  });
});

it("with --ignored-participants warning, accepts the reference page's Example 2, which Graph answers with 200, warning of the participant it ignores", () => {
  const { code, output } = cli(
    example("example-2-invite-multiple-participants.request.json"),
    "--call-kind",
    "group",
    "--ignored-participants",
    "warning",
  );
  expect(code).toBe(0);
  expect(output).toMatch(
    /^ {2}warning \/participants {2}Replacing a call .* \[invite\.replaces-call-single-participant\]$/m,
  );
});

it("refuses the reference page's Example 2 by default, naming the participant Graph would ignore, and exits 1", () => {
  const { code, output } = cli(example("example-2-invite-multiple-participants.request.json"));
  expect(code).toBe(1);
  expect(output).toMatch(
    /^ {2}error {3}\/participants {2}Replacing a call .* \[invite\.replaces-call-single-participant\]$/m,
  );
});

it.each([["--ignored-participants", "error"], ["--ignored-participants=error"]])(
  "prints each error with its pointer, message and code, and exits 1, with %s",
  (...flag) => {
    const { code, output } = cli(example("example-2-invite-multiple-participants.request.json"), ...flag);
    expect(code).toBe(1);
    expect(output).toMatch(
      /^ {2}error {3}\/participants {2}Replacing a call .* \[invite\.replaces-call-single-participant\]$/m,
    );
  },
);

it("prints the result as JSON", () => {
  const { code, output } = cli(
    "--json",
    resolve(payloadsDir, "docs-beta-2019-transfer-failed-established-500-1000.json"),
  );
  expect(code).toBe(0);
  expect(JSON.parse(output)).toMatchObject({
    kind: "notifications",
    valid: true,
    errors: [],
    warnings: [{ pointer: "/value/0/resourceData/resultInfo/subCode", code: "result-info.subcode-casing" }],
    notifications: ["call"],
  });
});

it("checks in strict mode on request", () => {
  const file = resolve(payloadsDir, "docs-beta-2019-transfer-failed-established-500-1000.json");
  expect(cli("--mode", "strict", file).code).toBe(1);
});

it("reports a syntax error with its line and column, and exits 1", () => {
  const { code, output } = cli(resolve(malformedDir, "docs-beta-call-mute-roster-js-comment.json"));
  expect(code).toBe(1);
  expect(output).toContain("Invalid JSON at line 30, column 28: a comment");
  // A syntax error points at the whole payload: the line and column say where.
  expect(output.split("\n")[1]).toMatch(
    /^ {2}error {3}\(root\) {2}Invalid JSON at line 30, column 28: .* \[json\.syntax\]$/,
  );
});

it("says when a payload is none of the kinds it knows", () => {
  const { code, output } = cli(resolve(payloadsDir, "comms-samples-docs-callback-jwt-claims.json"));
  expect(code).toBe(1);
  expect(output.split("\n").slice(1)).toEqual([
    "  error   (root)  This is not an invite request, an invite response, commsNotifications or a Graph error body; give --kind to check it as one  [payload.unknown-kind]",
    "",
  ]);
  const { output: json } = cli("--json", resolve(payloadsDir, "comms-samples-docs-callback-jwt-claims.json"));
  expect(JSON.parse(json)).toMatchObject({ kind: "unknown", valid: false, warnings: [] });
});

it("prints a warning about the whole payload as (root)", () => {
  const notification = readFileSync(example("example-1-invite-one-participant.operation-completed.json"), "utf8");
  const bare = new TextEncoder().encode(JSON.stringify(JSON.parse(notification).value[0]));
  const { code, output } = cliOnBytes(bare);
  expect(code).toBe(0);
  expect(output.split("\n")).toEqual([
    "-: valid notifications (operation)",
    "  warning (root)  A single notification arrived without the `commsNotifications` envelope; read as `{ value: [notification] }`.  [notification.unwrapped]",
    "",
  ]);
});

describe("usage errors exit 2", () => {
  it.each([
    [[], "give a file, or - for stdin"],
    [["a.json", "b.json"], "give one file"],
    [["--kind", "bogus", "a.json"], "unknown --kind bogus"],
    [["--mode", "lenient", "a.json"], "unknown --mode lenient"],
    [["--call-kind", "conference", "a.json"], "unknown --call-kind conference"],
    [["--ignored-participants", "ignore", "a.json"], "unknown --ignored-participants ignore"],
    [["--bogus", "a.json"], "Unknown option '--bogus'"],
  ])("%j: says why, then how to use it", (argv, why) => {
    const { code, output } = cli(...argv);
    expect(code).toBe(2);
    expect(output.startsWith(`graph-invite-validate: ${why}`)).toBe(true);
    expect(output).toMatch(/\n\nUsage: graph-invite-validate \[options\] <file\|->\n/);
    expect(output).not.toMatch(/\n\s+at /);
  });

  it.each([
    ["/no/such/file.json", "cannot read /no/such/file.json: no such file\n"],
    [import.meta.dirname, `cannot read ${import.meta.dirname}: EISDIR: illegal operation on a directory, read\n`],
  ])("%s: an unreadable file is named with why, without the usage", (file, why) => {
    expect(cli(file)).toEqual({ code: 2, output: `graph-invite-validate: ${why}` });
  });

  it("--help exits 0, with the usage alone", () => {
    const { code, output } = cli("--help");
    expect(code).toBe(0);
    expect(output).toMatch(/^Usage: graph-invite-validate \[options\] <file\|->\n/);
    expect(output).toMatch(/Exit codes: 0 valid, 1 invalid, 2 usage error or unreadable file\.\n$/);
    expect(cli("-h")).toEqual({ code, output });
  });
});

describe("--kind and --mode", () => {
  const responseWith = (status: string) => {
    const response = JSON.parse(readFileSync(example("example-1-invite-one-participant.response.json"), "utf8"));
    return new TextEncoder().encode(JSON.stringify({ ...response, status }));
  };
  const errorWith = (extra: object) =>
    new TextEncoder().encode(JSON.stringify({ error: { code: "x", message: "y" }, ...extra }));
  const onBytes = (bytes: Uint8Array, ...flags: string[]) => {
    const { code, output } = cliOnBytes(bytes, ...flags, "--json");
    return {
      code,
      outcome: JSON.parse(output) as {
        kind: string;
        valid: boolean;
        errors: Array<{ pointer: string; code: string }>;
        warnings: Array<{ pointer: string; code: string }>;
      },
    };
  };

  it.each([
    ["invite-request", example("example-1-invite-one-participant.request.json")],
    ["invite-response", example("example-1-invite-one-participant.response.json")],
    ["notifications", example("example-1-invite-one-participant.operation-completed.json")],
    ["graph-error", resolve(payloadsDir, "docs-concepts-throttling-429-TooManyRequests-error.json")],
  ])("--kind %s is a kind it knows", (kind, file) => {
    const { code, output } = cli("--kind", kind, file);
    expect(code).toBe(0);
    expect(output.split("\n")[0]).toMatch(new RegExp(`: valid ${kind}( \\(operation\\))?$`));
  });

  it("--call-kind reaches the invite rules", () => {
    const request = JSON.parse(readFileSync(example("example-2-invite-multiple-participants.request.json"), "utf8"));
    for (const participant of request.participants) delete participant.replacesCallId;
    const bytes = new TextEncoder().encode(JSON.stringify(request));
    expect(onBytes(bytes)).toMatchObject({ code: 0, outcome: { valid: true, errors: [] } });
    const p2p = onBytes(bytes, "--call-kind", "p2p");
    expect(p2p.code).toBe(1);
    expect(p2p.outcome.errors.map((error) => error.code)).toEqual(["invite.multiple-participants-group-call-only"]);
    const meeting = onBytes(bytes, "--call-kind", "meeting");
    expect(meeting.code).toBe(0);
    expect(meeting.outcome.warnings.map((warning) => warning.code)).toEqual([
      "invite.multiple-participants-group-call-only",
    ]);
  });

  it("--kind checks the payload as that kind, whatever it looks like", () => {
    const { code, output } = cli(
      "--kind",
      "invite-request",
      example("example-1-invite-one-participant.operation-completed.json"),
    );
    expect(code).toBe(1);
    expect(output.split("\n")[0]).toMatch(/: invalid invite-request$/);
    expect(output).toContain("[schema.required]");
  });

  it("--kind invite-request on text that is not JSON: the syntax error, as that kind", () => {
    const { code, outcome } = onBytes(new TextEncoder().encode('{"participants": ['), "--kind", "invite-request");
    expect(code).toBe(1);
    expect(outcome).toMatchObject({ kind: "invite-request", valid: false, warnings: [] });
    expect(outcome.errors.map((error) => error.code)).toEqual(["json.syntax"]);
    const detected = onBytes(new TextEncoder().encode('{"participants": ['));
    expect(detected.outcome).toMatchObject({ kind: "unknown", valid: false, warnings: [] });
  });

  it("lists the kind of each notification of a body", () => {
    const body = JSON.parse(readFileSync(example("example-1-invite-one-participant.operation-completed.json"), "utf8"));
    const roster = JSON.parse(readFileSync(example("example-3-replace-peer-to-peer-call.roster-updated.json"), "utf8"));
    const both = new TextEncoder().encode(JSON.stringify({ value: [...body.value, ...roster.value] }));
    const { output } = cliOnBytes(both);
    expect(output.split("\n")[0]).toBe("-: valid notifications (operation, roster)");
  });

  it("an invite response's unlisted status: a warning in tolerant mode, an error in strict mode", () => {
    const tolerant = onBytes(responseWith("someNewStatus"));
    expect(tolerant).toMatchObject({ code: 0, outcome: { kind: "invite-response", valid: true, errors: [] } });
    expect(tolerant.outcome.warnings).toEqual([
      expect.objectContaining({ pointer: "/status", code: "enum.unknown-value" }),
    ]);
    const strict = onBytes(responseWith("someNewStatus"), "--mode", "strict");
    expect(strict).toMatchObject({ code: 1, outcome: { kind: "invite-response", valid: false } });
    expect(strict.outcome.errors).toEqual([expect.objectContaining({ pointer: "/status", code: "schema.enum" })]);
  });

  it("a Graph error body's undeclared property: accepted in tolerant mode, refused in strict mode", () => {
    expect(onBytes(errorWith({ extra: 1 }))).toMatchObject({ code: 0, outcome: { kind: "graph-error", valid: true } });
    const strict = onBytes(errorWith({ extra: 1 }), "--mode", "strict");
    expect(strict).toMatchObject({ code: 1, outcome: { kind: "graph-error", valid: false } });
    expect(strict.outcome.errors).toEqual([
      expect.objectContaining({ pointer: "/extra", code: "schema.unknown-property" }),
    ]);
  });

  it("notifications in strict mode: the kinds are listed only when valid", () => {
    const file = resolve(payloadsDir, "docs-beta-2019-transfer-failed-established-500-1000.json");
    const bytes = readFileSync(file);
    expect(onBytes(bytes).outcome).toMatchObject({ valid: true, notifications: ["call"] });
    expect(onBytes(bytes, "--mode", "strict").outcome).not.toHaveProperty("notifications");
  });
});

describe("the installed command", () => {
  const bin = resolve(import.meta.dirname, "../bin/graph-invite-validate.js");
  const exec = promisify(execFile);

  it("reads stdin, prints no stack trace for bad input, and exits 1", async () => {
    const child = exec(process.execPath, [bin, "-"]);
    child.child.stdin?.end('{"participants": [], ');
    const failure = await child.then(
      () => undefined,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stdout).toContain("-: invalid unknown");
    expect(failure?.stdout).toContain("Invalid JSON at line 1, column 22");
    expect(`${failure?.stdout}${failure?.stderr}`).not.toMatch(/\n\s+at /);
  });

  it("exits 0 for a valid file", async () => {
    const { stdout } = await exec(process.execPath, [bin, example("example-4-invite-phone-participant.request.json")]);
    expect(stdout).toContain("valid invite-request");
  });
});

// The CLI hands the library the bytes it read, so both read the same bytes the same way.
describe("reads bytes as the library does", () => {
  const body = readFileSync(example("example-1-invite-one-participant.operation-completed.json"));
  const bytesOf = (...parts: Array<Uint8Array | string>) =>
    Buffer.concat(parts.map((part) => (typeof part === "string" ? Buffer.from(part) : part)));
  const cliOn = (bytes: Uint8Array, ...flags: string[]) => {
    const { code, output } = cliOnBytes(bytes, ...flags, "--json");
    return {
      code,
      outcome: JSON.parse(output) as { valid: boolean; errors: Array<{ code: string; message: string }> },
    };
  };

  it.each([
    ["invalid UTF-8", bytesOf(body.subarray(0, 40), new Uint8Array([0xc3, 0x28]), body.subarray(40))],
    ["a byte order mark", bytesOf(new Uint8Array([0xef, 0xbb, 0xbf]), body)],
    ["nesting far too deep", bytesOf('{"value":[', "[".repeat(100_000), "]".repeat(100_000), "]}")],
    ["a byte order mark inside", bytesOf(body.subarray(0, 1), "\ufeff", body.subarray(1))],
  ])("%s: the same verdict and codes as parseNotifications", (_, bytes) => {
    const library = parseNotifications(bytes);
    const { code, outcome } = cliOn(bytes, "--kind", "notifications");
    expect(outcome.valid).toBe(library.ok);
    expect(code).toBe(library.ok ? 0 : 1);
    expect(outcome.errors.map((error) => error.code)).toEqual(library.ok ? [] : library.errors.map((e) => e.code));
    // And when it detects the kind itself.
    expect(cliOn(bytes).outcome.errors.map((error) => error.code)).toEqual(outcome.errors.map((error) => error.code));
  });

  it("names an invisible character it cannot read, rather than printing it", () => {
    const { outcome } = cliOn(bytesOf(body.subarray(0, 1), "\ufeff", body.subarray(1)));
    expect(outcome.errors[0]?.message).toContain("U+FEFF (a byte order mark)");
    expect(outcome.errors[0]?.message).not.toContain("\ufeff");
  });

  it("refuses invalid UTF-8 as json.encoding, never a lossy decode", () => {
    const { outcome } = cliOn(bytesOf(body.subarray(0, 40), new Uint8Array([0xff]), body.subarray(40)));
    expect(outcome.errors.map((error) => error.code)).toEqual(["json.encoding"]);
  });
});
