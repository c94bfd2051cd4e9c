// Regenerates the screenshots of the simulator's console in packages/simulator/docs/: the demo's scenarios played
// quickly on one simulator and the sample bot, a delivery re-sent with a wrong token, one invite left ringing, then
// the main views in Chromium at 1280×800 and 390×844. Run after `pnpm build`:
//   pnpm --filter @graph-invite/bot console:screenshots
// apps/bot/test/console.test.ts holds the console's structure to a snapshot, so a change to the views fails there
// until the snapshot and these screenshots are updated together.
import { mkdirSync } from "node:fs";
import { chromium } from "playwright-core";
import { startConsoleDemo } from "../dist/demo/console.js";
import { demoScenarios } from "../dist/demo/scenarios.js";

const out = new URL("../../../packages/simulator/docs/", import.meta.url);
mkdirSync(out, { recursive: true });

const demo = await startConsoleDemo(demoScenarios, () => {}, { pauseMs: 0, answerAfterMs: 20, deliveryDelayMs: 0 });
const results = await demo.results;
if (results.some((result) => !result.ok)) throw new Error("a demo scenario did not end as expected");
const sim = demo.runtime.simulator;
const control = (path, body) =>
  fetch(`${sim.url}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
await control("/simulator/deliveries/0/resend", { token: "expired" });
await sim.settled();

// One invite still ringing, to show the answer buttons.
sim.setScenario({ defaultAnswer: { kind: "no-answer" } });
const call = sim.createCall({ kind: "group", callbackUri: demo.runtime.bot.callbackUrl });
const ringing = demo.runtime.bot
  .inviteAndWait(call.id, {
    clientContext: "ringing-from-the-console",
    participants: [
      {
        "@odata.type": "#microsoft.graph.invitationParticipantInfo",
        identity: { "@odata.type": "#microsoft.graph.identitySet", user: { id: "adele", displayName: "Adele Vance" } },
      },
    ],
  })
  .catch(() => {});

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
try {
  const shoot = async (name, viewport, arrange) => {
    const page = await browser.newPage({ viewport });
    await page.goto(demo.consoleUrl);
    await page.getByText("ringing", { exact: true }).first().waitFor();
    await arrange(page);
    await page.screenshot({ path: new URL(name, out).pathname });
    await page.close();
  };
  await shoot("console-overview.png", { width: 1280, height: 800 }, async () => {});
  await shoot("console-invites.png", { width: 1280, height: 800 }, async (page) => {
    await page.locator("li.invite").last().scrollIntoViewIfNeeded();
  });
  await shoot("console-deliveries.png", { width: 1280, height: 800 }, async (page) => {
    const seq = (await page.locator("tr.delivery").count()) - 1;
    await page.getByRole("button", { name: `Show delivery ${seq}` }).click();
    await page.locator(`#delivery-${seq}`).scrollIntoViewIfNeeded();
    await page.locator(`tr.delivery[data-seq="${seq - 3}"]`).scrollIntoViewIfNeeded();
  });
  await shoot("console-phone.png", { width: 390, height: 844 }, async (page) => {
    await page.locator("li.invite").last().scrollIntoViewIfNeeded();
  });
} finally {
  await browser.close();
  await demo.runtime.close();
  await ringing;
}
process.stdout.write(`screenshots written to ${out.pathname}\n`);
