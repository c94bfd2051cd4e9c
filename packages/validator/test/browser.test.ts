// The validator in a browser, under a Content-Security-Policy that forbids eval: the claim that nothing is compiled
// or evaluated at run time, tested where it matters. The page and the bundle are served by request interception,
// so nothing leaves the machine.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { browserBundle, launchChromium } from "@graph-invite/test-support/browser";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { examplesDir, malformedDir } from "./helpers.js";

const origin = "https://validator.test";
const policy = "default-src 'none'; script-src 'self'";

const bundle = browserBundle(resolve(import.meta.dirname, "../src/index.ts"));

// The page parses the seed's operation notification and a malformed payload, checks an invite request, and tells
// whether eval is really forbidden, then leaves what it found on window.
const script = `
import { parseNotifications, validateInviteRequest } from "./validator.js";
let evalForbidden = false;
try { (0, eval)("1"); } catch { evalForbidden = true; }
const parsed = parseNotifications(${JSON.stringify(readFileSync(resolve(examplesDir, "example-1-invite-one-participant.operation-completed.json"), "utf8"))});
const malformed = parseNotifications(${JSON.stringify(readFileSync(resolve(malformedDir, "docs-beta-call-mute-roster-js-comment.json"), "utf8"))});
const request = validateInviteRequest({ participants: [{ identity: { phone: { id: "555" } } }] });
window.results = {
  evalForbidden,
  kinds: parsed.ok ? parsed.notifications.map((notification) => notification.kind + ":" + notification.status) : parsed.errors,
  malformed: malformed.ok ? [] : malformed.errors.map((error) => error.message),
  request: request.ok ? [] : request.errors.map((error) => error.code + " " + error.pointer),
};
`;

let browser: Browser;
const problems: string[] = [];

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

it("parses and validates under a CSP that forbids eval, with no violation", async () => {
  const page = await browser.newPage();
  page.on("pageerror", (error) => problems.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(message.text());
  });
  const files: Record<string, [string, string]> = {
    "/": ["text/html", `<!doctype html><meta charset="utf-8"><script type="module" src="/page.js"></script>`],
    "/page.js": ["text/javascript", script],
    "/validator.js": ["text/javascript", bundle],
  };
  await page.route(`${origin}/**`, (route) => {
    const file = files[new URL(route.request().url()).pathname];
    return file
      ? route.fulfill({
          status: 200,
          contentType: file[0],
          headers: { "Content-Security-Policy": policy },
          body: file[1],
        })
      : route.fulfill({ status: 404 });
  });
  await page.goto(`${origin}/`);
  const results = await page
    .waitForFunction(() => (window as { results?: unknown }).results)
    .then((handle) => handle.jsonValue());

  expect(results).toEqual({
    evalForbidden: true,
    kinds: ["operation:completed"],
    malformed: [
      "Invalid JSON at line 30, column 28: a comment where a property name in double quotes was expected; JSON has no comments",
    ],
    request: ["invite.phone-e164 /participants/0/identity/phone/id"],
  });
  // eval's refusal is reported once, as the policy's console error; nothing else may be.
  expect(problems.filter((problem) => !problem.includes("unsafe-eval"))).toEqual([]);
});
