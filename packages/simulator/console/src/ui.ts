// What every view uses: htm bound to Preact, the control API's client, and how ids, times and bodies are shown.
import htm from "htm";
import { h } from "preact";
import { useState } from "preact/hooks";

export const html = htm.bind(h);

/** Sends a control request; resolves with its status and body, or a message saying why it failed. */
export async function control(
  method: string,
  path: string,
  body: unknown = {},
): Promise<{ ok: boolean; text: string }> {
  try {
    const response = await fetch(path, {
      method,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (response.ok) return { ok: true, text };
    let message = text;
    try {
      message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text;
    } catch {
      // Not JSON: shown as it came.
    }
    return { ok: false, text: `${response.status}: ${message}` };
  } catch (error) {
    return { ok: false, text: String(error) };
  }
}

/** Announces a control's result to screen readers and shows it beside the control. */
export function useStatus(): [string, (text: string) => void] {
  return useState("");
}

/** An id short enough for a table cell. */
export const short = (id: string | null | undefined) => (id == null ? "—" : id.length > 13 ? `${id.slice(0, 8)}…` : id);
/** A time of day in the reader's locale. */
export const time = (iso: string | null) => (iso === null ? "" : new Date(iso).toLocaleTimeString());
/** A body as indented JSON, or as it came when it is text. */
export const pretty = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value, null, 2));
