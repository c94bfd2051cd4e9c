// The console's server side over real HTTP: the control endpoints the console steers with, answering a ringing
// invitee and re-sending a delivery.

import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { control, oneInvitee } from "./console-requests.js";
import { lifecycle, postInvite } from "./harness.js";

const { simulator, callback } = lifecycle();

describe("answering a ringing invitee", () => {
  it("accepts, declines with a code, or lets it ring, whatever the scenario said", async () => {
    const bot = await callback();
    const sim = await simulator({ scenario: { defaultAnswer: { kind: "no-answer" } } });
    const call = sim.createCall({ kind: "group", callbackUri: bot.url });
    const invite = async (id: string) => {
      const answer = await postInvite(sim, call.id, oneInvitee(id));
      return (answer.body as { id: string }).id;
    };
    const accepted = await invite("ann");
    const declined = await invite("bob");
    const ringing = await invite("cy");
    expect(sim.operation(accepted)?.status).toBe("running");

    const accept = await control(sim, "POST", `/simulator/operations/${accepted}/participants/0/answer`, {
      kind: "accept",
    });
    expect(accept.status).toBe(202);
    const decline = await control(sim, "POST", `/simulator/operations/${declined}/participants/0/answer`, {
      kind: "decline",
      code: 486,
      subcode: 5401,
    });
    expect(decline.status).toBe(202);
    const ring = await control(sim, "POST", `/simulator/operations/${ringing}/participants/0/answer`, { kind: "ring" });
    expect(ring.status).toBe(202);
    expect(ring.body.invitees).toMatchObject([{ answered: false, answer: "no-answer" }]);
    // About a minute from the invite, as the usual ring time.
    expect(Date.parse(ring.body.invitees[0].dueAt) - Date.parse(ring.body.createdAt)).toBeGreaterThan(55_000);

    await expect.poll(() => sim.operation(declined)?.status).toBe("failed");
    await expect.poll(() => sim.operation(accepted)?.status).toBe("completed");
    expect(sim.operation(declined)?.resultInfo).toMatchObject({ code: 486, subcode: 5401 });
    expect(sim.call(call.id)?.participants.map((participant) => participant.info.identity?.user?.id)).toEqual(["ann"]);
    expect(sim.operation(ringing)?.status).toBe("running");

    const again = await control(sim, "POST", `/simulator/operations/${accepted}/participants/0/answer`, {
      kind: "accept",
    });
    expect(again.status).toBe(409);
    expect(
      (await control(sim, "POST", "/simulator/operations/nope/participants/0/answer", { kind: "accept" })).status,
    ).toBe(404);
    expect(
      (await control(sim, "POST", `/simulator/operations/${ringing}/participants/1/answer`, { kind: "accept" })).status,
    ).toBe(404);
  });

  it.each([
    ["an unknown kind", { kind: "maybe" }, "/kind"],
    ["a code on an accept", { kind: "accept", code: 603 }, "/code"],
    ["a code that is not an integer", { kind: "decline", code: "603" }, "/code"],
    ["an unknown property", { kind: "accept", after: 1 }, "/after"],
    ["not an object", [], ""],
    ["not JSON", "accept", ""],
  ])("refuses %s with a 400 that points at the field", async (_, body, pointer) => {
    const sim = await simulator();
    const answer = await control(sim, "POST", "/simulator/operations/x/participants/0/answer", body);
    expect(answer.status).toBe(400);
    expect(answer.body.error.details[0].target).toBe(pointer);
  });
});

describe("re-sending a delivery", () => {
  it("sends it again with its message id, with a valid or a deliberately wrong token", async () => {
    const bot = await callback();
    const sim = await simulator();
    const call = sim.createCall({ kind: "group", callbackUri: bot.url });
    await postInvite(sim, call.id, oneInvitee("ann"));
    await sim.settled();
    const [first] = sim.deliveries();
    const tokens: Record<string, Record<string, unknown>> = {};
    for (const token of ["valid", "wrong-audience", "wrong-issuer", "no-tenant", "expired"]) {
      const answer = await control(sim, "POST", "/simulator/deliveries/0/resend", { token });
      expect(answer).toMatchObject({ status: 202, body: { token } });
      await sim.settled();
      await expect.poll(() => sim.deliveries()[answer.body.seq]?.outcome).toBe("delivered");
      const resent = sim.deliveries()[answer.body.seq];
      expect(resent).toMatchObject({ messageId: first?.messageId, duplicate: true, resent: token, body: first?.body });
      const authorization = resent?.attempts[0]?.headers["Authorization"] ?? "";
      tokens[token] = decodeJwt(authorization.replace("Bearer ", ""));
    }
    expect(tokens["valid"]).toMatchObject({ aud: sim.app.appId, iss: sim.notificationIssuer, tid: sim.app.tenantId });
    expect(tokens["wrong-audience"]?.["aud"]).not.toBe(sim.app.appId);
    expect(tokens["wrong-issuer"]?.["iss"]).toBe("https://issuer.invalid");
    expect(tokens["no-tenant"]).not.toHaveProperty("tid");
    expect(Number(tokens["expired"]?.["exp"])).toBeLessThan(Date.now() / 1000 - 600);
  });

  it("refuses an unknown delivery and an unknown flaw", async () => {
    const sim = await simulator();
    expect((await control(sim, "POST", "/simulator/deliveries/7/resend", {})).status).toBe(404);
    const flaw = await control(sim, "POST", "/simulator/deliveries/0/resend", { token: "forged" });
    expect(flaw.status).toBe(400);
    expect(flaw.body.error.details[0].target).toBe("/token");
  });

  it("rotates the signing key: the key set then holds only the new key", async () => {
    const sim = await simulator();
    const rotated = await control(sim, "POST", "/simulator/keys/rotate", {});
    expect(rotated.status).toBe(200);
    const keys = (await (await fetch(`${sim.url}/v1/.well-known/keys`)).json()) as { keys: Array<{ kid: string }> };
    expect(keys.keys.map((key) => key.kid)).toEqual([rotated.body.kid]);
    const unknown = await control(sim, "POST", "/simulator/keys/rotate", { kid: "x" });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.details[0].target).toBe("/kid");
  });

  it("rolls the key over as Graph does when given an overlap: both keys published, the old one still signing", async () => {
    const sim = await simulator();
    const keySet = async () =>
      ((await (await fetch(`${sim.url}/v1/.well-known/keys`)).json()) as { keys: Array<{ kid: string }> }).keys.map(
        (key) => key.kid,
      );
    const [before] = await keySet();
    const rotated = await control(sim, "POST", "/simulator/keys/rotate", { overlapMs: 60_000 });
    expect(rotated.status).toBe(200);
    expect((await keySet()).sort()).toEqual([before, rotated.body.kid].sort());
    const token = await sim.signNotificationToken();
    const header = JSON.parse(Buffer.from(token.split(".")[0] as string, "base64url").toString()) as { kid: string };
    expect(header.kid).toBe(before);
    const negative = await control(sim, "POST", "/simulator/keys/rotate", { overlapMs: -1 });
    expect(negative.status).toBe(400);
    expect(negative.body.error.details[0].target).toBe("/overlapMs");
  });
});
