// The simulator's web console: a live view of calls, invites, deliveries and requests, fed by server-sent events, and
// forms that steer the simulator through its control API. Everything it does, a script can do with the same requests.
import { render } from "preact";
import { apply, emptyState, type State } from "./model.js";
import { App, html } from "./views.js";

const state: State = emptyState();
let scheduled = false;

let first = true;

function paint(): void {
  scheduled = false;
  const root = document.getElementById("app");
  if (root === null) return;
  // The page's "Loading" text goes; Preact renders into the element as it finds it.
  if (first) root.replaceChildren();
  first = false;
  render(html`<${App} state=${state} />`, root);
}

/** One render per task however many events arrived in it. */
export function repaint(): void {
  if (scheduled) return;
  scheduled = true;
  queueMicrotask(paint);
}

const feed = new EventSource("/simulator/events");
for (const event of ["reset", "call", "operation", "scenario", "invite", "delivery", "request"]) {
  feed.addEventListener(event, (message) => {
    apply(state, event, JSON.parse((message as MessageEvent<string>).data));
    state.connected = true;
    repaint();
  });
}
feed.addEventListener("error", () => {
  // EventSource reconnects by itself; the reset event that follows replaces the state.
  state.connected = false;
  repaint();
});
paint();
