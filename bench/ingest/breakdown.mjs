// Where the bot's time goes, for whoever sets out to make ingestion faster. Not a target: it prints figures only.
//
// (a) Under the same load as ingest.bench.mjs, four servers in processes of their own, taking turns in rounds: the
//     bare node:http server, the bot's endpoint with authentication stubbed out and nothing done after the 202
//     ("parse"), the same with real authentication ("auth"), and the whole bot ("bot"). The CPU time each process
//     spends per request, on all its threads, and the differences between them, price each step.
// (b) Each step alone, in this process: the authenticator, the parser, the store's roster update, and, as a floor for
//     the authenticator, node:crypto verifying the same RS256 signature synchronously.
// Environment: INGEST_ROUNDS (default 5), INGEST_SECONDS per round (default 2), INGEST_CONNECTIONS (default 10).
import { createPublicKey, verify } from "node:crypto";
import * as bot from "@graph-invite/bot";
import { parseNotifications } from "@graph-invite/validator";
import { median } from "../alternating.mjs";
import { print, printTable } from "../report.mjs";
import { alternate, forkServer, load, setting, setUp } from "./harness.mjs";

const rounds = setting("INGEST_ROUNDS", 5);
const seconds = setting("INGEST_SECONDS", 2);

/** Runs `task` `times` times, one after another, after a warm-up; returns the CPU microseconds per run. */
async function cpuPerRun(task, times = 5000) {
  for (let index = 0; index < 500; index++) await task(index);
  const before = process.cpuUsage();
  for (let index = 0; index < times; index++) await task(index);
  const { user, system } = process.cpuUsage(before);
  return (user + system) / times;
}

async function underLoad({ requests, config }) {
  const kinds = ["bare", "parse", "auth", "bot"];
  const servers = await Promise.all(kinds.map((kind) => forkServer(kind, config)));
  try {
    for (const server of servers) await load(server, requests, 1);
    const results = await alternate(servers, requests, { rounds, seconds });
    const of = (kind, field) => median(results.map((result) => result[kind][field]));
    const steps = {
      bare: "node:http, reads the body, answers 202",
      parse: "+ the endpoint's checks, tolerant parse, dedupe",
      auth: "+ the bearer token's verification",
      bot: "+ processing (rosters), events, startBot's server",
    };
    const us = (value) => (Number.isFinite(value) ? value.toFixed(0) : "n/a");
    const signed = (value) => `${value >= 0 ? "+" : ""}${us(value)}`;
    printTable([
      ["server", "what it does", "req/s", "p50 ms", "p99 ms", "CPU us/req", "main thread", "step"],
      ...kinds.map((kind, index) => [
        kind,
        steps[kind],
        of(kind, "perSecond").toFixed(0),
        of(kind, "p50").toFixed(2),
        of(kind, "p99").toFixed(2),
        us(of(kind, "cpuUsPerRequest")),
        us(of(kind, "mainThreadUsPerRequest")),
        index === 0 ? "" : signed(of(kind, "cpuUsPerRequest") - of(kinds[index - 1], "cpuUsPerRequest")),
      ]),
    ]);
    print(
      "CPU us/req: all threads of the server's process; main thread: the one that runs JavaScript (Linux only); " +
        "step: CPU us/req over the line above.",
    );
    print();
  } finally {
    await Promise.all(servers.map((server) => server.close()));
  }
}

async function alone({ bodies, requests, config }) {
  const authenticator = bot.createNotificationAuthenticator(config);
  const authorizations = requests.map((request) => request.headers.Authorization);
  if (!(await authenticator.authenticate(authorizations[0])).ok) throw new Error("the token does not authenticate");

  // The key the simulator publishes, and the signed part of a token, for node:crypto's own verification.
  const jwksUri = (await (await fetch(config.openIdConfigurationUrl)).json()).jwks_uri;
  const [jwk] = (await (await fetch(jwksUri)).json()).keys;
  const publicKey = createPublicKey({ key: jwk, format: "jwk" });
  const [header, payload, signature] = authorizations[0].slice("Bearer ".length).split(".");
  const signed = Buffer.from(`${header}.${payload}`);
  const signatureBytes = Buffer.from(signature, "base64url");

  const texts = bodies.map((body) => Buffer.from(body));
  const store = new bot.MemoryStore();
  const notifications = texts.map((text) => parseNotifications(text, { mode: "tolerant" }).notifications[0]);
  const applyRoster = async (notification) => {
    const current = (await store.roster(notification.callId)) ?? bot.emptyRoster(notification.callId);
    await store.putRoster(bot.applyRosterNotification(current, notification).roster);
  };

  const steps = [
    [
      "authenticator.authenticate(): jose jwtVerify, key set cached",
      (index) => authenticator.authenticate(authorizations[index % authorizations.length]),
    ],
    [
      "node:crypto verify() of the same RS256 signature, synchronous",
      () => verify("RSA-SHA256", signed, publicKey, signatureBytes),
    ],
    ["parseNotifications(body, tolerant)", (index) => parseNotifications(texts[index % texts.length])],
    [
      "store.roster() + applyRosterNotification() + store.putRoster()",
      (index) => applyRoster(notifications[index % notifications.length]),
    ],
  ];
  const rows = [];
  for (const [name, task] of steps) rows.push([name, (await cpuPerRun(task)).toFixed(1)]);
  printTable([["step, alone, one at a time", "CPU us"], ...rows]);
}

const setup = await setUp();
try {
  print(`bench/ingest breakdown (Node ${process.version}): ${rounds} rounds of ${seconds} s per server`);
  print();
  await underLoad(setup);
  await alone(setup);
} finally {
  await setup.sim.close();
}
