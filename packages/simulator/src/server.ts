// The simulator's HTTP face: Graph's routes, the identity platform's, the calling service's key metadata, and a
// small control API under /simulator for tools that drive the simulator from outside the process.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { checkCallSeed, controlBody, parseScenario } from "./config.js";
import { createConsole } from "./console/console.js";
import type { Courier } from "./delivery.js";
import type { SimulatedGraph } from "./graph.js";
import { bearerToken, graphError, HttpError, mediaType, readBody, sendJson } from "./http.js";
import type { IdentityPlatform } from "./identity-platform.js";
import type { Signer } from "./keys.js";
import { callResource, operationResource, snapshot } from "./snapshots.js";

/** A request Graph's side of the simulator received, and how it answered. */
export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  body: string;
  readonly receivedAt: string;
  status: number;
}

export interface ServerParts {
  readonly origin: () => string;
  readonly graph: SimulatedGraph;
  readonly identity: IdentityPlatform;
  readonly notificationSigner: Signer;
  readonly notificationIssuer: string;
  readonly courier: Courier;
  readonly requests: ReceivedRequest[];
}

type Handler = (request: IncomingMessage, body: string, match: string[]) => Promise<Reply> | Reply;
interface Reply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

const ok = (body: unknown, headers?: Record<string, string>): Reply => ({
  status: 200,
  body,
  ...(headers && { headers }),
});
/** One path segment, captured; it is percent-decoded before the handler sees it. */
const segment = "([^/]+)";

export function createHandler(parts: ServerParts): (request: IncomingMessage, response: ServerResponse) => void {
  const { graph, identity } = parts;
  // The web console and the control API's guard (see console/guard.ts).
  const webConsole = createConsole(parts);
  const authenticated = async (request: IncomingMessage) => identity.authenticate(bearerToken(request));
  const callFor = async (request: IncomingMessage, callId: string) =>
    graph.callFor(await authenticated(request), callId);

  const routes: Array<[method: string, path: RegExp, handler: Handler]> = [
    // The Microsoft identity platform.
    [
      "POST",
      new RegExp(`^/${segment}/oauth2/v2\\.0/token$`),
      async (request, body, [tenantId = ""]) => {
        if (mediaType(request) !== "application/x-www-form-urlencoded") {
          throw new HttpError(400, {
            error: "invalid_request",
            error_description: "AADSTS900144: The request body must be application/x-www-form-urlencoded.",
          });
        }
        // RFC 6749 (5.1): a token response must not be cached.
        const token = await identity.token(tenantId, new URLSearchParams(body), request.headers.authorization);
        return ok(token, { "Cache-Control": "no-store", Pragma: "no-cache" });
      },
    ],
    [
      "GET",
      new RegExp(`^/${segment}/v2\\.0/\\.well-known/openid-configuration$`),
      (_, __, [tenantId = ""]) => ok(identity.metadata(tenantId)),
    ],
    ["GET", new RegExp(`^/${segment}/discovery/v2\\.0/keys$`), () => ok(identity.jwks)],
    // The calling service that signs notifications (api.aps.skype.com for Graph).
    [
      "GET",
      /^\/v1\/\.well-known\/OpenIdConfiguration$/i,
      () =>
        ok({
          issuer: parts.notificationIssuer,
          jwks_uri: `${parts.origin()}/v1/.well-known/keys`,
          id_token_signing_alg_values_supported: ["RS256"],
          token_endpoint_auth_signing_alg_values_supported: ["RS256"],
        }),
    ],
    ["GET", /^\/v1\/\.well-known\/keys$/, () => ok(parts.notificationSigner.jwks)],
    // Graph.
    [
      "POST",
      new RegExp(`^/v1\\.0/communications/calls/${segment}/participants/invite$`),
      async (request, body, [callId = ""]) => {
        const caller = await authenticated(request);
        const clientRequestId = header(request, "client-request-id");
        if (mediaType(request) !== "application/json") {
          throw new HttpError(
            415,
            graphError("UnsupportedMediaType", "The request body must be application/json.", { clientRequestId }),
          );
        }
        const accepted = graph.invite(caller, callId, body, clientRequestId);
        if (graph.scenario.delivery?.terminalBeforeResponse === true) await accepted.terminalSent;
        return ok(accepted.body, {
          Location: `${parts.origin()}/v1.0/communications/calls/${encodeURIComponent(callId)}/operations/${accepted.operation.id}`,
          "request-id": randomUUID(),
          ...(clientRequestId !== undefined && { "client-request-id": clientRequestId }),
        });
      },
    ],
    [
      "GET",
      new RegExp(`^/v1\\.0/communications/calls/${segment}$`),
      async (request, _, [callId = ""]) => ok(callResource(await callFor(request, callId))),
    ],
    [
      "GET",
      new RegExp(`^/v1\\.0/communications/calls/${segment}/participants$`),
      async (request, _, [callId = ""]) => ok({ value: snapshot((await callFor(request, callId)).participants) }),
    ],
    [
      "GET",
      new RegExp(`^/v1\\.0/communications/calls/${segment}/operations/${segment}$`),
      async (request, _, [callId = "", operationId = ""]) => {
        await callFor(request, callId);
        const operation = graph.operations.get(operationId);
        if (operation?.callId !== callId) {
          throw new HttpError(404, graphError("ItemNotFound", `The operation '${operationId}' was not found.`));
        }
        return ok(operationResource(operation));
      },
    ],
    // The control API.
    ["GET", /^\/simulator\/state$/, () => ok(stateOf(parts))],
    ["GET", /^\/simulator\/deliveries$/, () => ok({ value: snapshot(parts.courier.log) })],
    ["GET", /^\/simulator\/requests$/, () => ok({ value: snapshot(parts.requests) })],
    [
      "POST",
      /^\/simulator\/calls$/,
      (_, body) => ({
        status: 201,
        body: snapshot(controlBody(body, (seed) => graph.createCall(checkCallSeed(seed)))),
      }),
    ],
    [
      "PUT",
      /^\/simulator\/scenario$/,
      (_, body) => {
        graph.scenario = parseScenario(body);
        return ok(graph.scenario);
      },
    ],
  ];

  return (request, response) => {
    const url = new URL(request.url ?? "/", "http://simulator");
    const path = url.pathname;
    if (webConsole.handle(request, response, path)) return;
    const record: ReceivedRequest = {
      method: request.method ?? "",
      path: `${url.pathname}${url.search}`,
      headers: request.headers,
      body: "",
      receivedAt: new Date().toISOString(),
      status: 0,
    };
    void (async () => {
      let reply: Reply;
      try {
        const route = routes.find(([method, pattern]) => method === request.method && pattern.test(path));
        const body = await readBody(request);
        record.body = body;
        if (route === undefined) {
          const allowed = routes.filter(([, pattern]) => pattern.test(path)).map(([method]) => method);
          if (allowed.length === 0) {
            throw new HttpError(404, graphError("UnknownRoute", `No resource at ${url.pathname}.`));
          }
          throw new HttpError(
            405,
            graphError("MethodNotAllowed", `No ${request.method} on ${url.pathname}; it takes ${allowed.join(", ")}.`),
            { Allow: allowed.join(", ") },
          );
        }
        const [, pattern, handler] = route;
        reply = await handler(request, body, decodeSegments(pattern.exec(path)?.slice(1) ?? []));
      } catch (error) {
        reply =
          error instanceof HttpError
            ? error
            : { status: 500, body: graphError("InternalServerError", `The simulator failed: ${String(error)}`) };
      }
      if (!url.pathname.startsWith("/simulator/")) {
        record.status = reply.status;
        const kept = redacted(record);
        parts.requests.push(kept);
        webConsole.recorded(kept, reply as { status: number; body: unknown; headers?: Record<string, string> });
      }
      try {
        sendJson(response, reply.status, reply.body, reply.headers);
      } catch (error) {
        // Only a header the simulator was told to send (such as a scenario's Retry-After) can be refused here.
        if (!response.headersSent) sendJson(response, 500, graphError("InternalServerError", String(error)));
        else response.destroy();
      }
    })();
  };
}

/** Path segments as the handlers expect them: `call%201` is the call `call 1`. */
function decodeSegments(segments: readonly string[]): string[] {
  try {
    return segments.map((segment) => decodeURIComponent(segment));
  } catch {
    throw new HttpError(400, graphError("BadRequest", "The path has a malformed percent-encoding."));
  }
}

/** The request as logged: client secrets and bearer tokens are not kept, since the log is served over HTTP. */
function redacted(record: ReceivedRequest): ReceivedRequest {
  const headers = { ...record.headers };
  const authorization = headers["authorization"];
  if (typeof authorization === "string") headers["authorization"] = authorization.replace(/\s.*$/, " [redacted]");
  const body = record.body.includes("client_secret=")
    ? record.body.replace(/(^|&)client_secret=[^&]*/, "$1client_secret=[redacted]")
    : record.body;
  return { ...record, headers, body };
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function stateOf(parts: ServerParts): unknown {
  return snapshot({ calls: parts.graph.calls.all(), operations: [...parts.graph.operations.values()] });
}
