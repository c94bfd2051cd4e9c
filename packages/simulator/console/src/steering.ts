// The forms that steer the simulator: create a call, change the scenario, rotate the notification signing key.
import { useState } from "preact/hooks";
// The simulator's own list, bundled in: the form offers every deviation the simulator knows, and no other.
import { deviations } from "../../src/options.js";
import type { Call } from "./model.js";
import { control, html, useStatus } from "./ui.js";

const kinds = ["operation", "roster", "call"] as const;

const value = (event: Event) => (event.target as HTMLInputElement).value;
const checked = (event: Event) => (event.target as HTMLInputElement).checked;

export function Steering({ calls, scenario }: { calls: readonly Call[]; scenario: Record<string, unknown> }) {
  return html`<section aria-labelledby="steer-heading" class="steer">
    <h2 id="steer-heading">Steer</h2>
    <${CreateCall} calls=${calls} />
    <${ScenarioForm} scenario=${scenario} />
    <${RotateKey} />
  </section>`;
}

function CreateCall({ calls }: { calls: readonly Call[] }) {
  const [kind, setKind] = useState("group");
  const [callback, setCallback] = useState("");
  const [status, setStatus] = useStatus();
  const callbackUri = callback === "" ? (calls.at(-1)?.callbackUri ?? "") : callback;
  const submit = async (event: Event) => {
    event.preventDefault();
    const result = await control("POST", "/simulator/calls", { kind, callbackUri });
    setStatus(result.ok ? `Created call ${(JSON.parse(result.text) as { id: string }).id}.` : result.text);
  };
  return html`<form class="card" aria-labelledby="create-call-heading" onSubmit=${submit}>
    <h3 id="create-call-heading">Create a call</h3>
    <span class="field">
      <label for="steer-kind">Kind</label>
      <select id="steer-kind" value=${kind} onChange=${(event: Event) => setKind(value(event))}>
        <option value="group">group</option>
        <option value="meeting">meeting</option>
        <option value="p2p">peer-to-peer</option>
      </select>
    </span>
    <span class="field">
      <label for="steer-callback-url">Callback URL</label>
      <input id="steer-callback-url" type="url" required value=${callbackUri} onInput=${(event: Event) => setCallback(value(event))} />
    </span>
    <button type="submit">Create call</button>
    <p class="status" role="status">${status}</p>
  </form>`;
}

interface ScenarioFields {
  delayMs: string;
  duplicate: boolean;
  reorder: boolean;
  drop: string[];
  deviations: string[];
  reject: string;
  retryAfter: string;
  answer: string;
  answerAfterMs: string;
  declineCode: string;
}

function fieldsOf(scenario: Record<string, unknown>): ScenarioFields {
  const delivery = (scenario["delivery"] ?? {}) as Record<string, unknown>;
  const answer = (scenario["defaultAnswer"] ?? {}) as Record<string, unknown>;
  return {
    delayMs: String(delivery["delayMs"] ?? 0),
    duplicate: delivery["duplicate"] === true,
    reorder: delivery["reorder"] === true,
    drop: (delivery["drop"] as string[] | undefined) ?? [],
    deviations: (scenario["deviations"] as string[] | undefined) ?? [],
    reject: "",
    retryAfter: "2",
    answer: String(answer["kind"] ?? "accept"),
    answerAfterMs: answer["afterMs"] === undefined ? "" : String(answer["afterMs"]),
    declineCode: String(answer["code"] ?? 603),
  };
}

/** The scenario the form describes; what the form does not show (per-invitee answers, roster mode) is kept. */
function scenarioOf(fields: ScenarioFields, current: Record<string, unknown>): Record<string, unknown> {
  const { rejectInvites: _, delivery: __, deviations: ___, defaultAnswer: ____, ...kept } = current;
  const afterMs = fields.answerAfterMs === "" ? {} : { afterMs: Number(fields.answerAfterMs) };
  return {
    ...kept,
    delivery: {
      ...((current["delivery"] ?? {}) as Record<string, unknown>),
      delayMs: Number(fields.delayMs),
      duplicate: fields.duplicate,
      reorder: fields.reorder,
      drop: fields.drop,
    },
    deviations: fields.deviations,
    defaultAnswer:
      fields.answer === "decline"
        ? { kind: "decline", code: Number(fields.declineCode), ...afterMs }
        : { kind: fields.answer, ...afterMs },
    ...(fields.reject === ""
      ? {}
      : {
          rejectInvites: [
            { status: Number(fields.reject), ...(fields.retryAfter === "" ? {} : { retryAfter: fields.retryAfter }) },
          ],
        }),
  };
}

function ScenarioForm({ scenario }: { scenario: Record<string, unknown> }) {
  const [fields, setFields] = useState<ScenarioFields | null>(null);
  const [status, setStatus] = useStatus();
  const shown = fields ?? fieldsOf(scenario);
  const set = (change: Partial<ScenarioFields>) => setFields({ ...shown, ...change });
  const submit = async (event: Event) => {
    event.preventDefault();
    const result = await control("PUT", "/simulator/scenario", scenarioOf(shown, scenario));
    if (result.ok) setFields(null);
    setStatus(result.ok ? "Scenario applied: it governs the next invites." : result.text);
  };
  return html`<form class="card scenario" aria-labelledby="scenario-heading" onSubmit=${submit}>
    <h3 id="scenario-heading">Scenario</h3>
    <fieldset>
      <legend>Invitees not named in the scenario</legend>
      <span class="field">
        <label for="steer-answer">Answer</label>
        <select id="steer-answer" value=${shown.answer} onChange=${(event: Event) => set({ answer: value(event) })}>
          <option value="accept">accept</option>
          <option value="decline">decline</option>
          <option value="no-answer">ring, then no answer</option>
        </select>
      </span>
      <span class="field">
        <label for="steer-after-ms">After (ms)</label>
        <input id="steer-after-ms" type="number" min="0" value=${shown.answerAfterMs} placeholder="default"
          onInput=${(event: Event) => set({ answerAfterMs: value(event) })} />
      </span>
      <span class="field">
        <label for="steer-decline-code">Decline code</label>
        <input id="steer-decline-code" type="number" min="0" value=${shown.declineCode} onInput=${(event: Event) => set({ declineCode: value(event) })} />
      </span>
    </fieldset>
    <${DeliveryControls} shown=${shown} set=${set} />
    <fieldset>
      <legend>Refuse the next invite</legend>
      <span class="field">
        <label for="steer-status">Status</label>
        <select id="steer-status" value=${shown.reject} onChange=${(event: Event) => set({ reject: value(event) })}>
          <option value="">no</option>
          <option value="429">429 Too Many Requests</option>
          <option value="503">503 Service Unavailable</option>
        </select>
      </span>
      <span class="field">
        <label for="steer-retry-after-s">Retry-After (s)</label>
        <input id="steer-retry-after-s" value=${shown.retryAfter} onInput=${(event: Event) => set({ retryAfter: value(event) })} />
      </span>
    </fieldset>
    <button type="submit">Apply scenario</button>
    <p class="status" role="status">${status}</p>
  </form>`;
}

/** The scenario's delivery controls and deviations, as checkboxes. */
function DeliveryControls({ shown, set }: { shown: ScenarioFields; set: (change: Partial<ScenarioFields>) => void }) {
  return html`
    <fieldset>
      <legend>Delivery</legend>
      <span class="field">
        <label for="steer-delay-ms">Delay (ms)</label>
        <input id="steer-delay-ms" type="number" min="0" value=${shown.delayMs} onInput=${(event: Event) => set({ delayMs: value(event) })} />
      </span>
      <label class="check">
        <input type="checkbox" checked=${shown.duplicate} onChange=${(event: Event) => set({ duplicate: checked(event) })} />
        Duplicate every notification
      </label>
      <label class="check">
        <input type="checkbox" checked=${shown.reorder} onChange=${(event: Event) => set({ reorder: checked(event) })} />
        Reorder each invite's notifications
      </label>
      ${kinds.map(
        (kind) => html`<label class="check">
          <input type="checkbox" checked=${shown.drop.includes(kind)}
            onChange=${(event: Event) => set({ drop: toggle(shown.drop, kind, checked(event)) })} />
          Drop ${kind} notifications
        </label>`,
      )}
    </fieldset>
    <fieldset>
      <legend>Deviations</legend>
      ${deviations.map(
        (deviation) => html`<label class="check">
          <input type="checkbox" checked=${shown.deviations.includes(deviation)}
            onChange=${(event: Event) => set({ deviations: toggle(shown.deviations, deviation, checked(event)) })} />
          ${deviation}
        </label>`,
      )}
    </fieldset>
  `;
}

/** The list with `item` in it (at the end) or out of it. */
const toggle = (list: string[], item: string, on: boolean) =>
  on ? [...list.filter((entry) => entry !== item), item] : list.filter((entry) => entry !== item);

function RotateKey() {
  const [status, setStatus] = useStatus();
  const rotate = async () => {
    const result = await control("POST", "/simulator/keys/rotate");
    setStatus(result.ok ? `New signing key ${(JSON.parse(result.text) as { kid: string }).kid}.` : result.text);
  };
  return html`<div class="card">
    <h3>Signing key</h3>
    <button type="button" onClick=${rotate}>Rotate the notification signing key</button>
    <p class="status" role="status">${status}</p>
  </div>`;
}
