// The console's guard against the two attacks a web page can make on a server on the developer's machine, played in
// real Chromium: a name rebound to 127.0.0.1 (Chromium's host resolver maps it, as an attacker's DNS would), and a page
// on another origin that posts to the control API with a form and with fetch.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { launchChromium } from "@graph-invite/test-support/browser";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lifecycle } from "./harness.js";

const { sharedSimulator } = lifecycle();
const sim = sharedSimulator();
let browser: Browser;
let attacker: Server;
let attackerPort = 0;

// What the attacker's page does once loaded; the test reads the outcome from `window.done`.
const attackerPage = (target: string) => `<!doctype html><title>A page the developer visits</title>
<form id="form" method="POST" action="${target}/simulator/calls" enctype="text/plain" target="sink">
  <input name='{"kind":"group","callbackUri":"http://127.0.0.1:9/api/calls","x":"' value='"}' />
</form>
<iframe name="sink" title="sink"></iframe>
<script type="module">
  const outcomes = {};
  const attempt = async (name, run) => {
    try { outcomes[name] = await run(); } catch (error) { outcomes[name] = "blocked: " + error.name; }
  };
  await attempt("no-cors rotate", () => fetch("${target}/simulator/keys/rotate", { method: "POST", mode: "no-cors", body: "{}" }).then((r) => r.type));
  await attempt("no-cors scenario", () => fetch("${target}/simulator/calls", { method: "POST", mode: "no-cors", headers: { "Content-Type": "text/plain" }, body: '{"kind":"group","callbackUri":"http://127.0.0.1:9/api/calls"}' }).then((r) => r.type));
  await attempt("cors json", () => fetch("${target}/simulator/calls", { method: "POST", headers: { "Content-Type": "application/json" }, body: '{"kind":"group","callbackUri":"http://127.0.0.1:9/api/calls"}' }).then((r) => r.status));
  await attempt("read state", () => fetch("${target}/simulator/state").then((r) => r.text()));
  document.querySelector("iframe").addEventListener("load", () => { window.done = outcomes; }, { once: true });
  document.getElementById("form").submit();
</script>`;

beforeAll(async () => {
  browser = await launchChromium(["--host-resolver-rules=MAP rebound.test 127.0.0.1, MAP attacker.test 127.0.0.1"]);
  attacker = createServer((request, response) => {
    const target = new URL(request.url ?? "/", "http://attacker.test").searchParams.get("target") ?? "";
    response.writeHead(200, { "Content-Type": "text/html; charset=utf-8" }).end(attackerPage(target));
  });
  await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
  attackerPort = (attacker.address() as AddressInfo).port;
});

afterAll(async () => {
  await browser?.close();
  attacker?.close();
});

const kid = async () =>
  ((await (await fetch(`${sim().url}/v1/.well-known/keys`)).json()) as { keys: Array<{ kid: string }> }).keys[0]?.kid;

describe("in Chromium", () => {
  it("a name rebound to 127.0.0.1 gets neither the console nor the state, and changes nothing", async () => {
    const { port } = new URL(sim().url);
    const page = await browser.newPage();
    const response = await page.goto(`http://rebound.test:${port}/console`);
    expect(response?.status()).toBe(421);
    expect(await page.content()).not.toContain("app.js");
    // The page now runs on the rebound origin, where the simulator looks same-origin to the browser.
    const seen = await page.evaluate(async () => {
      const state = await fetch("/simulator/state");
      const changed = await fetch("/simulator/scenario", {
        method: "PUT",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ delivery: { drop: ["operation"] } }),
      });
      return { state: state.status, stateBody: await state.text(), changed: changed.status };
    });
    expect(seen).toMatchObject({ state: 421, changed: 421 });
    expect(seen.stateBody).not.toContain('"calls"');
    expect(sim().scenario).toEqual({});
    await page.close();
  });

  it("a page on another origin cannot create a call, rotate the key or read the state", async () => {
    const calls = sim().calls().length;
    const before = await kid();
    const page = await browser.newPage();
    await page.goto(`http://attacker.test:${attackerPort}/?target=${encodeURIComponent(sim().url)}`);
    const outcomes = await page
      .waitForFunction(() => (window as unknown as { done?: unknown }).done)
      .then((handle) => handle.jsonValue());
    // The no-cors requests reach the simulator, which refuses them; the JSON one is stopped at its preflight; the
    // state cannot be read across origins.
    expect(outcomes).toEqual({
      "no-cors rotate": "opaque",
      "no-cors scenario": "opaque",
      "cors json": "blocked: TypeError",
      "read state": "blocked: TypeError",
    });
    expect(sim().calls()).toHaveLength(calls);
    expect(await kid()).toBe(before);
    await page.close();
  });
});
