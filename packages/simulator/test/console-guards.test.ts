// The console's server side over real HTTP: the guard against DNS rebinding and cross-site requests, and the page.

import { describe, expect, it } from "vitest";
import { json, raw, seed } from "./console-requests.js";
import { lifecycle, postInvite } from "./harness.js";

const { sharedSimulator } = lifecycle();

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
