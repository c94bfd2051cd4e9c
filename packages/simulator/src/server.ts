// The simulator's HTTP face: the web console first, then the routes of routes.ts (Graph's, the identity platform's,
// the calling service's key metadata, and a small control API under /simulator), each request logged as answered.
import type { IncomingMessage, ServerResponse } from "node:http";
import { createConsole } from "./console/console.js";
import { errorReply, graphError, HttpError, readBody, sendJson } from "./http.js";
import { type Reply, type Route, routes } from "./routes.js";
import type { ReceivedRequest, ServerParts } from "./server-parts.js";

export function createHandler(parts: ServerParts): (request: IncomingMessage, response: ServerResponse) => void {
  // The web console and the control API's guard (see console/guard.ts).
  const webConsole = createConsole(parts);
  const table = routes(parts);

  return (request, response) => {
    const url = new URL(request.url ?? "/", "http://simulator");
    if (webConsole.handle(request, response, url.pathname)) return;
    const record: ReceivedRequest = {
      method: request.method ?? "",
      path: `${url.pathname}${url.search}`,
      headers: request.headers,
      body: "",
      receivedAt: new Date().toISOString(),
      status: 0,
    };
    void (async () => {
      const reply = await answer(table, request, url.pathname, record);
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

/** Reads the body into `record` and runs the route the request matches; a 404 or 405 when none does. */
async function answer(
  table: readonly Route[],
  request: IncomingMessage,
  path: string,
  record: ReceivedRequest,
): Promise<Reply> {
  try {
    const route = table.find(([method, pattern]) => method === request.method && pattern.test(path));
    const body = await readBody(request);
    record.body = body;
    if (route === undefined) {
      const allowed = table.filter(([, pattern]) => pattern.test(path)).map(([method]) => method);
      if (allowed.length === 0) {
        throw new HttpError(404, graphError("UnknownRoute", `No resource at ${path}.`));
      }
      throw new HttpError(
        405,
        graphError("MethodNotAllowed", `No ${request.method} on ${path}; it takes ${allowed.join(", ")}.`),
        { Allow: allowed.join(", ") },
      );
    }
    const [, pattern, handler] = route;
    return await handler(request, body, decodeSegments(pattern.exec(path)?.slice(1) ?? []));
  } catch (error) {
    return errorReply(error);
  }
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
