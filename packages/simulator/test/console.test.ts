// The console's server side over real HTTP: the guard against DNS rebinding and cross-site requests, the live feed,
// and the control endpoints the console steers with.
import { request as httpRequest } from "node:http";
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import type { Simulator } from "../src/index.js";
import { lifecycle, postInvite } from "./harness.js";

const { simulator, callback, sharedSimulator } = lifecycle();

interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** A request with the headers exactly as given, Host included, which fetch does not let a caller set. */
function raw(
  sim: Simulator,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<RawAnswer> {
  const { port } = new URL(sim.url);
  return new Promise((resolve, reject) => {
    const sent = httpRequest({ host: "127.0.0.1", port, method, path, headers, setHost: false }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        text += chunk;
        // The feed never ends by itself: its first event is enough.
        if (path === "/simulator/events" && text.includes("\n\n")) response.destroy();
      });
      response.on("close", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
    });
    sent.on("error", reject);
    sent.end(body);
  });
}

const json = { "Content-Type": "application/json" };

// biome-ignore lint/suspicious/noExplicitAny: the feed's JSON, read field by field as each test asserts it.
type Json = any;
interface FeedEvent {
  readonly event: string;
  readonly data: Json;
}
const seed = (url: string) => JSON.stringify({ kind: "group", callbackUri: url });

describe("DNS rebinding: a Host that is not the simulator's address is refused", () => {
  const sim = sharedSimulator();
  const port = () => new URL(sim().url).port;

  it.each(["/", "/console", "/console/app.js", "/simulator/state", "/simulator/events", "/simulator/deliveries"])(
    "GET %s with the Host of a rebound name gets 421 and no data",
    async (path) => {
      const answer = await raw(sim(), "GET", path, { Host: `attacker.example:${port()}` });
      expect(answer.status).toBe(421);
      expect(answer.body).toContain("MisdirectedRequest");
      expect(answer.body).not.toContain("calls");
    },
  );

  it.each([
    ["the simulator's own address", () => `127.0.0.1:${port()}`],
    ["localhost", () => `localhost:${port()}`],
    ["the IPv6 loopback", () => `[::1]:${port()}`],
  ])("GET /simulator/state with %s as Host is served", async (_, host) => {
    const answer = await raw(sim(), "GET", "/simulator/state", { Host: host() });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toHaveProperty("calls");
  });

  it.each([
    ["another port", () => "127.0.0.1:1"],
    ["no port", () => "127.0.0.1"],
    ["a name that ends like localhost", () => `evil-localhost:${port()}`],
    ["credentials", () => `user@127.0.0.1:${port()}`],
    ["nothing", () => ""],
  ])("a Host with %s is refused", async (_, host) => {
    expect((await raw(sim(), "GET", "/simulator/state", { Host: host() })).status).toBe(421);
  });

  it("a state-changing request with a rebound Host changes nothing", async () => {
    const before = sim().calls().length;
    const answer = await raw(
      sim(),
      "POST",
      "/simulator/calls",
      { ...json, Host: `attacker.example:${port()}` },
      seed("http://127.0.0.1:9/api/calls"),
    );
    expect(answer.status).toBe(421);
    expect(sim().calls()).toHaveLength(before);
  });
});

describe("CSRF: state-changing requests must be JSON and from the console's own origin", () => {
  const sim = sharedSimulator();
  const host = () => new URL(sim().url).host;

  it.each([
    ["text/plain, as a cross-site form or no-cors fetch sends", { "Content-Type": "text/plain" }],
    ["a form's urlencoded body", { "Content-Type": "application/x-www-form-urlencoded" }],
    ["multipart", { "Content-Type": "multipart/form-data; boundary=x" }],
    ["no content type", {}],
  ])("POST /simulator/calls with %s gets 415 and creates no call", async (_, headers) => {
    const before = sim().calls().length;
    const answer = await raw(sim(), "POST", "/simulator/calls", { ...headers, Host: host() }, seed(sim().url));
    expect(answer.status).toBe(415);
    expect(answer.body).toContain("application/json");
    expect(sim().calls()).toHaveLength(before);
  });

  it.each([
    ["another site's Origin", () => ({ Origin: "http://attacker.example" })],
    [
      "the simulator's port on a rebound name",
      () => ({ Origin: `http://attacker.example:${new URL(sim().url).port}` }),
    ],
    ["an opaque origin", () => ({ Origin: "null" })],
    ["the simulator's address over another scheme", () => ({ Origin: sim().url.replace("http:", "https:") })],
    ["Sec-Fetch-Site cross-site", () => ({ "Sec-Fetch-Site": "cross-site" })],
    ["Sec-Fetch-Site same-site", () => ({ "Sec-Fetch-Site": "same-site" })],
  ])("PUT /simulator/scenario from %s gets 403 and leaves the scenario", async (_, headers) => {
    const before = sim().scenario;
    const answer = await raw(
      sim(),
      "PUT",
      "/simulator/scenario",
      { ...json, ...headers(), Host: host() },
      JSON.stringify({ delivery: { drop: ["operation"] } }),
    );
    expect(answer.status).toBe(403);
    expect(sim().scenario).toBe(before);
  });

  it("the console's own origin, and a script with no Origin, may change the scenario", async () => {
    const fromPage = await raw(
      sim(),
      "PUT",
      "/simulator/scenario",
      { ...json, Origin: sim().url, "Sec-Fetch-Site": "same-origin", Host: host() },
      JSON.stringify({ roster: "delta" }),
    );
    expect(fromPage.status).toBe(200);
    expect(sim().scenario).toEqual({ roster: "delta" });
    const fromScript = await raw(sim(), "PUT", "/simulator/scenario", { ...json, Host: host() }, "{}");
    expect(fromScript.status).toBe(200);
    expect(sim().scenario).toEqual({});
  });

  it("Graph's own routes are not the console's: a bot's invite is judged by Graph's rules only", async () => {
    // The invite route checks the bearer token; the guard does not apply to it.
    const call = sim().createCall({ kind: "group", callbackUri: "http://127.0.0.1:9/api/calls" });
    const answer = await postInvite(sim(), call.id, "{}", { "Sec-Fetch-Site": "cross-site" });
    expect(answer.status).toBe(400);
  });
});

/** Reads the feed until `done` says it has seen enough; returns its events in order. */
async function feed(
  sim: Simulator,
  done: (events: FeedEvent[]) => boolean,
  act: () => Promise<unknown>,
): Promise<FeedEvent[]> {
  const controller = new AbortController();
  const response = await fetch(`${sim.url}/simulator/events`, { signal: controller.signal });
  expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const events: FeedEvent[] = [];
  let buffer = "";
  let acted = false;
  try {
    while (!done(events)) {
      const { value, done: ended } = await reader.read();
      if (ended) throw new Error("the feed ended");
      buffer += decoder.decode(value, { stream: true });
      const messages = buffer.split("\n\n");
      buffer = messages.pop() ?? "";
      for (const message of messages) {
        const event = /^event: (.*)$/m.exec(message)?.[1];
        const data = /^data: (.*)$/m.exec(message)?.[1];
        if (event !== undefined && data !== undefined) events.push({ event, data: JSON.parse(data) });
      }
      if (!acted && events.length > 0) {
        acted = true;
        await act();
      }
    }
  } finally {
    controller.abort();
  }
  return events;
}

describe("the live feed", () => {
  it("starts with the whole state, then sends each call, invite, operation and delivery as it changes", async () => {
    const bot = await callback();
    const sim = await simulator();
    const existing = sim.createCall({ kind: "p2p", callbackUri: bot.url });
    const call = sim.createCall({ kind: "group", callbackUri: bot.url });
    const ann = "278405a3-f568-4b3e-b684-009193463064";
    const body = {
      clientContext: "feed-test",
      participants: [
        {
          "@odata.type": "#microsoft.graph.invitationParticipantInfo",
          identity: { "@odata.type": "#microsoft.graph.identitySet", user: { id: ann } },
        },
      ],
    };
    const events = await feed(
      sim,
      (seen) => seen.filter((entry) => entry.event === "delivery" && entry.data.outcome === "delivered").length === 2,
      () => postInvite(sim, call.id, body),
    );
    const [reset] = events;
    expect(reset?.event).toBe("reset");
    expect(reset?.data.calls.map((entry: { id: string }) => entry.id)).toEqual([existing.id, call.id]);
    const invite = events.find((entry) => entry.event === "invite")?.data;
    expect(invite).toMatchObject({ callId: call.id, status: 200, verdict: { ok: true, errors: [] } });
    expect(invite.location).toMatch(new RegExp(`/operations/${invite.operationId}$`));
    const operations = events.filter((entry) => entry.event === "operation").map((entry) => entry.data);
    expect(operations[0]).toMatchObject({ id: invite.operationId, status: "running", clientContext: "feed-test" });
    expect(operations.at(-1)).toMatchObject({ status: "completed", invitees: [{ id: ann, answered: true }] });
    const roster = events.filter((entry) => entry.event === "call" && entry.data.id === call.id).at(-1)?.data;
    expect(roster.participants).toMatchObject([{ kind: "user", id: ann, inLobby: false, muted: false }]);
    const deliveries = events.filter((entry) => entry.event === "delivery").map((entry) => entry.data);
    expect(deliveries.find((delivery) => delivery.kind === "roster")).toMatchObject({
      operationId: invite.operationId,
    });
    const delivered = deliveries.find((delivery) => delivery.kind === "operation" && delivery.outcome === "delivered");
    expect(delivered).toMatchObject({ operationId: invite.operationId, callId: call.id });
    expect(delivered.attempts).toMatchObject([{ attempt: 1, status: 202 }]);
    expect(delivered.claims).toMatchObject({ aud: sim.app.appId, tid: sim.app.tenantId, iss: sim.notificationIssuer });
    expect(delivered.headers["X-Microsoft-Skype-Message-Id"]).toBe(delivered.messageId);
    const request = events.find((entry) => entry.event === "request" && entry.data.path.endsWith("/invite"))?.data;
    expect(request.headers.authorization).toBe("Bearer [redacted]");
  });

  it("shows the validator's verdict on a refused invite and the tolerant reader's warnings on a deviation", async () => {
    const bot = await callback();
    const sim = await simulator({ scenario: { deviations: ["status-casing"] } });
    const call = sim.createCall({ kind: "p2p", callbackUri: bot.url });
    const participant = (id: string) => ({
      "@odata.type": "#microsoft.graph.invitationParticipantInfo",
      identity: { "@odata.type": "#microsoft.graph.identitySet", user: { id } },
    });
    const events = await feed(
      sim,
      (seen) => seen.some((entry) => entry.event === "delivery" && entry.data.outcome === "delivered"),
      async () => {
        await postInvite(sim, call.id, { participants: [participant("a"), participant("b")] });
        await postInvite(sim, call.id, { participants: [participant("a")] });
      },
    );
    const [refused, accepted] = events.filter((entry) => entry.event === "invite").map((entry) => entry.data);
    expect(refused).toMatchObject({ status: 400, location: null, operationId: null, verdict: { ok: false } });
    expect(refused.verdict.errors.map((issue: { code: string }) => issue.code)).toContain(
      "invite.multiple-participants-group-call-only",
    );
    expect(refused.error.error.code).toBe("BadRequest");
    expect(refused.retryAfter).toBeNull();
    expect(accepted).toMatchObject({ status: 200, verdict: { ok: true } });
    const delivery = events.find((entry) => entry.event === "delivery" && entry.data.kind === "operation")?.data;
    expect(delivery.warnings.map((issue: { code: string }) => issue.code)).toContain("status.casing");
  });

  it("shows a refused invite's status and Retry-After, though its body was valid", async () => {
    const sim = await simulator({ scenario: { rejectInvites: [{ status: 503, retryAfter: "3" }] } });
    const call = sim.createCall({ kind: "group", callbackUri: "http://127.0.0.1:9/api/calls" });
    const events = await feed(
      sim,
      (seen) => seen.some((entry) => entry.event === "invite"),
      () => postInvite(sim, call.id, oneInvitee("ann")),
    );
    const invite = events.find((entry) => entry.event === "invite")?.data;
    expect(invite).toMatchObject({ status: 503, retryAfter: "3", location: null, verdict: { ok: true } });
    expect(invite.error.error.code).toBe("ServiceUnavailable");
  });

  it("links each roster change to the invite it followed, though no console was open then", async () => {
    const bot = await callback();
    const sim = await simulator();
    const call = sim.createCall({ kind: "group", callbackUri: bot.url });
    const invite = async (id: string) => {
      const answer = await postInvite(sim, call.id, oneInvitee(id));
      await sim.settled();
      return (answer.body as { id: string }).id;
    };
    const first = await invite("ann");
    const second = await invite("bob");
    const [reset] = await feed(
      sim,
      (seen) => seen.length > 0,
      async () => {},
    );
    const rosters = reset?.data.deliveries.filter((delivery: Json) => delivery.kind === "roster");
    expect(rosters.map((delivery: Json) => delivery.operationId)).toEqual([first, second]);
    // The delivery log says it too, operation notifications and roster changes alike.
    expect(sim.deliveries().map((delivery) => delivery.operationId)).toEqual([first, first, second, second]);
  });

  it("marks duplicated, reordered and dropped notifications", async () => {
    const bot = await callback();
    const sim = await simulator({ scenario: { delivery: { duplicate: true, reorder: true, drop: ["call"] } } });
    const call = sim.createCall({ kind: "group", callbackUri: bot.url });
    const p2p = sim.createCall({ kind: "p2p", callbackUri: bot.url });
    const body = {
      participants: [
        {
          "@odata.type": "#microsoft.graph.invitationParticipantInfo",
          identity: { "@odata.type": "#microsoft.graph.identitySet", user: { id: "u1" } },
          replacesCallId: p2p.id,
        },
      ],
    };
    const events = await feed(
      sim,
      (seen) =>
        seen.filter((entry) => entry.event === "delivery" && entry.data.outcome !== "pending").length >= 6 &&
        seen.some((entry) => entry.event === "delivery" && entry.data.outcome === "dropped"),
      () => postInvite(sim, call.id, body),
    );
    const deliveries = new Map<number, Json>();
    for (const entry of events) if (entry.event === "delivery") deliveries.set(entry.data.seq, entry.data);
    const all = [...deliveries.values()];
    expect(all.filter((delivery) => delivery.outcome === "dropped").map((delivery) => delivery.kind)).toEqual([
      "call",
      "call",
    ]);
    const sent = all.filter((delivery) => delivery.outcome !== "dropped");
    expect(sent.every((delivery) => delivery.reordered)).toBe(true);
    expect(sent.filter((delivery) => delivery.duplicate)).toHaveLength(sent.length / 2);
  });

  it("refuses more feeds than a person has consoles open", async () => {
    const sim = await simulator();
    const controllers = Array.from({ length: 32 }, () => new AbortController());
    try {
      await Promise.all(
        controllers.map((controller) => fetch(`${sim.url}/simulator/events`, { signal: controller.signal })),
      );
      const extra = await fetch(`${sim.url}/simulator/events`);
      expect(extra.status).toBe(503);
    } finally {
      for (const controller of controllers) controller.abort();
    }
  });
});

async function control(sim: Simulator, method: string, path: string, body: unknown) {
  const response = await fetch(`${sim.url}${path}`, {
    method,
    headers: json,
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

const oneInvitee = (id: string) => ({
  participants: [
    {
      "@odata.type": "#microsoft.graph.invitationParticipantInfo",
      identity: { "@odata.type": "#microsoft.graph.identitySet", user: { id } },
    },
  ],
});

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

describe("the page", () => {
  const sim = sharedSimulator();

  it.each(["/", "/console", "/console/"])(
    "GET %s serves the console with a strict content security policy",
    async (path) => {
      const response = await fetch(`${sim().url}${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
      expect(await response.text()).toContain('src="/console/app.js"');
    },
  );

  it("serves its script and styles, and nothing else under /console/", async () => {
    expect((await fetch(`${sim().url}/console/app.js`)).headers.get("content-type")).toBe(
      "text/javascript; charset=utf-8",
    );
    expect((await fetch(`${sim().url}/console/app.css`)).headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect((await fetch(`${sim().url}/console/../package.json`)).status).toBe(404);
    expect((await fetch(`${sim().url}/console/app.ts`)).status).toBe(404);
    expect((await fetch(`${sim().url}/console`, { method: "POST", headers: json, body: "{}" })).status).toBe(405);
  });
});
