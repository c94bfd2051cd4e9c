// graph-invite-bot run in process through `run`: every command against a bot that `serve` started on free ports in
// simulator mode: calls, invites of each kind, replace, move, rosters, operations, a declined invite (exit 1) and an
// invite that times out.

import { randomUUID } from "node:crypto";
import type { OperationRecord, Roster } from "@graph-invite/bot-kit";
import { describe, expect, it } from "vitest";
import { cli, createCall, expectCompleted, json, servedBot } from "./cli-runs.js";

describe("a served bot in simulator mode", () => {
  const bot = servedBot();

  it("prints a banner with the notification, control and simulator URLs", async () => {
    const { banner, notificationsUrl, controlUrl, simulatorUrl } = bot();
    expect(banner.split("\n")[0]).toBe("graph-invite-bot: talking to a simulator in this process");
    expect(notificationsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/calls$/);
    expect(controlUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(banner).toContain(`  control        ${controlUrl} (loopback only)\n`);
    expect(await json(fetch(`${controlUrl}/status`))).toEqual({
      mode: "simulator",
      callbackUrl: notificationsUrl,
      simulatorUrl,
    });
    expect((await fetch(`${simulatorUrl}/simulator/state`)).status).toBe(200);
  });

  it("call --kind group --json creates a call in the simulator whose callback is the bot", async () => {
    const id = await createCall(bot(), "group");
    const state = await json<{ calls: Array<{ id: string; kind: string; callbackUri: string }> }>(
      fetch(`${bot().simulatorUrl}/simulator/state`),
    );
    expect(state.calls.find((call) => call.id === id)).toMatchObject({
      kind: "group",
      callbackUri: bot().notificationsUrl,
    });
  });

  it("call --kind meeting without --json says what it created", async () => {
    const { code, output } = await cli(bot().env, "call", "--kind", "meeting");
    expect(code).toBe(0);
    expect(output).toMatch(/^created meeting call \S+\n$/);
  });

  it("invite user --name Ann prints the lifecycle and a roster with Ann, and exits 0", async () => {
    const callId = await createCall(bot(), "group");
    const ann = randomUUID();
    const ran = await cli(bot().env, "invite", "user", ann, "--call", callId, "--name", "Ann");
    expectCompleted(ran, callId);
    expect(ran.output).toContain(`roster of call ${callId}: 1 in the call\n  • Ann (user ${ann})`);
    expect(bot().log()).toMatch(new RegExp(`^call ${callId} {2}\\+ Ann \\(user ${ann}\\) joined`, "m"));
  });

  it("invite phone, guest and app each complete, and the roster lists them all", async () => {
    const callId = await createCall(bot(), "group");
    const appId = randomUUID();
    expectCompleted(await cli(bot().env, "invite", "phone", "+12345678901", "--call", callId), callId);
    expectCompleted(await cli(bot().env, "invite", "guest", "g1", "--name", "Guest", "--call", callId), callId);
    const last = await cli(bot().env, "invite", "app", appId, "--call", callId, "--call-kind", "group");
    expectCompleted(last, callId);
    expect(last.output).toContain(`roster of call ${callId}: 3 in the call\n`);
    for (const member of ["(phone +12345678901)", "Guest (guest g1)", `(application ${appId})`]) {
      expect(last.output).toMatch(new RegExp(`^ {2}• .*${member.replace(/[()+]/g, "\\$&")}`, "m"));
    }
  });

  it("--context sets the clientContext the invite is known by", async () => {
    const callId = await createCall(bot(), "group");
    const context = `cli-${randomUUID()}`;
    const ran = await cli(bot().env, "invite", "user", "u-context", "--call", callId, "--context", context);
    expectCompleted(ran, callId);
    expect(ran.output).toMatch(
      new RegExp(`^invite ${context} into call ${callId}: completed: .*clientContext ${context}$`, "m"),
    );
  });

  it("invite --json prints the outcome and the roster as JSON; --tenant names the invitee's tenant", async () => {
    const callId = await createCall(bot(), "group");
    const ran = await cli(
      bot().env,
      "invite",
      "user",
      "u-json",
      "--call",
      callId,
      "--tenant",
      "other-tenant",
      "--json",
    );
    expect({ code: ran.code, errors: ran.errors }).toEqual({ code: 0, errors: "" });
    const { outcome, roster } = JSON.parse(ran.output) as { outcome: OperationRecord; roster: Roster };
    expect(outcome).toMatchObject({ callId, status: "completed" });
    expect(outcome.request.participants[0]?.identity).toMatchObject({
      user: { id: "u-json", tenantId: "other-tenant" },
    });
    expect(roster).toMatchObject({
      callId,
      ended: false,
      participants: [{ participant: { info: { identity: { user: { id: "u-json" } } } } }],
    });
  });

  it("invite --call-kind p2p with one invitee into a peer-to-peer call is fine", async () => {
    const callId = await createCall(bot(), "p2p");
    expectCompleted(await cli(bot().env, "invite", "user", "u-p2p", "--call", callId, "--call-kind", "p2p"), callId);
  });

  it("replace: the invitee joins the group call, and the peer-to-peer call ends", async () => {
    const p2p = await createCall(bot(), "p2p");
    const group = await createCall(bot(), "group");
    const ran = await cli(bot().env, "replace", "user", "u-replace", "--call", group, "--replaces", p2p);
    expectCompleted(ran, group);
    expect(ran.output).toMatch(/^ {2}• \(user u-replace\)/m);
    const roster = await cli(bot().env, "roster", "--call", p2p);
    expect(roster).toEqual({ code: 0, output: `roster of call ${p2p}: call ended\n`, errors: "" });
    expect(bot().log()).toContain(`call ${p2p}  updated terminated`);
  });

  it("move: a participant of one meeting moves into another", async () => {
    const { simulatorUrl, notificationsUrl } = bot();
    const mover = randomUUID();
    // The CLI's `call` seeds nobody, so the source meeting is created through the simulator's control API.
    const source = await json<{ id: string }>(
      fetch(`${simulatorUrl}/simulator/calls`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          kind: "meeting",
          callbackUri: notificationsUrl,
          participants: [{ id: "p-mover", identity: { user: { id: mover } } }],
        }),
      }),
    );
    const target = await createCall(bot(), "meeting");
    const ran = await cli(
      bot().env,
      ...["move", "user", mover, "--call", target, "--from", source.id, "--participant", "p-mover"],
      ...["--call-kind", "meeting"],
    );
    expectCompleted(ran, target);
    expect(ran.output).toContain(`roster of call ${target}: 1 in the call\n  • (user ${mover})`);
    const state = await json<{ calls: Array<{ id: string; participants: Array<{ info: unknown }> }> }>(
      fetch(`${simulatorUrl}/simulator/state`),
    );
    expect(JSON.stringify(state.calls.find((call) => call.id === source.id)?.participants)).not.toContain(mover);
    const sourceRoster = await cli(bot().env, "roster", "--call", source.id, "--json");
    expect((JSON.parse(sourceRoster.output) as Roster).participants).toEqual([]);
  });

  it("operations --call --json lists the call's invites, and roster --json its participants", async () => {
    const callId = await createCall(bot(), "group");
    for (const user of ["op-1", "op-2"]) {
      expect((await cli(bot().env, "invite", "user", user, "--call", callId)).code).toBe(0);
    }
    const operations = await cli(bot().env, "operations", "--call", callId, "--json");
    expect(operations.code).toBe(0);
    const records = JSON.parse(operations.output) as OperationRecord[];
    expect(records).toHaveLength(2);
    for (const record of records) {
      expect(record).toMatchObject({ callId, status: "completed", operationId: expect.any(String) });
      expect(record.history.map((step) => step.event)).toEqual(["sent", "accepted", "notification"]);
    }
    const text = await cli(bot().env, "operations", "--call", callId);
    expect(text.output.match(/^invite \S+ into call \S+: completed/gm)).toHaveLength(2);
    expect((await cli(bot().env, "operations", "--call", randomUUID())).output).toBe("no invites yet\n");
    const all = JSON.parse((await cli(bot().env, "operations", "--json")).output) as OperationRecord[];
    expect(all.length).toBeGreaterThan(2);
    expect(all.filter((record) => record.callId === callId)).toEqual(records);

    const roster = await cli(bot().env, "roster", "--call", callId, "--json");
    expect(roster.code).toBe(0);
    const parsed = JSON.parse(roster.output) as Roster;
    expect(parsed).toMatchObject({ callId, ended: false });
    expect(parsed.participants.map((member) => member.participant.info.identity?.user?.id).sort()).toEqual([
      "op-1",
      "op-2",
    ]);
  });

  it("a declined invite prints how it failed, and exits 1", async () => {
    const { simulatorUrl, env } = bot();
    await json(
      fetch(`${simulatorUrl}/simulator/scenario`, {
        method: "PUT",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ answers: { "u-decline": { kind: "decline", code: 603, subcode: 5400 } } }),
      }),
    );
    const callId = await createCall(bot(), "group");
    const ran = await cli(env, "invite", "user", "u-decline", "--call", callId);
    expect(ran.code).toBe(1);
    expect(ran.errors).toBe("");
    expect(ran.output).toMatch(new RegExp(`^invite \\S+ into call ${callId}: failed: 603/5400`));
    expect(ran.output).toMatch(/^ {2}\S+ {2}notification +failed/m);
    expect(ran.output).toContain(`roster of call ${callId}: 0 in the call\n`);
  });

  it("an invite into a call the simulator does not know is rejected, and exits 1", async () => {
    const ran = await cli(bot().env, "invite", "user", "u1", "--call", "no-such-call");
    expect(ran.code).toBe(1);
    expect(ran.output).toMatch(/^invite \S+ into call no-such-call: rejected: /);
  });

  it("roster of a call the bot knows nothing of is empty", async () => {
    expect(await cli(bot().env, "roster", "--call", "unknown")).toEqual({
      code: 0,
      output: "roster of call unknown: 0 in the call\n",
      errors: "",
    });
  });
});

describe("--timeout", () => {
  // A bot of its own: the unanswered invite below rings on in its simulator after the test.
  const bot = servedBot();

  it("an invite nobody answers in time exits 1 with 'timed out', without waiting for the ring to end", async () => {
    const { simulatorUrl, env } = bot();
    await json(
      fetch(`${simulatorUrl}/simulator/scenario`, {
        method: "PUT",
        headers: { "Content-Type": "application/json" },
        // The invitee rings for 5 s; the CLI is told to wait 300 ms.
        body: JSON.stringify({ answers: { "u-silent": { kind: "no-answer", afterMs: 5000 } } }),
      }),
    );
    const callId = await createCall(bot(), "group");
    const ran = await cli(env, "invite", "user", "u-silent", "--call", callId, "--timeout", "300");
    expect(ran.code).toBe(1);
    expect(ran.output).toMatch(/: timed out: no terminal notification; clientContext \S+ stays recorded/);
    // The command returned once its own timeout passed, so the simulator is still ringing the invitee: the command
    // does not wait for the simulator to settle, which would take the whole 5 s ring.
    const state = await json<{ operations: Array<{ callId: string; status: string }> }>(
      fetch(`${simulatorUrl}/simulator/state`),
    );
    expect(state.operations.find((operation) => operation.callId === callId)?.status).toBe("running");
  });
});
