// The simulator's web console in real Chromium, with the sample bot on the other side: the reference page's five
// examples invited by the bot and answered from the console, a fault scenario set through its form, a delivery
// re-sent and one sent with a wrong token, axe-core's accessibility check, and the console's structure.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Simulator } from "@graph-invite/simulator";
import { launchChromium } from "@graph-invite/test-support/browser";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withFreshIds } from "../src/demo/console.js";
import { demoScenarios } from "../src/demo/scenarios.js";
import { type Runtime, startRuntime } from "../src/runtime.js";

/**
 * The accessibility tree with what changes from run to run (ids, times, counts, tokens) replaced, so that a snapshot
 * of it fails on a change of structure and of wording only.
 */
function normalise(tree: string): string {
  return tree
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, "<uuid>")
    .replace(/\b[0-9a-f]{8}…/g, "<id>…")
    .replace(/eyJ[\w-]+\.[\w-]+\.[\w-]+/g, "<jwt>")
    .replace(/\d{1,2}:\d{2}:\d{2}\s?(AM|PM)?/g, "<time>")
    .replace(/\d{4}-\d{2}-\d{2}T[\d:.]+Z?/g, "<timestamp>")
    .replace(/127\.0\.0\.1:\d+/g, "127.0.0.1:<port>")
    .replace(/\d+/g, "<n>");
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const examples = demoScenarios.filter((scenario) => scenario.source.startsWith("seed example"));

let browser: Browser;
let runtime: Runtime;
let sim: Simulator;
const refusals: Array<{ reason: string; status: number }> = [];
const duplicates: string[] = [];
const pageErrors: string[] = [];

// Invitees ring until the console answers them.
const ringing = { defaultAnswer: { kind: "no-answer" as const } };

beforeAll(async () => {
  browser = await launchChromium();
  runtime = await startRuntime(
    { mode: "simulator", cloud: "global", host: "127.0.0.1", port: 0, controlPort: 0 },
    { directory: examples.flatMap((example) => example.directory ?? []), scenario: ringing },
  );
  sim = runtime.simulator as Simulator;
  runtime.bot.on("refused", ({ reason, status }) => refusals.push({ reason, status }));
  runtime.bot.on("duplicate", ({ messageId }) => duplicates.push(messageId));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await runtime?.close();
});

async function openConsole(viewport = { width: 1280, height: 800 }): Promise<Page> {
  const context = await browser.newContext({ viewport });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: sim.url });
  // A step that does not happen fails with what was awaited, well before the test's own timeout.
  context.setDefaultTimeout(60_000);
  const page = await context.newPage();
  page.on("pageerror", (error) => pageErrors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") pageErrors.push(message.text());
  });
  await page.goto(`${sim.url}/console`);
  await page.getByRole("status").filter({ hasText: "Live" }).waitFor();
  return page;
}

/** Polls for up to 60 s: the machine may be busy, and the page renders what the feed sends a moment later. */
const eventually = <T>(read: () => T | Promise<T>) => expect.poll(read, { timeout: 60_000 });

/** The invite's card, found by the clientContext the bot sent. */
const inviteCard = (page: Page, clientContext: string) =>
  page.getByRole("listitem", { name: `Invite ${clientContext}`, exact: true });

describe("the console in Chromium", () => {
  it("shows the reference page's five examples, invited by the bot and answered from the console", async () => {
    const page = await openConsole();
    for (const [index, original] of examples.entries()) {
      const example = withFreshIds(original);
      // Example 4's phone declines from the console, with a code; everyone else is accepted there.
      const decline = original.source === "seed example 4";
      sim.setScenario({ ...example.scenario, ...ringing });
      for (const call of example.calls) sim.createCall({ ...call, callbackUri: runtime.bot.callbackUrl });
      const outcome = runtime.bot.inviteAndWait(example.callId, example.request, example.options);
      const clientContext = example.request.clientContext as string;
      const card = inviteCard(page, clientContext);
      await card.getByText("ringing").first().waitFor();
      await eventually(() => card.getByText("valid", { exact: true }).count()).toBe(1);
      expect(await card.textContent()).toContain("Response 200");
      // Each answer re-renders the card without that invitee's buttons; the next ringing invitee's come first.
      const accept = card.getByRole("button", { name: "Accept" });
      for (let left = await accept.count(); left > 0; left--) {
        if (decline) {
          await card.getByLabel("Code", { exact: true }).first().fill("486");
          await card.getByRole("button", { name: "Decline" }).first().click();
        } else {
          await accept.first().click();
        }
        await eventually(() => accept.count()).toBe(left - 1);
      }
      expect(await card.getByRole("status").textContent()).toMatch(/^Answered (accept|decline)\.$/);
      const result = await outcome;
      await sim.settled();
      await runtime.bot.idle();
      expect(result.status, `example ${index + 1}`).toBe(decline ? "failed" : "completed");

      const finalStep = card.getByText(decline ? "failed" : "completed", { exact: true });
      await finalStep.waitFor();
      if (decline) await card.getByText(/resultInfo 486\/0/).waitFor();

      // The roster as Graph sees it, and every delivery of the call with the bot's 202.
      const roster = page.locator(`[data-call="${example.callId}"] table.roster tbody tr`);
      const expected = decline ? 0 : "roster" in example.expect ? (example.expect.roster?.length ?? 0) : 0;
      await eventually(() => roster.count()).toBe(expected);
      const deliveries = sim.deliveries().filter((delivery) => delivery.callId === example.callId);
      await page.getByLabel("Call", { exact: true }).selectOption(example.callId);
      await eventually(() => page.locator("tr.delivery").count()).toBe(deliveries.length);
      await eventually(() => page.locator("tr.delivery.delivered").count()).toBe(deliveries.length);
      expect(await page.locator("tr.delivery td.attempts").first().textContent()).toMatch(/^202 in \d+ ms/);
      await page.getByLabel("Call", { exact: true }).selectOption("");
      // A replace ends the peer-to-peer call.
      for (const ended of "endedCalls" in example.expect ? (example.expect.endedCalls ?? []) : []) {
        await page.locator(`[data-call="${ended}"]`).getByText("terminated").waitFor();
      }
    }
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it("applies a fault scenario from its form, with the keyboard, and the next invite shows it", async () => {
    const page = await openConsole();
    const form = page.getByRole("form", { name: "Scenario" });
    await form.getByLabel("Answer", { exact: true }).selectOption("accept");
    await form.getByLabel("After (ms)").fill("10");
    await form.getByLabel("Duplicate every notification").focus();
    await page.keyboard.press("Space");
    await form.getByLabel("Status", { exact: true }).selectOption("429");
    await form.getByLabel("Retry-After (s)").fill("0.2");
    await form.getByRole("button", { name: "Apply scenario" }).focus();
    await page.keyboard.press("Enter");
    await form.getByRole("status").filter({ hasText: "Scenario applied" }).waitFor();
    expect(sim.scenario).toMatchObject({
      delivery: { duplicate: true },
      rejectInvites: [{ status: 429, retryAfter: "0.2" }],
      defaultAnswer: { kind: "accept", afterMs: 10 },
    });

    const call = sim.createCall({ kind: "group", callbackUri: runtime.bot.callbackUrl });
    const outcome = await runtime.bot.inviteAndWait(call.id, {
      clientContext: "fault-scenario",
      participants: [
        {
          "@odata.type": "#microsoft.graph.invitationParticipantInfo",
          identity: { "@odata.type": "#microsoft.graph.identitySet", user: { id: "fault-user" } },
        },
      ],
    });
    expect(outcome.status).toBe("completed");
    await sim.settled();
    await page.getByLabel("Call", { exact: true }).selectOption(call.id);
    // The refused attempt and the client's retry after Retry-After, each as its own timeline.
    const cards = page.getByRole("listitem", { name: "Invite fault-scenario", exact: true });
    await eventually(() => cards.count()).toBe(2);
    expect(await cards.nth(0).textContent()).toMatch(/Response 429\s*Retry-After 0\.2/);
    expect(await cards.nth(1).textContent()).toContain("Response 200");
    // Every notification twice, the copy marked.
    await eventually(() => page.locator("tr.delivery").count()).toBe(4);
    await eventually(() => page.locator("tr.delivery").getByText("duplicate", { exact: true }).count()).toBe(2);
    sim.setScenario(ringing);
  });

  it("re-sends a delivery, and the bot answers it as a duplicate; copies it as JSON and curl", async () => {
    const page = await openConsole();
    const [first] = sim.deliveries();
    const row = page.locator('tr.delivery[data-seq="0"]');
    await row.getByRole("button", { name: "Show delivery 0" }).click();
    const detail = page.locator("#delivery-0");
    await detail.getByRole("button", { name: "Copy as curl" }).click();
    await detail.getByRole("status").filter({ hasText: "Copied a curl command" }).waitFor();
    const curl = await page.evaluate(() => navigator.clipboard.readText());
    expect(curl).toContain(`curl -X POST '${first?.url}'`);
    expect(curl).toContain(`-H 'X-Microsoft-Skype-Message-Id: ${first?.messageId}'`);
    await detail.getByRole("button", { name: "Copy as JSON" }).click();
    await detail.getByRole("status").filter({ hasText: "Copied the delivery as JSON" }).waitFor();
    const copied = JSON.parse(await page.evaluate(() => navigator.clipboard.readText()));
    expect(copied).toMatchObject({ messageId: first?.messageId, body: first?.body });

    const before = { refusals: refusals.length, duplicates: duplicates.length };
    const seq = sim.deliveries().length;
    await detail.getByRole("button", { name: "Re-send" }).click();
    await detail
      .getByRole("status")
      .filter({ hasText: `Sent again as delivery ${seq}` })
      .waitFor();
    const resent = page.locator(`tr.delivery[data-seq="${seq}"]`);
    await resent.getByText("re-sent", { exact: true }).waitFor();
    await resent.getByText(/^202 in \d+ ms/).waitFor();
    await eventually(() => duplicates.slice(before.duplicates)).toEqual([first?.messageId]);
    expect(refusals.slice(before.refusals)).toEqual([]);
  });

  it("sends a deliberately wrong token and shows the bot's 401", async () => {
    const page = await openConsole();
    await page.locator('tr.delivery[data-seq="0"]').getByRole("button", { name: "Show delivery 0" }).click();
    const detail = page.locator("#delivery-0");
    for (const flaw of ["wrong-audience", "wrong-issuer", "no-tenant", "expired"]) {
      const seq = sim.deliveries().length;
      await detail.getByLabel("Token").selectOption(flaw);
      await detail.getByRole("button", { name: "Send with a wrong token" }).click();
      const row = page.locator(`tr.delivery[data-seq="${seq}"]`);
      await row.getByText(`re-sent: ${flaw}`).waitFor();
      await row.getByText(/^401 in \d+ ms/).waitFor();
      await row.getByText("rejected", { exact: true }).waitFor();
    }
  });

  it.each([
    { width: 1280, height: 800 },
    { width: 390, height: 844 },
  ])("has no serious or critical accessibility violations at $width×$height", async (viewport) => {
    const page = await openConsole(viewport);
    await page.locator('tr.delivery[data-seq="0"]').getByRole("button", { name: "Show delivery 0" }).click();
    await page
      .locator("details")
      .first()
      .evaluate((element) => element.setAttribute("open", ""));
    await page.evaluate(axeSource);
    const violations = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run(): Promise<{ violations: Array<Record<string, unknown>> }> } })
        .axe;
      const { violations } = await axe.run();
      return violations.map(({ id, impact, help, nodes }) => ({
        id,
        impact,
        help,
        targets: (nodes as Array<{ target: unknown }>).slice(0, 3).map((node) => node.target),
      }));
    });
    expect(violations.filter((violation) => violation.impact === "serious" || violation.impact === "critical")).toEqual(
      [],
    );
    // Nothing scrolls sideways: every view fits the width.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(viewport.width);
  });

  it("keeps the structure that the README's screenshots show", async () => {
    const page = await openConsole();
    await page.locator('tr.delivery[data-seq="0"]').getByRole("button", { name: "Show delivery 0" }).click();
    const regions = [
      ["header", page.getByRole("banner")],
      ["steering", page.locator("section.steer")],
      ["the first call", page.locator("article.call").first()],
      ["the first invite", page.locator("li.invite").first()],
      ["the deliveries' columns", page.locator("table.deliveries thead")],
      ["the first delivery", page.locator('tr.delivery[data-seq="0"]')],
      ["its details", page.locator("#delivery-0")],
      ["the first request", page.locator("ol.requests > li").first()],
    ] as const;
    const trees: string[] = [];
    for (const [name, region] of regions) trees.push(`# ${name}\n${normalise(await region.ariaSnapshot())}`);
    await expect(`${trees.join("\n\n")}\n`).toMatchFileSnapshot("./__snapshots__/console-structure.txt");
  });

  // Last: after a rotation the bot refetches the key set only once its cooldown allows, which later deliveries of
  // this file would have to wait for.
  it("creates a call and rotates the signing key from its forms", async () => {
    const page = await openConsole();
    const before = sim.calls().length;
    const create = page.getByRole("form", { name: "Create a call" });
    await create.getByLabel("Kind", { exact: true }).selectOption("meeting");
    await create.getByRole("button", { name: "Create call" }).click();
    await create.getByRole("status").filter({ hasText: "Created call" }).waitFor();
    const created = sim.calls().at(-1);
    expect(sim.calls()).toHaveLength(before + 1);
    expect(created).toMatchObject({ kind: "meeting", callbackUri: runtime.bot.callbackUrl });
    await page.locator(`[data-call="${created?.id}"]`).getByText("meeting call").waitFor();

    await page.getByRole("button", { name: "Rotate the notification signing key" }).click();
    const status = page.getByRole("status").filter({ hasText: "New signing key" });
    await status.waitFor();
    const keys = (await (await fetch(sim.openIdConfigurationUrl.replace("OpenIdConfiguration", "keys"))).json()) as {
      keys: Array<{ kid: string }>;
    };
    expect(await status.textContent()).toBe(`New signing key ${keys.keys[0]?.kid}.`);
  });
});
