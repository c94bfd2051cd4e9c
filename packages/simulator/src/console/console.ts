// The web console's server side: the page and its bundle, a live feed of every change as server-sent events, and the
// control endpoints the page steers with (which scripts can use as well). Every request to them passes the guard.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { ConfigError, checkRollover, controlBody } from "../config.js";
import type { Courier, Delivery, TokenFlaw } from "../delivery.js";
import type { SimulatedGraph } from "../graph.js";
import { graphError, HttpError, readBody, sendJson } from "../http.js";
import type { Signer, TokenClaimChanges, TokenTiming } from "../keys.js";
import type { Answer } from "../options.js";
import type { ReceivedRequest } from "../server.js";
import { asset } from "./assets.js";
import { guard } from "./guard.js";
import {
  callView,
  type DeliveryReading,
  deliveryView,
  type InviteView,
  inviteView,
  operationView,
  readDelivery,
  requestView,
} from "./views.js";

export interface ConsoleParts {
  readonly origin: () => string;
  readonly graph: SimulatedGraph;
  readonly courier: Courier;
  readonly notificationSigner: Signer;
  readonly notificationIssuer: string;
  readonly requests: readonly ReceivedRequest[];
}

export interface Console {
  /**
   * Serves the console's own routes and refuses, for those and for the control API, what the guard refuses. Returns
   * whether it answered; when it did not, the request goes on to the simulator's routes.
   */
  handle(request: IncomingMessage, response: ServerResponse, path: string): boolean;
  /** Told of each request Graph's routes answered, with the answer, for the invite timelines and the request log. */
  recorded(record: ReceivedRequest, reply: { status: number; body: unknown; headers?: Record<string, string> }): void;
}

/** More open feeds than a person has tabs means something is looping; each one holds a socket. */
const maxFeeds = 32;
/** How often an idle feed sends a comment. */
const heartbeatMs = 15_000;
/** A feed whose reader stops reading is dropped rather than buffered without end. */
const maxBufferedBytes = 8 * 1024 * 1024;

const flaws: readonly TokenFlaw[] = ["valid", "wrong-audience", "wrong-issuer", "no-tenant", "expired"];

/** What the flaw changes in an otherwise valid notification token. */
function flawed(flaw: TokenFlaw): { claims: TokenClaimChanges; timing?: TokenTiming } {
  switch (flaw) {
    case "valid":
      return { claims: {} };
    case "wrong-audience":
      return { claims: { aud: randomUUID() } };
    case "wrong-issuer":
      return { claims: { iss: "https://issuer.invalid" } };
    case "no-tenant":
      return { claims: { tid: undefined } };
    case "expired":
      // Well past the few minutes of clock skew a verifier allows.
      return { claims: {}, timing: { expiresIn: -3600, notBefore: -7200 } };
  }
}

type Route = (request: IncomingMessage, body: string, match: string[]) => Promise<Reply> | Reply;
interface Reply {
  readonly status: number;
  readonly body: unknown;
}

export function createConsole(parts: ConsoleParts): Console {
  const { graph, courier } = parts;
  const feeds = new Set<ServerResponse>();
  const deliverySeq = new WeakMap<Delivery, number>();
  const readings = new WeakMap<Delivery, DeliveryReading>();
  const invites: InviteView[] = [];
  let requestCount = 0;

  // Changes are gathered and sent once per turn of the event loop: a burst of attempts becomes one message per thing.
  const dirtyDeliveries = new Set<Delivery>();
  const newRequests: Array<{ seq: number; record: ReceivedRequest }> = [];
  const newInvites: InviteView[] = [];
  let worldChanged = false;
  let scheduled = false;
  const sentWorld = new Map<string, string>();

  const seqOf = (delivery: Delivery) => {
    let seq = deliverySeq.get(delivery);
    if (seq === undefined) {
      seq = courier.log.indexOf(delivery);
      deliverySeq.set(delivery, seq);
    }
    return seq;
  };
  const viewOf = (delivery: Delivery) => {
    let reading = readings.get(delivery);
    if (reading === undefined) {
      reading = readDelivery(delivery);
      readings.set(delivery, reading);
    }
    return deliveryView(seqOf(delivery), delivery, reading);
  };
  const world = () => ({
    calls: graph.calls.all().map(callView),
    operations: [...graph.operations.values()].map((operation) => operationView(operation, graph)),
    scenario: graph.scenario,
  });

  const broadcast = (event: string, data: unknown) => {
    if (feeds.size === 0) return;
    const message = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const feed of feeds) {
      if (feed.writableLength > maxBufferedBytes) {
        feed.destroy();
        feeds.delete(feed);
      } else {
        feed.write(message);
      }
    }
  };

  // Only what differs from what was last sent: a roster change sends its call, not every call.
  const changed = (key: string, value: unknown) => {
    const text = JSON.stringify(value);
    if (sentWorld.get(key) === text) return false;
    sentWorld.set(key, text);
    return true;
  };
  const flush = () => {
    scheduled = false;
    if (feeds.size === 0) {
      // Nobody is watching: a console that opens gets the whole state in its reset event.
      worldChanged = false;
      dirtyDeliveries.clear();
      newInvites.length = 0;
      newRequests.length = 0;
      return;
    }
    if (worldChanged) {
      worldChanged = false;
      const { calls, operations, scenario } = world();
      for (const call of calls) if (changed(`call:${call.id}`, call)) broadcast("call", call);
      for (const operation of operations) {
        if (changed(`operation:${operation.id}`, operation)) broadcast("operation", operation);
      }
      if (changed("scenario", scenario)) broadcast("scenario", scenario);
    }
    for (const invite of newInvites.splice(0)) broadcast("invite", invite);
    for (const { seq, record } of newRequests.splice(0)) broadcast("request", requestView(seq, record));
    for (const delivery of dirtyDeliveries) broadcast("delivery", viewOf(delivery));
    dirtyDeliveries.clear();
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  };

  courier.onChange = (delivery) => {
    // Numbered when first seen, while it is still the log's last entry.
    if (!deliverySeq.has(delivery)) deliverySeq.set(delivery, courier.log.length - 1);
    dirtyDeliveries.add(delivery);
    // A delivery's outcome often follows a change of the world; both go in one message batch.
    worldChanged = true;
    schedule();
  };
  graph.changed = () => {
    worldChanged = true;
    schedule();
  };

  const openFeed = (request: IncomingMessage, response: ServerResponse) => {
    if (feeds.size >= maxFeeds) {
      sendJson(response, 503, graphError("ServiceUnavailable", `At most ${maxFeeds} consoles can be open at once.`));
      return;
    }
    response.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    });
    // What was sent before this feed opened; later changes follow as single events.
    flush();
    const { calls, operations, scenario } = world();
    // Every feed now has the same view of the world; what changes next goes to all of them.
    for (const call of calls) changed(`call:${call.id}`, call);
    for (const operation of operations) changed(`operation:${operation.id}`, operation);
    changed("scenario", scenario);
    const snapshot = {
      url: parts.origin(),
      app: { issuer: parts.notificationIssuer },
      calls,
      operations,
      scenario,
      invites,
      deliveries: courier.log.map(viewOf),
      requests: parts.requests.map((record, index) => requestView(index, record)),
    };
    response.write(`retry: 1000\nevent: reset\ndata: ${JSON.stringify(snapshot)}\n\n`);
    feeds.add(response);
    // A comment now and then, so that a console whose connection died unnoticed is found and dropped.
    const heartbeat = setInterval(() => response.write(": keep-alive\n\n"), heartbeatMs);
    heartbeat.unref();
    const close = () => {
      clearInterval(heartbeat);
      feeds.delete(response);
    };
    request.on("close", close);
    response.on("error", close);
  };

  const routes: Array<[method: string, path: RegExp, route: Route]> = [
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
        return { status: 202, body: { seq: resent === undefined ? null : seqOf(resent), token: flaw } };
      },
    ],
    [
      "POST",
      /^\/simulator\/keys\/rotate$/,
      async (_, body) => {
        // `{}` swaps the key at once; `{ overlapMs, retainMs? }` rolls over as Graph does: the next key is published
        // first and signs after the overlap.
        const rollover = controlBody(body, (value) => {
          if (typeof value !== "object" || value === null || Array.isArray(value)) {
            throw new ConfigError("", "must be an object: {} or { overlapMs, retainMs? }");
          }
          return Object.keys(value).length === 0 ? undefined : checkRollover(value);
        });
        return { status: 200, body: { kid: await parts.notificationSigner.rotate(rollover) } };
      },
    ],
  ];

  const serveRoute = async (request: IncomingMessage, response: ServerResponse, route: Route, match: string[]) => {
    let reply: Reply;
    try {
      reply = await route(request, await readBody(request), match);
    } catch (error) {
      reply =
        error instanceof HttpError
          ? error
          : { status: 500, body: graphError("InternalServerError", `The simulator failed: ${String(error)}`) };
    }
    sendJson(response, reply.status, reply.body, reply instanceof HttpError ? reply.headers : {});
  };

  return {
    handle(request, response, path) {
      const page = path === "/" || path === "/console" || path.startsWith("/console/");
      if (!page && !path.startsWith("/simulator/")) return false;
      try {
        guard(request, parts.origin());
      } catch (error) {
        const refusal = error as HttpError;
        // The body is not read: the connection closes after the answer.
        sendJson(response, refusal.status, refusal.body, { Connection: "close" });
        return true;
      }
      if (page) {
        if (request.method !== "GET" && request.method !== "HEAD") {
          sendJson(response, 405, graphError("MethodNotAllowed", `No ${request.method} on ${path}; it takes GET.`), {
            Allow: "GET, HEAD",
          });
          return true;
        }
        const file = asset(path === "/" || path === "/console" || path === "/console/" ? "index.html" : path.slice(9));
        if (file === undefined) {
          sendJson(response, 404, graphError("UnknownRoute", `No resource at ${path}.`));
          return true;
        }
        response.writeHead(200, {
          "Content-Type": file.type,
          "Content-Length": file.bytes.length,
          "Cache-Control": "no-cache",
          "X-Content-Type-Options": "nosniff",
          "Referrer-Policy": "no-referrer",
          "Content-Security-Policy":
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        });
        response.end(request.method === "HEAD" ? undefined : file.bytes);
        return true;
      }
      if (path === "/simulator/events") {
        if (request.method !== "GET") return false;
        openFeed(request, response);
        return true;
      }
      for (const [method, pattern, route] of routes) {
        const match = pattern.exec(path);
        if (match === null) continue;
        if (request.method !== method) {
          sendJson(
            response,
            405,
            graphError("MethodNotAllowed", `No ${request.method} on ${path}; it takes ${method}.`),
            {
              Allow: method,
            },
          );
          return true;
        }
        void serveRoute(request, response, route, match.slice(1).map(decodeURIComponent));
        return true;
      }
      return false;
    },
    recorded(record, reply) {
      const seq = requestCount++;
      newRequests.push({ seq, record });
      const invite = inviteView(seq, record, reply, graph);
      if (invite !== undefined) {
        invites.push(invite);
        newInvites.push(invite);
      }
      worldChanged = true;
      schedule();
    },
  };
}

/** A re-sent notification is tried once: the point is to see the bot's answer to it. */
const noRetries = { maxAttempts: 1, retryDelayMs: 0 };

/** `{ "kind": "accept" | "decline" | "no-answer" | "ring", "code"?, "subcode"?, "message"? }`. */
function readAnswerCommand(value: unknown): Answer | { kind: "ring" } {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new ConfigError("", "must be an object");
  const command = value as Record<string, unknown>;
  const allowed = ["kind", "code", "subcode", "message"];
  const unknown = Object.keys(command).find((key) => !allowed.includes(key));
  if (unknown !== undefined) {
    throw new ConfigError(`/${unknown}`, `is not a known property (expected one of ${allowed.join(", ")})`);
  }
  const { kind, code, subcode, message } = command;
  if (kind !== "accept" && kind !== "decline" && kind !== "no-answer" && kind !== "ring") {
    throw new ConfigError("/kind", 'must be one of "accept", "decline", "no-answer", "ring"');
  }
  const integer = (field: string, given: unknown) => {
    if (given === undefined) return {};
    if (typeof given !== "number" || !Number.isInteger(given) || given < 0 || given > 999_999) {
      throw new ConfigError(`/${field}`, "must be an integer from 0 to 999999");
    }
    return { [field]: given };
  };
  if (kind === "accept" || kind === "ring") {
    const extra = ["code", "subcode", "message"].find((key) => command[key] !== undefined);
    if (extra !== undefined) throw new ConfigError(`/${extra}`, `is only for a decline or a no-answer, not ${kind}`);
    return { kind };
  }
  if (message !== undefined && (typeof message !== "string" || message === "" || message.length > 1000)) {
    throw new ConfigError("/message", "must be a non-empty string of at most 1000 characters");
  }
  return {
    kind,
    ...integer("code", code),
    ...integer("subcode", subcode),
    ...(message !== undefined && { message: message as string }),
  };
}

/** `{ "token"?: "valid" | "wrong-audience" | "wrong-issuer" | "no-tenant" | "expired" }`. */
function readResendCommand(value: unknown): TokenFlaw {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new ConfigError("", "must be an object");
  const unknown = Object.keys(value).find((key) => key !== "token");
  if (unknown !== undefined) throw new ConfigError(`/${unknown}`, "is not a known property (expected token)");
  const { token = "valid" } = value as { token?: unknown };
  if (!flaws.includes(token as TokenFlaw)) {
    throw new ConfigError("/token", `must be one of ${flaws.map((flaw) => JSON.stringify(flaw)).join(", ")}`);
  }
  return token as TokenFlaw;
}
