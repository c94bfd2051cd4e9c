// graph-invite-bot run in process through `run`: commands against a bot that `serve` started against an external
// simulator, and the control API they talk to.

import { randomUUID } from "node:crypto";
import { request as httpRequest } from "node:http";
import { type Simulator, start } from "@graph-invite/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, createCall, expectCompleted, servedBot } from "./cli-runs.js";

describe("a served bot against an external simulator", () => {
  let sim: Simulator | undefined;
  const simulator = () => {
    if (sim === undefined) throw new Error("the simulator has not started");
    return sim;
  };
  beforeAll(async () => {
    sim = await start();
  });
  // Registered after the simulator's beforeAll, so the bot starts after it and is closed before it.
  const bot = servedBot(() => ({
    GRAPH_INVITE_SIMULATOR_URL: `${simulator().url}/`,
    GRAPH_INVITE_TENANT_ID: simulator().app.tenantId,
    GRAPH_INVITE_APP_ID: simulator().app.appId,
    GRAPH_INVITE_APP_SECRET: simulator().app.secret,
  }));
  afterAll(async () => {
    await sim?.close();
  });

  it("says it talks to a simulator, and names it", () => {
    const { banner, simulatorUrl } = bot();
    expect(banner.split("\n")[0]).toBe("graph-invite-bot: talking to a simulator");
    expect(simulatorUrl).toBe(simulator().url);
  });

  it("creates a call there, and an invite completes on the simulator's authenticated notifications", async () => {
    const callId = await createCall(bot(), "group");
    expect(simulator().call(callId)?.kind).toBe("group");
    const ran = await cli(bot().env, "invite", "user", "u-external", "--call", callId, "--name", "Ext");
    expectCompleted(ran, callId);
    expect(ran.output).toContain(`roster of call ${callId}: 1 in the call\n  • Ext (user u-external)`);
    await simulator().settled();
    const deliveries = simulator().deliveries();
    expect(deliveries.length).toBeGreaterThan(0);
    for (const delivery of deliveries) {
      expect(delivery).toMatchObject({ outcome: "delivered" });
      expect(delivery.attempts.map((attempt) => attempt.status)).toEqual([202]);
    }
    expect(bot().log()).not.toMatch(/^refused /m);
  });
});

describe("the control API", () => {
  const bot = servedBot();

  /** A request to the control API with headers as given, Host included. */
  function control(
    path: string,
    method: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<{ status: number; body: { error?: string } }> {
    const { controlUrl } = bot();
    return new Promise((resolve, reject) => {
      const request = httpRequest(`${controlUrl}${path}`, { method, headers, agent: false }, (response) => {
        let text = "";
        response.on("data", (chunk) => {
          text += chunk;
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
      });
      request.on("error", reject);
      request.end(body);
    });
  }

  const host = () => new URL(bot().controlUrl).host;
  const invite = (clientContext: string) =>
    JSON.stringify({
      callId: randomUUID(),
      body: {
        participants: [
          {
            "@odata.type": "#microsoft.graph.invitationParticipantInfo",
            identity: {
              "@odata.type": "#microsoft.graph.identitySet",
              user: { "@odata.type": "#microsoft.graph.identity", id: "u" },
            },
          },
        ],
        clientContext,
      },
    });

  it("refuses what a web page can send: an Origin, a foreign Host, a body that is not JSON", async () => {
    const json = { "Content-Type": "application/json" };
    expect(await control("/status", "GET", { Host: host(), Origin: "http://evil.example" })).toEqual({
      status: 403,
      body: { error: "the control API does not answer web pages" },
    });
    expect(
      (await control("/status", "GET", { Host: `attacker.example:${new URL(bot().controlUrl).port}` })).status,
    ).toBe(403);
    const before = JSON.parse((await cli(bot().env, "operations", "--json")).output) as unknown[];
    expect((await control("/invite", "POST", { Host: host(), "Content-Type": "text/plain" }, invite("a"))).status).toBe(
      415,
    );
    expect(JSON.parse((await cli(bot().env, "operations", "--json")).output)).toEqual(before);
    expect((await control("/status", "GET", { Host: host(), ...json })).status).toBe(200);
  });

  it("answers 409 for a clientContext used before, and 400 for a path that does not decode", async () => {
    const headers = { Host: host(), "Content-Type": "application/json" };
    const clientContext = randomUUID();
    // The call does not exist, so the first invite ends at once, refused by the simulator with 404.
    const command = invite(clientContext);
    const first = await control("/invite", "POST", headers, command);
    expect(first.status).toBe(200);
    // The same command again is a retry: the first one's outcome, and nothing sent.
    expect(await control("/invite", "POST", headers, command)).toEqual(first);
    // The same clientContext for another call is another invite.
    const again = await control("/invite", "POST", headers, invite(clientContext));
    expect(again).toEqual({
      status: 409,
      body: {
        error: `clientContext ${clientContext} was used by an earlier invite with another call or body; Graph needs it to be unique.`,
      },
    });
    expect((await control("/calls/%E0%A4%A/roster", "GET", headers)).status).toBe(400);
  });

  it("answers an invite with settle false at its outcome, and lists the roster events and the process's figures", async () => {
    const headers = { Host: host(), "Content-Type": "application/json" };
    const get = async <T>(path: string) => {
      const answer = await control(path, "GET", headers);
      expect(answer.status).toBe(200);
      return answer.body as T;
    };
    const call = await control("/calls", "POST", headers, JSON.stringify({ kind: "group" }));
    const callId = (call.body as { id: string }).id;
    const clientContext = randomUUID();
    const command = JSON.parse(invite(clientContext)) as { callId: string };
    command.callId = callId;
    const answered = await control("/invite", "POST", headers, JSON.stringify({ ...command, settle: false }));
    expect(answered.status).toBe(200);
    // No roster: it was not waited for.
    expect(Object.keys(answered.body)).toEqual(["outcome"]);
    expect((answered.body as unknown as { outcome: { status: string } }).outcome.status).toBe("completed");

    const deadline = Date.now() + 5000;
    let events: Array<{ callId: string; type: string; key: string; at: string }> = [];
    while (Date.now() < deadline && !events.some((event) => event.callId === callId)) {
      ({ events } = await get<{ events: typeof events }>("/events/roster"));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(events.filter((event) => event.callId === callId)).toEqual([
      { callId, type: "joined", key: expect.any(String), at: expect.any(String) },
    ]);
    const stats = await get<{ cpuUsage: { user: number }; deliveries: number; notifications: number }>("/stats");
    expect(stats.cpuUsage.user).toBeGreaterThan(0);
    expect(stats.deliveries).toBeGreaterThanOrEqual(2);
    expect(stats.notifications).toBeGreaterThanOrEqual(stats.deliveries);

    expect(stats).toMatchObject({ redisCommands: null });

    // Re-attaching to an invite that has ended answers at once with its outcome; one the store never had is 404.
    const reattached = await control(`/operations/${clientContext}/outcome`, "GET", headers);
    expect(reattached.status).toBe(200);
    expect(reattached.body).toEqual({ outcome: (answered.body as unknown as { outcome: unknown }).outcome });
    expect((await control(`/operations/${randomUUID()}/outcome`, "GET", headers)).status).toBe(404);
  });
});
