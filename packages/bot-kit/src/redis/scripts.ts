// The store's Lua scripts, read from the `.lua` files beside this module (the build copies them next to the compiled
// code). Each file opens with what its KEYS and ARGV hold; a line `--@include name` puts in the shared functions of
// `lua/lib/name.lua`. Redis runs each script alone, so a compare-and-set, the indexes it keeps and the change it
// announces happen together or not at all, in one round trip.
import { readFileSync } from "node:fs";
import { Script } from "./connection.js";

function source(name: string): string {
  return readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), "utf8");
}

/** The script in `lua/<name>.lua`, its includes put in. */
export function loadScript(name: string): Script {
  const text = source(name).replace(/^--@include ([a-z-]+)$/gm, (_, lib: string) => source(`lib/${lib}`));
  return new Script(text);
}

/** Every script the store runs. */
export const scripts = {
  claimDelivery: loadScript("claim-delivery"),
  finishDeliveries: loadScript("finish-deliveries"),
  takeUnfinishedDeliveries: loadScript("take-unfinished-deliveries"),
  putOperation: loadScript("put-operation"),
  readOperations: loadScript("read-operations"),
  operationById: loadScript("operation-by-id"),
  putRoster: loadScript("put-roster"),
  recordUnmatched: loadScript("record-unmatched"),
  heartbeat: loadScript("heartbeat"),
  follow: loadScript("follow"),
  followInvite: loadScript("follow-invite"),
};
