// The console's views. Each control sends one request of the control API (see the simulator's README).
import { useState } from "preact/hooks";
import {
  type Call,
  curlOf,
  type Delivery,
  type Invite,
  type Issue,
  jsonOf,
  type Operation,
  type State,
} from "./model.js";
import { Steering } from "./steering.js";
import { type Filters, Requests, TopBar } from "./top-bar.js";
import { control, html, pretty, short, time, useStatus } from "./ui.js";

export { html };

function IssueList({ issues, label }: { issues: readonly Issue[]; label: string }) {
  if (issues.length === 0) return null;
  return html`<ul class="issues" aria-label=${label}>
    ${issues.map((issue) => html`<li><code>${issue.pointer || "/"}</code> <code>${issue.code}</code> ${issue.message}</li>`)}
  </ul>`;
}

export function App({ state }: { state: State }) {
  const [filters, setFilters] = useState<Filters>({ callId: "", operationId: "" });
  const calls = [...state.calls.values()];
  const operations = [...state.operations.values()];
  const byCall = <T extends { callId: string }>(item: T) => filters.callId === "" || item.callId === filters.callId;
  const byOperation = (id: string | null) => filters.operationId === "" || id === filters.operationId;
  const shownOperations = operations.filter((operation) => byCall(operation));
  return html`
    <${TopBar} state=${state} calls=${calls} operations=${shownOperations} filters=${filters} setFilters=${setFilters} />
    <main>
      <${Steering} calls=${calls} scenario=${state.scenario} />
      <section aria-labelledby="calls-heading">
        <h2 id="calls-heading">Calls</h2>
        ${calls.length === 0 ? html`<p>No calls yet.</p>` : null}
        <div class="calls">
          ${calls.filter((call) => filters.callId === "" || call.id === filters.callId).map((call) => html`<${CallCard} key=${call.id} call=${call} />`)}
        </div>
      </section>
      <section aria-labelledby="invites-heading">
        <h2 id="invites-heading">Invites</h2>
        ${state.invites.length === 0 ? html`<p>No invites yet.</p>` : null}
        <ol class="invites">
          ${state.invites
            .filter((invite) => byCall(invite) && byOperation(invite.operationId))
            .map(
              (invite) =>
                html`<${InviteTimeline}
                  key=${invite.seq}
                  invite=${invite}
                  operation=${invite.operationId === null ? undefined : state.operations.get(invite.operationId)}
                />`,
            )}
        </ol>
      </section>
      <section aria-labelledby="deliveries-heading">
        <h2 id="deliveries-heading">Deliveries</h2>
        <${Deliveries}
          deliveries=${state.deliveries.filter((delivery) => byCall(delivery) && byOperation(delivery.operationId))}
        />
      </section>
      <${Requests} requests=${state.requests} callId=${filters.callId} />
    </main>
  `;
}

function CallCard({ call }: { call: Call }) {
  return html`<article class="card call" data-call=${call.id} aria-label=${`Call ${call.id}`}>
    <h3>${call.kind} call <code>${call.id}</code> <span class=${`badge ${call.state}`}>${call.state}</span></h3>
    <p class="muted">Notifications to <code>${call.callbackUri}</code></p>
    ${
      call.participants.length === 0
        ? html`<p>Nobody in the roster.</p>`
        : html`<table class="roster">
          <caption>
            Roster
          </caption>
          <thead>
            <tr><th scope="col">Who</th><th scope="col">Identity</th><th scope="col">Lobby</th><th scope="col">Muted</th></tr>
          </thead>
          <tbody>
            ${call.participants.map(
              (participant) => html`<tr key=${participant.participantId}>
                <td>${participant.name ?? participant.id ?? "—"}</td>
                <td>${participant.kind} <code>${short(participant.id)}</code></td>
                <td>${participant.inLobby ? "in lobby" : "no"}</td>
                <td>${participant.muted ? "muted" : "no"}</td>
              </tr>`,
            )}
          </tbody>
        </table>`
    }
  </article>`;
}

function InviteTimeline({ invite, operation }: { invite: Invite; operation: Operation | undefined }) {
  const [status, setStatus] = useStatus();
  const answer = async (index: number, body: Record<string, unknown>) => {
    if (operation === undefined) return;
    const result = await control("POST", `/simulator/operations/${operation.id}/participants/${index}/answer`, body);
    setStatus(result.ok ? `Answered ${String(body["kind"])}.` : result.text);
  };
  // A refused invite has no operation; its clientContext is still in the body it sent.
  const sent = (typeof invite.body === "object" && invite.body !== null ? invite.body : {}) as {
    clientContext?: unknown;
  };
  const title =
    operation?.clientContext ?? (typeof sent.clientContext === "string" ? sent.clientContext : `invite ${invite.seq}`);
  return html`<li class="card invite" data-operation=${invite.operationId ?? ""} aria-label=${`Invite ${title}`}>
    <h3>Invite <code>${title}</code> into <code>${short(invite.callId)}</code></h3>
    <ol class="timeline">
      <li>
        <strong>Request</strong> <span class="when">${time(invite.receivedAt)}</span>
        <span class=${`badge ${invite.verdict.ok ? "ok" : "bad"}`}>
          ${invite.verdict.ok ? "valid" : "invalid"}
        </span>
        <${IssueList} issues=${invite.verdict.errors} label="Validator errors" />
        <${IssueList} issues=${invite.verdict.warnings} label="Validator warnings" />
        <details><summary>Body</summary><pre tabindex="0">${pretty(invite.body)}</pre></details>
      </li>
      <li>
        <strong>Response ${invite.status}</strong>
        ${invite.retryAfter === null ? null : html`<span class="when">Retry-After ${invite.retryAfter}</span>`}
        ${
          invite.location === null
            ? html`<pre tabindex="0">${pretty(invite.error)}</pre>`
            : html` <span class="muted">Location <code>${invite.location}</code></span>`
        }
      </li>
      ${
        operation === undefined
          ? null
          : html`
            <li>
              <strong>Running</strong> <span class="when">${time(operation.createdAt)}</span>
              <ul class="invitees">
                ${operation.invitees.map(
                  (invitee, index) => html`<li>
                    ${invitee.name ?? invitee.id ?? invitee.kind} (${invitee.kind})
                    ${
                      invitee.answered
                        ? html`<span class="badge">${invitee.answer ?? "answered"}</span>`
                        : html`<span class="badge ringing">ringing</span>
                          <span class="actions">
                            <button type="button" onClick=${() => answer(index, { kind: "accept" })}>Accept</button>
                            <${DeclineButton} id=${`decline-${invite.seq}-${index}`} onDecline=${(code: number) => answer(index, { kind: "decline", code })} />
                            <button type="button" onClick=${() => answer(index, { kind: "ring" })}>Let it ring</button>
                          </span>`
                    }
                  </li>`,
                )}
              </ul>
            </li>
            ${
              operation.status === "running"
                ? null
                : html`<li>
                  <strong class=${operation.status}>${operation.status}</strong>
                  <span class="when">${time(operation.completedAt)}</span>
                  ${
                    operation.resultInfo === null
                      ? null
                      : html`<span class="result">
                        ${`resultInfo ${String(operation.resultInfo.code)}/${String(operation.resultInfo.subcode)}: ${String(operation.resultInfo.message ?? "")}`}
                      </span>`
                  }
                </li>`
            }
          `
      }
    </ol>
    <p class="status" role="status">${status}</p>
  </li>`;
}

function DeclineButton({ id, onDecline }: { id: string; onDecline: (code: number) => void }) {
  const [code, setCode] = useState("603");
  return html`<span class="decline">
    <label for=${id}>Code</label>
    <input id=${id} type="number" min="0" max="999999" value=${code}
      onInput=${(event: Event) => setCode((event.target as HTMLInputElement).value)} />
    <button type="button" onClick=${() => onDecline(Number(code))}>Decline</button>
  </span>`;
}

function marks(delivery: Delivery): string[] {
  return [
    ...(delivery.duplicate && delivery.resent === null ? ["duplicate"] : []),
    ...(delivery.reordered ? ["reordered"] : []),
    ...(delivery.outcome === "dropped" ? ["dropped"] : []),
    ...(delivery.resent === null ? [] : [delivery.resent === "valid" ? "re-sent" : `re-sent: ${delivery.resent}`]),
  ];
}

function Deliveries({ deliveries }: { deliveries: readonly Delivery[] }) {
  const [open, setOpen] = useState<number | null>(null);
  if (deliveries.length === 0) return html`<p>No deliveries yet.</p>`;
  return html`<table class="deliveries">
    <caption>
      Every notification sent to the bot, newest last
    </caption>
    <thead>
      <tr>
        <th scope="col">#</th>
        <th scope="col">Kind</th>
        <th scope="col">Call</th>
        <th scope="col">Attempts</th>
        <th scope="col">Outcome</th>
        <th scope="col"><span class="visually-hidden">Details</span></th>
      </tr>
    </thead>
    <tbody>
      ${deliveries.map(
        (delivery) => html`<tr key=${delivery.seq} data-seq=${delivery.seq} class=${`delivery ${delivery.outcome}`}>
            <td>${delivery.seq}</td>
            <td>${delivery.kind} ${marks(delivery).map((mark) => html` <span class="badge mark">${mark}</span>`)}</td>
            <td><code>${short(delivery.callId)}</code></td>
            <td class="attempts">
              ${delivery.attempts.map(
                (attempt) =>
                  html`<span class="attempt">${attempt.status ?? attempt.error} in ${attempt.durationMs} ms</span> `,
              )}
            </td>
            <td><span class=${`badge ${delivery.outcome}`}>${delivery.outcome}</span></td>
            <td>
              <button
                type="button"
                aria-expanded=${open === delivery.seq}
                aria-controls=${`delivery-${delivery.seq}`}
                onClick=${() => setOpen(open === delivery.seq ? null : delivery.seq)}
              >
                ${open === delivery.seq ? "Hide" : "Show"} <span class="visually-hidden">delivery ${delivery.seq}</span>
              </button>
            </td>
          </tr>
          ${
            open === delivery.seq
              ? html`<tr class="detail" key=${`detail-${delivery.seq}`}>
                <td colspan="6" id=${`delivery-${delivery.seq}`}><${DeliveryDetail} delivery=${delivery} /></td>
              </tr>`
              : null
          }`,
      )}
    </tbody>
  </table>`;
}

const tokenFlaws = [
  ["wrong-audience", "wrong audience"],
  ["wrong-issuer", "wrong issuer"],
  ["no-tenant", "no tenant"],
  ["expired", "expired"],
] as const;

function DeliveryDetail({ delivery }: { delivery: Delivery }) {
  const [status, setStatus] = useStatus();
  const [flaw, setFlaw] = useState<string>("wrong-audience");
  const copy = async (text: string, what: string) => {
    try {
      await navigator.clipboard.writeText(text);
      setStatus(`Copied ${what}.`);
    } catch (error) {
      setStatus(`Could not copy ${what}: ${String(error)}`);
    }
  };
  const resend = async (token: string) => {
    const result = await control("POST", `/simulator/deliveries/${delivery.seq}/resend`, { token });
    setStatus(
      result.ok ? `Sent again as delivery ${String((JSON.parse(result.text) as { seq: number }).seq)}.` : result.text,
    );
  };
  return html`<div class="detail-body">
    <p>To <code>${delivery.url}</code>, message id <code>${delivery.messageId}</code></p>
    <h4>Attempts</h4>
    <ol>
      ${delivery.attempts.map(
        (attempt) => html`<li>
          ${time(attempt.sentAt)} to <code>${attempt.url}</code>: ${attempt.status === null ? `unreachable (${attempt.error})` : `answered ${attempt.status}`}${` in ${attempt.durationMs} ms`}
        </li>`,
      )}
    </ol>
    <div class="actions">
      <button type="button" onClick=${() => copy(jsonOf(delivery), "the delivery as JSON")}>Copy as JSON</button>
      <button type="button" onClick=${() => copy(curlOf(delivery), "a curl command")}>Copy as curl</button>
      <button type="button" onClick=${() => resend("valid")}>Re-send</button>
      <span class="field">
        <label for=${`token-${delivery.seq}`}>Token</label>
        <select id=${`token-${delivery.seq}`} value=${flaw} onChange=${(event: Event) => setFlaw((event.target as HTMLSelectElement).value)}>
          ${tokenFlaws.map(([value, label]) => html`<option value=${value}>${label}</option>`)}
        </select>
      </span>
      <button type="button" onClick=${() => resend(flaw)}>Send with a wrong token</button>
    </div>
    <p class="status" role="status">${status}</p>
    <h4>Body</h4>
    <${IssueList} issues=${delivery.warnings} label="Tolerant reader's warnings" />
    <${IssueList} issues=${delivery.errors} label="Tolerant reader's errors" />
    <pre tabindex="0" class="body">${pretty(delivery.body)}</pre>
    <h4>Bearer token claims</h4>
    <pre tabindex="0" class="claims">${pretty({ header: delivery.tokenHeader, claims: delivery.claims })}</pre>
  </div>`;
}
