// What the simulator's HTTP face is made of, as types only: the server, its routes and the web console all name
// them, and none of them needs the others' code for it.
import type { Courier } from "./delivery.js";
import type { SimulatedGraph } from "./graph.js";
import type { IdentityPlatform } from "./identity-platform.js";
import type { Signer } from "./keys.js";

/** A request Graph's side of the simulator received, and how it answered. */
export interface ReceivedRequest {
  /** The HTTP method. */
  readonly method: string;
  /** The path with its query string. */
  readonly path: string;
  /** The request's headers, as Node read them. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The request's body as text; empty until it has been read. */
  body: string;
  /** When the request arrived (ISO 8601). */
  readonly receivedAt: string;
  /** The status it was answered with; 0 until it is answered. */
  status: number;
}

/** What the handler serves from: the simulated world, its signers and the log of requests it received. */
export interface ServerParts {
  readonly origin: () => string;
  readonly graph: SimulatedGraph;
  readonly identity: IdentityPlatform;
  readonly notificationSigner: Signer;
  readonly notificationIssuer: string;
  readonly courier: Courier;
  readonly requests: ReceivedRequest[];
}
