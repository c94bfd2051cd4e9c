// The simulator's routes: the Microsoft identity platform's, the calling service's key metadata, Graph's, and the
// small control API under /simulator. server.ts matches a request to one of them and answers with what it returns.
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { SimulatedCall } from "./calls.js";
import { checkCallSeed, controlBody, parseScenario } from "./config.js";
import { bearerToken, graphError, HttpError, mediaType } from "./http.js";
import type { ServerParts } from "./server-parts.js";
import { callResource, operationResource, snapshot } from "./snapshots.js";

export type Handler = (request: IncomingMessage, body: string, match: string[]) => Promise<Reply> | Reply;
export type Route = [method: string, path: RegExp, handler: Handler];
export interface Reply {
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

/** Every route, in the order they are matched. */
export function routes(parts: ServerParts): Route[] {
  return [
    ...identityPlatformRoutes(parts),
    ...callingServiceRoutes(parts),
    ...graphRoutes(parts),
    ...controlRoutes(parts),
  ];
}

/** The Microsoft identity platform: tokens, OpenID metadata and signing keys. */
export function identityPlatformRoutes({ identity }: ServerParts): Route[] {
  return [
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
  ];
}

/** The calling service that signs notifications (api.aps.skype.com for Graph). */
export function callingServiceRoutes(parts: ServerParts): Route[] {
  return [
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
  ];
}

/** Graph: the invite action and what a bot may read about its calls. */
export function graphRoutes(parts: ServerParts): Route[] {
  const { graph, identity } = parts;
  const authenticated = async (request: IncomingMessage) => identity.authenticate(bearerToken(request));
  const callFor = async (request: IncomingMessage, callId: string): Promise<SimulatedCall> =>
    graph.callFor(await authenticated(request), callId);
  return [
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
  ];
}

/** The control API, for tools that drive the simulator from outside the process. */
export function controlRoutes(parts: ServerParts): Route[] {
  const { graph } = parts;
  return [
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
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function stateOf(parts: ServerParts): unknown {
  return snapshot({ calls: parts.graph.calls.all(), operations: [...parts.graph.operations.values()] });
}
