// Opens the built API reference in headless Chromium with no network and checks what a reader sees.
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { parse } from "yaml";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const htmlPath = resolve(root, "dist/index.html");
const spec = parse(readFileSync(resolve(root, "../../openapi/graph-invite.yaml"), "utf8"));
const schemaNames = Object.keys(spec.components.schemas as object);

/** Debian's chromium package; CHROMIUM_PATH overrides it. */
const executablePath = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";

let browser: Browser;
let page: Page;
const requested: string[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!existsSync(htmlPath)) throw new Error(`${htmlPath} is missing: run \`pnpm docs\` first`);
  browser = await chromium.launch({
    executablePath,
    // As root and without network: no sandbox, and none of Chromium's own background traffic.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on("request", (request) => requested.push(request.url()));
  page.on("pageerror", (error) => pageErrors.push(error.message));
  // A request that the page's Content-Security-Policy blocks never reaches the network; it shows up here.
  page.on("console", (message) => {
    if (message.type() === "error") pageErrors.push(message.text());
  });
  await page.goto(pathToFileURL(htmlPath).href);
  // Expand the sidebar sections, so that every entry is in the DOM.
  const sections = {
    "/participants": "#/participants/inviteparticipants",
    "/notifications": "#/notifications/receivecommsnotifications",
    "/schemas": `#/schemas/${schemaNames.at(-1)?.toLowerCase()}`,
  };
  for (const [section, lastEntry] of Object.entries(sections)) {
    await page.locator(`a[href="${section}"]`).first().click();
    await page.locator(`a[href="${lastEntry}"]`).first().waitFor({ state: "attached" });
  }
});

afterAll(async () => {
  await browser?.close();
});

async function sidebarLinks(): Promise<string[]> {
  return page.evaluate(() => [...document.querySelectorAll("a[href^='#/']")].map((a) => a.getAttribute("href") ?? ""));
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

  test("shows the invite operation with its examples, headers and permission", async () => {
    expect(await sidebarLinks()).toContain("#/participants/inviteparticipants");
    const text = await open("#/participants/inviteparticipants", "Invite participants to the active call");
    expect(text).toContain("Invite participants to the active call");
    expect(text).toContain("Example 1: invite one participant to an existing call");
    expect(text).toContain("Calls.InitiateGroupCall.All");
    expect(text).toContain("Location");
    expect(text).toContain("#microsoft.graph.invitationParticipantInfo");
  });

  test("shows the notifications webhook with its examples", async () => {
    expect(await sidebarLinks()).toContain("#/notifications/receivecommsnotifications");
    const text = await open(
      "#/notifications/receivecommsnotifications",
      "Notifications Graph posts to the bot's callback URL",
    );
    expect(text).toContain("Notifications Graph posts to the bot's callback URL");
    expect(text).toContain("Webhook");
    expect(text).toContain("Example 1: operation completed");
    expect(text).toContain("#microsoft.graph.commsNotifications");
  });

  test("lists every schema of the spec", async () => {
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
