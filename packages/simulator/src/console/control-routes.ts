// The console's control endpoints, which scripts can use as well: answer for a ringing invitee, send a delivery
// again (with a deliberately flawed token if asked), rotate the notification signing key.
import type { IncomingMessage, ServerResponse } from "node:http";
import { controlBody } from "../config.js";
import type { Courier } from "../delivery.js";
import type { SimulatedGraph } from "../graph.js";
import { errorReply, graphError, HttpError, readBody, sendJson } from "../http.js";
import type { Signer } from "../keys.js";
import { flawed, noRetries, readAnswerCommand, readResendCommand, readRotateCommand } from "./commands.js";
import type { LiveFeed } from "./feed.js";
import { operationView } from "./views.js";

export type Route = (request: IncomingMessage, body: string, match: string[]) => Promise<Reply> | Reply;
interface Reply {
  readonly status: number;
  readonly body: unknown;
}

/** What the routes act on. */
export interface ControlParts {
  readonly graph: SimulatedGraph;
  readonly courier: Courier;
  readonly notificationSigner: Signer;
}

/** Each control route: its method, its path, and what it does. */
export function controlRoutes(
  { graph, courier, notificationSigner }: ControlParts,
  feed: LiveFeed,
): Array<[method: string, path: RegExp, route: Route]> {
  return [
    [
      "POST",
      /^\/simulator\/operations\/([^/]+)\/participants\/(\d{1,3})\/answer$/,
      (_, body, [operationId = "", index = ""]) => {
        const answer = controlBody(body, readAnswerCommand);
        graph.answer(operationId, Number(index), answer);
        const operation = graph.operations.get(operationId);
        return { status: 202, body: operation === undefined ? {} : operationView(operation, graph) };
      },
    ],
    [
      "POST",
      /^\/simulator\/deliveries\/(\d{1,9})\/resend$/,
      (_, body, [seq = ""]) => {
        const flaw = controlBody(body, readResendCommand);
        const original = courier.log[Number(seq)];
        if (original === undefined) {
          throw new HttpError(404, graphError("ItemNotFound", `There is no delivery ${seq}.`));
        }
        const call = graph.calls.get(original.callId);
        if (call === undefined) throw new HttpError(404, graphError("ItemNotFound", "The delivery's call is gone."));
        const { kind, callId, url, body: notification, operationId } = original;
        const again = { kind, callId, url, body: notification, ...(operationId !== undefined && { operationId }) };
        const sent = courier.send(again, call, noRetries, {
          copyOf: original,
          resent: { flaw, ...flawed(flaw) },
        });
        // Numbered synchronously: send() logs the delivery before its first await.
        const resent = courier.log.at(-1);
        // The courier records a failure in the delivery; only the simulator closing rejects, and that ends the send.
        sent.catch(() => {});
        return { status: 202, body: { seq: resent === undefined ? null : feed.seqOf(resent), token: flaw } };
      },
    ],
    [
      "POST",
      /^\/simulator\/keys\/rotate$/,
      async (_, body) => {
        // `{}` swaps the key at once; `{ overlapMs, retainMs? }` rolls over as Graph does: the next key is published
        // first and signs after the overlap.
        const rollover = controlBody(body, readRotateCommand);
        return { status: 200, body: { kid: await notificationSigner.rotate(rollover) } };
      },
    ],
  ];
}

/** Runs a route and answers with what it returns, its HttpError, or a 500 that says what failed. */
export async function serveRoute(
  request: IncomingMessage,
  response: ServerResponse,
  route: Route,
  match: string[],
): Promise<void> {
  let reply: Reply;
  try {
    reply = await route(request, await readBody(request), match);
  } catch (error) {
    reply = errorReply(error);
  }
  sendJson(response, reply.status, reply.body, reply instanceof HttpError ? reply.headers : {});
}
