// Comparing JSON data as data: whatever the order of object keys, and with an undefined member as absent. The roster
// uses both, to tell a participant whose state changed from one notified again, and to key a participant that has no
// identity by its info.

/**
 * Deep equality of JSON data, whatever the order of object keys, with an undefined member as absent; `skip` is left
 * out at the top level. It stops at the first difference and builds nothing, unlike comparing serialisations.
 */
export function equalData(a: unknown, b: unknown, skip?: string): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let index = 0; index < a.length; index++) if (!equalData(a[index], b[index])) return false;
    return true;
  }
  // Loops rather than Object.keys().filter(): this compares every participant of every roster notification, and the
  // arrays were most of its cost.
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  let compared = 0;
  for (const key in left) {
    if (!Object.hasOwn(left, key) || key === skip || left[key] === undefined) continue;
    if (!Object.hasOwn(right, key) || !equalData(left[key], right[key])) return false;
    compared++;
  }
  let onTheRight = 0;
  for (const key in right) {
    if (Object.hasOwn(right, key) && key !== skip && right[key] !== undefined) onTheRight++;
  }
  return compared === onTheRight;
}

/** JSON with object keys sorted, so that two payloads that differ only in key order compare equal. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === "object" && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}
