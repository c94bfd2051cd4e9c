// Reads the JSON payloads out of the reference page (seed/participant-invite.txt), in the order the page shows them.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { openapiDir } from "./contract.js";

export const seedText = readFileSync(resolve(openapiDir, "seed/participant-invite.txt"), "utf8");

/**
 * The text of every JSON body on the page. Each follows a `Content-Type: application/json` line, possibly after
 * other header lines, and runs until the lines read so far parse as JSON.
 */
export function seedPayloads(): string[] {
  const lines = seedText.split("\n");
  const payloads: string[] = [];
  lines.forEach((line, index) => {
    if (line.trim() !== "Content-Type: application/json") return;
    let start = index + 1;
    while (start < lines.length && /^[A-Za-z-]+: /.test(lines[start] ?? "")) start++;
    if (!lines[start]?.startsWith("{")) return;
    for (let end = start + 1; end <= lines.length; end++) {
      const text = lines.slice(start, end).join("\n");
      if (parses(text)) {
        payloads.push(text);
        return;
      }
    }
  });
  return payloads;
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** JSON text with the whitespace between tokens removed, so two texts compare equal when only layout differs. */
export function withoutLayout(json: string): string {
  let out = "";
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const char = json[i] as string;
    if (inString) {
      out += char;
      if (char === "\\") out += json[++i] ?? "";
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
      out += char;
    } else if (!/\s/.test(char)) {
      out += char;
    }
  }
  return out;
}
