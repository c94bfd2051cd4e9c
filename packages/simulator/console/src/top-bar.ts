// The console's top bar, with the filters every view follows, and the log of requests Graph's routes received.
import type { Call, Operation, State } from "./model.js";
import { html, pretty, short, time } from "./ui.js";

/** Which call and which invite the views are narrowed to; `""` is all. */
export interface Filters {
  callId: string;
  operationId: string;
}

/** The top bar: whether the feed is live, links to each view, and the filters by call and by invite. */
export function TopBar({
  state,
  calls,
  operations,
  filters,
  setFilters,
}: {
  state: State;
  calls: readonly Call[];
  operations: readonly Operation[];
  filters: Filters;
  setFilters: (filters: Filters) => void;
}) {
  return html`
    <header class="top">
      <h1>Graph simulator</h1>
      <p class=${`live ${state.connected ? "on" : "off"}`} role="status">
        ${state.connected ? "Live" : "Reconnecting…"}
      </p>
      <nav class="jump" aria-label="Views">
        <ul>
          <li><a href="#steer-heading">Steer</a></li>
          <li><a href="#calls-heading">Calls (${calls.length})</a></li>
          <li><a href="#invites-heading">Invites (${state.invites.length})</a></li>
          <li><a href="#deliveries-heading">Deliveries (${state.deliveries.length})</a></li>
          <li><a href="#requests-heading">Requests (${state.requests.length})</a></li>
        </ul>
      </nav>
      <form class="filters" aria-label="Filters" onSubmit=${(event: Event) => event.preventDefault()}>
        <span class="field">
          <label for="filter-call">Call</label>
          <select id="filter-call"
            value=${filters.callId}
            onChange=${(event: Event) =>
              setFilters({ callId: (event.target as HTMLSelectElement).value, operationId: "" })}
          >
            <option value="">All calls</option>
            ${calls.map((call) => html`<option value=${call.id}>${call.kind} ${short(call.id)}</option>`)}
          </select>
        </span>
        <span class="field">
          <label for="filter-invite">Invite</label>
          <select id="filter-invite"
            value=${filters.operationId}
            onChange=${(event: Event) =>
              setFilters({ ...filters, operationId: (event.target as HTMLSelectElement).value })}
          >
            <option value="">All invites</option>
            ${operations.map(
              (operation) =>
                html`<option value=${operation.id}>${operation.clientContext ?? short(operation.id)}</option>`,
            )}
          </select>
        </span>
      </form>
    </header>
  `;
}

/** The requests Graph's routes received, newest last, narrowed to the call filtered on. */
export function Requests({ requests, callId }: { requests: State["requests"]; callId: string }) {
  return html`
    <section aria-labelledby="requests-heading">
      <h2 id="requests-heading">Requests received</h2>
      <ol class="requests">
        ${requests
          .filter((request) => callId === "" || request.path.includes(callId))
          .map(
            (request) => html`<li key=${request.seq}>
              <details>
                <summary>
                  <code>${request.method} ${request.path}</code> <span class="badge">${request.status}</span>
                  <span class="when">${time(request.receivedAt)}</span>
                </summary>
                <pre tabindex="0">${pretty(request.headers)}</pre>
                ${request.body === "" ? null : html`<pre tabindex="0">${request.body}</pre>`}
              </details>
            </li>`,
          )}
      </ol>
    </section>
  `;
}
