// Where the kit's time goes, for whoever sets out to make ingestion faster. Not a target: it prints figures only.
//
// (a) Under the same load as ingest.bench.mjs (one token for every request), servers in processes of their own,
//     taking turns in rounds: the bare node:http server; the same plus the validator's tolerant parse ("parse"); the
//     kit with authentication stubbed out ("kit-noauth"); the kit as it ships, whose token cache verifies the one
//     token once ("kit"); the kit verifying every token ("kit-nocache", tokenCacheSize 0); and the hand-written
//     Express + jose peer. The CPU time each process spends per request, on all its threads, and the differences
//     between them, price each step.
// (b) Each step alone, in this process: the kit's authenticator with and without its token cache, jose's jwtVerify
//     as the peer calls it, node:crypto verifying the same RS256 signature synchronously (a floor), JSON.parse, the
//     tolerant parser, and the store's roster update.
// Environment: INGEST_ROUNDS (default 5), INGEST_SECONDS per round (default 2), INGEST_CONNECTIONS (default 10).
import { createPublicKey, verify } from "node:crypto";
import { MemoryStore } from "@graph-invite/bot-kit";
import { createCallbackAuthenticator } from "@graph-invite/bot-kit/auth";
import { applyRosterNotification, emptyRoster } from "@graph-invite/bot-kit/testing";
import { parseNotifications } from "@graph-invite/validator";
import { createRemoteJWKSet, jwtVerify } from "jose";
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
  const kinds = ["bare", "parse", "kit-noauth", "kit", "kit-nocache", "peer"];
  const servers = await Promise.all(kinds.map((kind) => forkServer(kind, config)));
  try {
    for (const server of servers) await load(server, requests, 1);
    const results = await alternate(servers, requests, { rounds, seconds });
    const of = (kind, field) => median(results.map((result) => result[kind][field]));
    const steps = {
      bare: ["node:http, reads the body, answers 202", undefined],
      parse: ["+ tolerant parseNotifications of the body", "bare"],
      "kit-noauth": ["the kit, authentication stubbed: receiver, dedupe, 202, rosters", "bare"],
      kit: ["+ the kit's authenticator, the one token verified once (cache)", "kit-noauth"],
      "kit-nocache": ["+ every request's token verified (tokenCacheSize 0)", "kit"],
      peer: ["Express 5 + jose jwtVerify every token + tolerant parse", "bare"],
    };
    const us = (value) => (Number.isFinite(value) ? value.toFixed(0) : "n/a");
    const signed = (value) => `${value >= 0 ? "+" : ""}${us(value)}`;
    printTable([
      ["server", "what it does", "req/s", "p50 ms", "p99 ms", "CPU us/req", "main thread", "step", "over"],
      ...kinds.map((kind) => {
        const [what, over] = steps[kind];
        return [
          kind,
          what,
          of(kind, "perSecond").toFixed(0),
          of(kind, "p50").toFixed(2),
          of(kind, "p99").toFixed(2),
          us(of(kind, "cpuUsPerRequest")),
          us(of(kind, "mainThreadUsPerRequest")),
          over === undefined ? "" : signed(of(kind, "cpuUsPerRequest") - of(over, "cpuUsPerRequest")),
          over ?? "",
        ];
      }),
    ]);
    print(
      "CPU us/req: all threads of the server's process; main thread: the one that runs JavaScript (Linux only); " +
        "step: CPU us/req over the server named in `over`. A server that keeps its core busy also pays more per " +
        "loopback write (the kernel's delivery to the load generator is charged to the writer), so the steps of the " +
        "busier servers include some of that: compare them with the steps alone, below.",
    );
    print();
  } finally {
    await Promise.all(servers.map((server) => server.close()));
  }
}

async function alone({ bodies, token, config }) {
  const authorization = `Bearer ${token}`;
  const cached = createCallbackAuthenticator({
    appId: config.appId,
    openIdConfigurationUrl: config.openIdConfigurationUrl,
  });
  const uncached = createCallbackAuthenticator({
    appId: config.appId,
    openIdConfigurationUrl: config.openIdConfigurationUrl,
    tokenCacheSize: 0,
  });
  for (const authenticator of [cached, uncached]) {
    if (!(await authenticator.authenticate(authorization)).ok) throw new Error("the token does not authenticate");
  }

  // The key the simulator publishes, and the signed part of the token, for jose and node:crypto's own verification.
  const jwksUri = (await (await fetch(config.openIdConfigurationUrl)).json()).jwks_uri;
  const remoteKeys = createRemoteJWKSet(new URL(jwksUri));
  const peerOptions = {
    issuer: ["https://graph.microsoft.com", "https://api.botframework.com"],
    audience: config.appId,
    algorithms: ["RS256"],
  };
  const [jwk] = (await (await fetch(jwksUri)).json()).keys;
  const publicKey = createPublicKey({ key: jwk, format: "jwk" });
  const [header, payload, signature] = token.split(".");
  const signed = Buffer.from(`${header}.${payload}`);
  const signatureBytes = Buffer.from(signature, "base64url");

  const texts = bodies.map((body) => Buffer.from(body));
  const store = new MemoryStore();
  const notifications = texts.map((text) => parseNotifications(text, { mode: "tolerant" }).notifications[0]);
  const applyRoster = async (notification) => {
    const current = (await store.roster(notification.callId)) ?? emptyRoster(notification.callId);
    await store.putRoster(applyRosterNotification(current, notification).roster);
  };

  const steps = [
    ["kit authenticator, token cache (the one token, verified once)", () => cached.authenticate(authorization)],
    ["kit authenticator, tokenCacheSize 0: jose jwtVerify", () => uncached.authenticate(authorization)],
    ["the peer's jose jwtVerify with createRemoteJWKSet", () => jwtVerify(token, remoteKeys, peerOptions)],
    [
      "node:crypto verify() of the same RS256 signature, synchronous",
      () => verify("RSA-SHA256", signed, publicKey, signatureBytes),
    ],
    ["JSON.parse(body) alone", (index) => JSON.parse(texts[index % texts.length].toString())],
    ["parseNotifications(body bytes, tolerant)", (index) => parseNotifications(texts[index % texts.length])],
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
