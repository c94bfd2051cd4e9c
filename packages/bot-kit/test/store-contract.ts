// The BotStore contract, as one suite that every store runs: MemoryStore and RedisStore alike. Copies in and out,
// lookups, creation order, compare-and-set on every write (no update lost when writers race, from one handle or two),
// atomic delivery claims, invites still waiting with their deadlines, retention by age and by count, and, for a store
// that several processes share, the change feed.
import { describe } from "vitest";
import { changesContract } from "./store-contract-changes.js";
import type { StoreUnderTest } from "./store-contract-fixtures.js";
import { recordsContract } from "./store-contract-records.js";
import { retentionContract } from "./store-contract-retention.js";

export { operation, type StoreUnderTest, until, update } from "./store-contract-fixtures.js";

export function storeContract(name: string, subject: StoreUnderTest): void {
  describe(`${name} keeps the BotStore contract`, () => {
    recordsContract(subject);
    retentionContract(subject);
    changesContract(subject);
  });
}
