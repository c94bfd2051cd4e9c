// The console's page, script and styles, built by scripts/build-console.mjs into dist/console-app and read once.
import { readFileSync } from "node:fs";

export interface Asset {
  readonly type: string;
  readonly bytes: Buffer;
}

const types: Record<string, string> = {
  "index.html": "text/html; charset=utf-8",
  "app.js": "text/javascript; charset=utf-8",
  "app.css": "text/css; charset=utf-8",
};

// From dist/console/ the bundle is a sibling folder; from src/console/ (the package's own tests) it is in dist.
const folders = [new URL("../console-app/", import.meta.url), new URL("../../dist/console-app/", import.meta.url)];
const cache = new Map<string, Asset>();

/** The named file of the console, or undefined for any other name. */
export function asset(name: string): Asset | undefined {
  const type = types[name];
  if (type === undefined) return undefined;
  const cached = cache.get(name);
  if (cached !== undefined) return cached;
  for (const folder of folders) {
    try {
      const found = { type, bytes: readFileSync(new URL(name, folder)) };
      cache.set(name, found);
      return found;
    } catch {
      // Not in this folder; try the next.
    }
  }
  const missing = `The console was not built (${name} is missing): run pnpm build.`;
  return { type: "text/plain; charset=utf-8", bytes: Buffer.from(missing) };
}
