// What the control API tests share: requests to the control API and to Graph's routes, and their JSON answers.
import type { AppRegistration, SimulatedCall, SimulatedOperation, Simulator } from "../src/index.js";

/** The body is typed as the route promises; the assertions check that it is. */
export interface JsonResponse<T = GraphError> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

export interface GraphError {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly details?: ReadonlyArray<{ code: string; message: string; target: string }>;
  };
}

export async function send<T = GraphError>(
  url: string,
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse<T>> {
  const response = await fetch(url, {
    method,
    headers: { "Content-Type": "application/json", ...headers },
    ...(body !== undefined && { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === "" ? undefined : JSON.parse(text) };
}

export const control = <T = GraphError>(sim: Simulator, method: string, path: string, body?: unknown) =>
  send<T>(`${sim.url}/simulator/${path}`, method, body);

export interface State {
  readonly calls: SimulatedCall[];
  readonly operations: SimulatedOperation[];
}

export const invitee = (id: string) => ({
  participants: [
    {
      "@odata.type": "#microsoft.graph.invitationParticipantInfo",
      identity: { "@odata.type": "#microsoft.graph.identitySet", user: { id, displayName: "Invitee" } },
    },
  ],
  clientContext: `context-${id}`,
});

export async function invite<T = { id: string }>(
  sim: Simulator,
  callId: string,
  inviteeId: string,
  app?: AppRegistration,
) {
  const { token } = await sim.credential(app)();
  const url = `${sim.graphUrl}/communications/calls/${callId}/participants/invite`;
  return send<T>(url, "POST", invitee(inviteeId), { Authorization: `Bearer ${token}` });
}

export async function graphGet<T = GraphError>(
  sim: Simulator,
  path: string,
  app?: AppRegistration,
): Promise<JsonResponse<T>> {
  const { token } = await sim.credential(app)();
  return send<T>(`${sim.graphUrl}/communications/calls/${path}`, "GET", undefined, {
    Authorization: `Bearer ${token}`,
  });
}
