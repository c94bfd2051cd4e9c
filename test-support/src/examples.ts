// What tests share about JSON payloads: the spec's example files, read as they are, the places in a JSON value
// where a property-based test can change one thing, and the changes that a validator must refuse.
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

/** `openapi/examples/`, found through the spec's package wherever this module was built to. */
const examples = new URL(
  "examples/",
  pathToFileURL(createRequire(import.meta.url).resolve("@graph-invite/openapi/package.json")),
);

/** A file of `openapi/examples/`, parsed. */
export function example<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, examples), "utf8")) as T;
}

/** The names of the files in `openapi/examples/`, sorted. */
export function exampleNames(): string[] {
  return readdirSync(examples).sort();
}

/**
 * Every member of `value`'s objects and arrays, as [container, key], in document order. Setting `container[key]`
 * changes that member of `value` in place.
 */
export function placesIn(value: unknown): Array<[Record<string, unknown>, string]> {
  return membersIn(value).map(({ container, key }) => [container, key]);
}

interface Member {
  readonly container: Record<string, unknown>;
  readonly key: string;
  /** Its JSON Pointer (RFC 6901) in `value`. */
  readonly pointer: string;
}

function membersIn(value: unknown): Member[] {
  const members: Member[] = [];
  const walk = (node: unknown, pointer: string) => {
    if (typeof node !== "object" || node === null) return;
    for (const [key, child] of Object.entries(node)) {
      const at = `${pointer}/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`;
      members.push({ container: node as Record<string, unknown>, key, pointer: at });
      walk(child, at);
    }
  };
  walk(value, "");
  return members;
}

/** A change that makes a valid payload invalid, and the pointer of the member it changed. */
export interface KnownBadMutation {
  readonly kind:
    | "wrong-type"
    | "required-removed"
    | "client-context-too-long"
    | "phone-not-e164"
    | "unknown-odata-type";
  readonly pointer: string;
  readonly payload: unknown;
}

/**
 * Every change to `valid` (a payload its contract accepts) that the contract must refuse: each value that is not
 * null given another JSON type, each member named in `required` removed, each `clientContext` 257 characters long,
 * each phone id not in E.164, each `@odata.type` a type that does not exist. A validator that accepts everything
 * fails on every one of them; a validator that refuses them should say where, at `pointer`.
 */
export function knownBadMutations(valid: unknown, required: readonly string[]): KnownBadMutation[] {
  const mutations: KnownBadMutation[] = [];
  membersIn(valid).forEach(({ container, key, pointer }, index) => {
    const add = (kind: KnownBadMutation["kind"], change: (container: Record<string, unknown>, key: string) => void) => {
      const payload = structuredClone(valid);
      const member = membersIn(payload)[index] as Member;
      change(member.container, member.key);
      mutations.push({ kind, pointer, payload });
    };
    const current = container[key];
    const isMember = !Array.isArray(container);
    if (current !== null && typeof current !== "object") {
      add("wrong-type", (copy, name) => {
        copy[name] = typeof current === "string" ? 7 : "seven";
      });
    }
    if (isMember && required.includes(key)) {
      add("required-removed", (copy, name) => {
        delete copy[name];
      });
    }
    if (isMember && key === "clientContext") {
      add("client-context-too-long", (copy, name) => {
        copy[name] = "x".repeat(257);
      });
    }
    if (isMember && key === "id" && pointer.endsWith("/phone/id")) {
      add("phone-not-e164", (copy, name) => {
        copy[name] = "12345678901";
      });
    }
    if (isMember && key === "@odata.type") {
      add("unknown-odata-type", (copy, name) => {
        copy[name] = "#microsoft.graph.noSuchType";
      });
    }
  });
  return mutations;
}
