// The kit's sources for `pnpm test:mutation bot-kit --sets`, each with the test files that pin its behaviour. The whole
// suite is too slow to rerun for each of the kit's mutants on two cores (a mutant of code that every bot runs would
// start every test's simulators and Redis servers again); a set's tests are the unit and flow tests written for its
// modules. A mutant that a set's tests kill is killed by the suite, so a set's score is a lower bound of the suite's.
// Every hand-written source is in one set: scripts/mutation.mjs names any that is not.
const tests = (...names) => names.map((name) => `test/${name}.test.ts`);

/** @type {readonly { readonly mutate: readonly string[]; readonly tests: readonly string[] }[]} */
export default [
  {
    mutate: ["src/auth/**/*.ts", "!src/auth/index.ts"],
    tests: tests("auth-details", "auth-issuers", "auth-key-fetch", "auth-tokens", "limits"),
  },
  {
    // The tracker's timers are pinned by tracker-timeouts.test.ts too, whose invites wait out real deadlines: too
    // slow for every mutant of the tracker; its tests run with the suite.
    mutate: ["src/invite-tracker.ts"],
    tests: tests(
      "tracker-answers",
      "tracker-edges",
      "tracker-outcomes",
      "tracker-refusals",
      "tracker-terminal",
      "tracker-store-news",
      "tracker-invites",
      "invite-waiters",
      "held-notifications",
    ),
  },
  {
    mutate: ["src/invite-transitions.ts", "src/invite-waiters.ts", "src/invite-types.ts"],
    tests: tests(
      "invite-transitions-cases",
      "invite-transitions-changes",
      "invite-transitions-outcomes",
      "invite-waiters",
      "tracker-answers",
      "tracker-outcomes",
    ),
  },
  {
    mutate: ["src/roster.ts", "src/held-notifications.ts", "src/call-state.ts"],
    tests: tests(
      "roster-members",
      "roster-edges",
      "roster-full-and-delta",
      "roster-properties",
      "roster-bookkeeping",
      "roster-flow",
      "held-notifications",
      "processing",
      "flow",
      "mixed-batch",
      "compare-and-set",
      "json-equality",
    ),
  },
  {
    mutate: ["src/delivery-dispatch.ts", "src/persist.ts"],
    tests: tests(
      "processing",
      "endpoint-processing",
      "mixed-batch",
      "store-failures",
      "flow",
      "endpoint-invalid-bodies",
    ),
  },
  {
    mutate: ["src/receiver.ts"],
    tests: tests("receiver-answers", "endpoint-requests", "endpoint-invalid-bodies", "endpoint-processing"),
  },
  {
    mutate: ["src/web.ts", "src/node/*.ts", "!src/node/index.ts", "src/bot-receiver.ts"],
    tests: tests(
      "adapters",
      "adapters-edges",
      "endpoint-requests",
      "endpoint-invalid-bodies",
      "limits",
      "lifecycle",
      "start-bot",
      "slow-clients",
    ),
  },
  {
    mutate: ["src/bot.ts", "src/bot-store.ts", "src/bot-types.ts", "src/graph-types.ts", "src/testing.ts"],
    tests: tests(
      "processing",
      "flow",
      "lifecycle",
      "self-check",
      "refusals",
      "mixed-batch",
      "exports-documented",
      "bot-wiring",
    ),
  },
  {
    mutate: ["src/check.ts"],
    tests: tests("bot-check"),
  },
  {
    mutate: ["src/refusals.ts"],
    tests: tests("refusal-log"),
  },
  {
    mutate: ["src/memory-store.ts"],
    tests: tests("store-contract", "memory-retention", "memory-store-bounds"),
  },
  {
    // How the Redis store talks to Redis, each piece with unit tests of its own: fast enough for every mutant.
    mutate: [
      "src/redis/keys.ts",
      "src/redis/errors.ts",
      "src/redis/commands.ts",
      "src/redis/connection.ts",
      "src/redis/scripts.ts",
    ],
    tests: tests("redis-keys", "redis-errors", "redis-commands"),
  },
  {
    mutate: [
      "src/redis/store.ts",
      "src/redis/feed.ts",
      "src/redis/store-options.ts",
      "src/redis/finished-deliveries.ts",
    ],
    tests: tests(
      "store-contract",
      "store",
      "store-failures",
      "feed",
      "telemetry-redis",
      "finished-deliveries",
      "retry-safe-instances",
    ),
  },
  {
    mutate: ["src/telemetry.ts", "src/otel-api.ts"],
    tests: tests("telemetry", "telemetry-early", "telemetry-redis", "telemetry-instruments"),
  },
  {
    mutate: [
      "src/compare-and-set.ts",
      "src/queue.ts",
      "src/fingerprint.ts",
      "src/time-slices.ts",
      "src/identities.ts",
      "src/retention.ts",
      "src/json-equality.ts",
      "src/logger.ts",
      "src/events.ts",
      "src/parser-issues.ts",
    ],
    tests: tests(
      "compare-and-set",
      "keyed-queue",
      "fingerprint",
      "time-slices",
      "identities",
      "memory-retention",
      "json-equality",
      "logger-and-events",
      "receiver-answers",
      "endpoint-invalid-bodies",
      "limits",
    ),
  },
];
