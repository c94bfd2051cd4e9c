// Opens the built API reference in headless Chromium, offline, and checks what a reader sees.
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { launchChromium } from "@graph-invite/test-support/browser";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parse } from "yaml";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const htmlPath = resolve(root, "dist/index.html");
const spec = parse(readFileSync(resolve(root, "../../openapi/graph-invite.yaml"), "utf8"));
const schemaNames = Object.keys(spec.components.schemas as object);
const invite = spec.paths["/communications/calls/{call-id}/participants/invite"].post;
const notifications = spec.webhooks.commsNotifications.post;
type Examples = Record<string, { summary: string }>;
const summaries = (examples: Examples) => Object.values(examples).map((example) => example.summary);

let browser: Browser;
let page: Page;
const requested: string[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(htmlPath)) throw new Error(`${htmlPath} is missing: run \`pnpm run docs\` first`);
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  await context.setOffline(true);
  page = await context.newPage();
  page.on("request", (request) => requested.push(request.url()));
  page.on("pageerror", (error) => pageErrors.push(error.message));
  // A request that the page's Content-Security-Policy blocks never reaches the network; it shows up here.
  page.on("console", (message) => {
    if (message.type() === "error") pageErrors.push(message.text());
  });
  await page.goto(pathToFileURL(htmlPath).href);
});

afterAll(async () => {
  await browser?.close();
});

/** Expands a sidebar section, unless it is open, and waits until its last entry is in the DOM. */
async function expandSection(section: string, lastEntry: string): Promise<void> {
  const entry = page.locator(`a[href="${lastEntry}"]`).first();
  if ((await entry.count()) === 0) await page.locator(`a[href="${section}"]`).first().click();
  await entry.waitFor({ state: "attached" });
}

async function sidebarLinks(): Promise<string[]> {
  return page.evaluate(() => [...document.querySelectorAll("a[href^='#/']")].map((a) => a.getAttribute("href") ?? ""));
}

/** Opens the drop-down of these examples (it shows the first) and returns the summaries that it does not list. */
async function examplesMissingFromDropDown(examples: string[]): Promise<string[]> {
  await page
    .getByText(examples[0] ?? "", { exact: true })
    .first()
    .click();
  await page
    .getByText(examples.at(-1) ?? "", { exact: true })
    .first()
    .waitFor();
  const text = await page.evaluate(() => document.body.innerText);
  return examples.filter((summary) => !text.includes(summary));
}

/** Goes to a page of the reference, waits until it shows `heading`, and returns the page's text. */
async function open(link: string, heading: string): Promise<string> {
  await page.goto(`${pathToFileURL(htmlPath).href}${link}`);
  await page.getByRole("heading", { name: heading }).first().waitFor();
  // innerText, not textContent: only what the page renders, as a reader sees it.
  return page.evaluate(() => document.body.innerText);
}

describe("the API reference", () => {
  test("is one HTML file with no external script, style or image", () => {
    const html = readFileSync(htmlPath, "utf8");
    expect(html.match(/<(?:script|img)[^>]+src="https?:/g)).toBeNull();
    expect(html.match(/<link[^>]+href="https?:/g)).toBeNull();
    expect(html).toContain('http-equiv="Content-Security-Policy"');
  });

  test("shows the invite operation with its rules, headers, permission and every example", async () => {
    await expandSection("/participants", "#/participants/inviteparticipants");
    const text = await open("#/participants/inviteparticipants", "Invite participants to the active call");
    expect(text).toContain("Calls.InitiateGroupCall.All");
    expect(text).toContain("Location");
    expect(text).toContain("#microsoft.graph.invitationParticipantInfo");
    for (const rule of invite["x-graph-invite-rules"] as Array<{ code: string }>) expect(text).toContain(rule.code);
    const requestExamples = summaries(invite.requestBody.content["application/json"].examples);
    expect(await examplesMissingFromDropDown(requestExamples)).toEqual([]);
  });

  test("shows the notifications webhook with every example", async () => {
    await expandSection("/notifications", "#/notifications/receivecommsnotifications");
    const text = await open(
      "#/notifications/receivecommsnotifications",
      "Notifications Graph posts to the bot's callback URL",
    );
    expect(text).toContain("Webhook");
    expect(text).toContain("#microsoft.graph.commsNotifications");
    const webhookExamples = summaries(notifications.requestBody.content["application/json"].examples);
    expect(webhookExamples).toHaveLength(10);
    expect(await examplesMissingFromDropDown(webhookExamples)).toEqual([]);
  });

  test("lists every schema of the spec", async () => {
    await page.goto(pathToFileURL(htmlPath).href);
    await expandSection("/schemas", `#/schemas/${schemaNames.at(-1)?.toLowerCase()}`);
    const links = await sidebarLinks();
    const missing = schemaNames.filter((name) => !links.includes(`#/schemas/${name.toLowerCase()}`));
    expect(missing).toEqual([]);
    const text = await open("#/schemas/inviteparticipantsoperation", "inviteParticipantsOperation");
    expect(text).toContain("The operation created by an invite.");
  });

  test("requests nothing from off the machine and raises no error", () => {
    const offMachine = requested.filter((url) => !/^(?:file|data|blob|about):/.test(url));
    expect(requested.length).toBeGreaterThan(0);
    expect(offMachine).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
