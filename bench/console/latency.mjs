// How long the simulator's web console takes to show a delivery: from the control request that starts it (a re-send
// of a delivery to a bot on loopback) to its row on screen in Chromium, and to the row showing the bot's answer.
// The page itself starts each delivery and reads the clock, so both ends use one clock. Deliveries go one at a time,
// so the figures are latency, not throughput. Beside them, the feed alone: the same delivery's event reaching a
// second EventSource in the page, which is the part of the time the server and the connection take.
import { createServer } from "node:http";
import { start } from "@graph-invite/simulator";
import { chromium } from "playwright-core";
import { print, printTable } from "../report.mjs";

const deliveries = Number(process.env.CONSOLE_BENCH_DELIVERIES ?? 100);

const bot = createServer((request, response) => {
  request.resume();
  request.on("end", () => response.writeHead(202).end());
});
await new Promise((resolve) => bot.listen(0, "127.0.0.1", resolve));
const callbackUri = `http://127.0.0.1:${bot.address().port}/api/calls`;

const sim = await start();
const call = sim.createCall({ kind: "group", callbackUri });
const { token } = await sim.credential()();
const invited = await fetch(`${sim.graphUrl}/communications/calls/${call.id}/participants/invite`, {
  method: "POST",
  headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
  body: JSON.stringify({
    participants: [
      {
        "@odata.type": "#microsoft.graph.invitationParticipantInfo",
        identity: { "@odata.type": "#microsoft.graph.identitySet", user: { id: "bench-user" } },
      },
    ],
  }),
});
if (!invited.ok) throw new Error(`the invite failed: ${invited.status}`);
await sim.settled();

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${sim.url}/console`);
  await page.locator('tr.delivery[data-seq="0"]').waitFor();
  const first = sim.deliveries().length;
  const samples = await page.evaluate(
    async ({ first, count }) => {
      const seen = new Map();
      const answered = new Map();
      const arrived = new Map();
      const now = () => performance.now();
      // When the frame that shows a change is drawn.
      const painted = (record) => requestAnimationFrame(() => record(now()));
      new MutationObserver(() => {
        for (const row of document.querySelectorAll("tr.delivery")) {
          const seq = Number(row.getAttribute("data-seq"));
          if (seq < first) continue;
          if (!seen.has(seq)) {
            seen.set(seq, -1);
            painted((at) => seen.set(seq, at));
          }
          if (!answered.has(seq) && /^202 in/.test(row.querySelector("td.attempts")?.textContent ?? "")) {
            answered.set(seq, -1);
            painted((at) => answered.set(seq, at));
          }
        }
      }).observe(document.body, { childList: true, subtree: true, characterData: true });
      const feed = new EventSource("/simulator/events");
      feed.addEventListener("delivery", (message) => {
        const { seq } = JSON.parse(message.data);
        if (!arrived.has(seq)) arrived.set(seq, now());
      });
      await new Promise((resolve) => feed.addEventListener("reset", resolve, { once: true }));
      const until = async (map, seq) => {
        while (!((map.get(seq) ?? -1) >= 0)) await new Promise((resolve) => setTimeout(resolve, 1));
      };
      const results = [];
      for (let index = 0; index < count; index++) {
        const seq = first + index;
        const started = now();
        const response = await fetch("/simulator/deliveries/0/resend", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: "{}",
        });
        if (response.status !== 202) throw new Error(`resend answered ${response.status}`);
        await until(seen, seq);
        await until(answered, seq);
        await until(arrived, seq);
        results.push({
          feed: arrived.get(seq) - started,
          row: seen.get(seq) - started,
          answer: answered.get(seq) - started,
        });
      }
      feed.close();
      return results;
    },
    { first, count: deliveries },
  );

  const percentile = (values, p) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  };
  const ms = (value) => value.toFixed(1);
  const rows = [["from the control request to", "p50 (ms)", "p99 (ms)", "max (ms)"]];
  for (const [name, key] of [
    ["the delivery's event in the page (feed alone)", "feed"],
    ["its row on screen", "row"],
    ["its row showing the bot's 202", "answer"],
  ]) {
    const values = samples.map((sample) => sample[key]);
    rows.push([name, ms(percentile(values, 50)), ms(percentile(values, 99)), ms(Math.max(...values))]);
  }
  print(`Console latency in Chromium (${samples.length} deliveries, one at a time, console at 1280x800)`);
  print();
  printTable(rows);
  const rowP50 = percentile(
    samples.map((sample) => sample.row),
    50,
  );
  const feedP50 = percentile(
    samples.map((sample) => sample.feed),
    50,
  );
  // Two connections carry the same event, so the difference between them is within their noise; the ratio says
  // whether rendering adds more than that.
  print(`row on screen / feed alone at p50: ${(rowP50 / feedP50).toFixed(2)}x`);
} finally {
  await browser.close();
  await sim.close();
  bot.close();
}
