// The web console's server side: the page and its bundle, a live feed of every change as server-sent events
// (feed.ts), and the control endpoints the page steers with (control-routes.ts), which scripts can use as well. Every
// request to them passes the guard.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Courier } from "../delivery.js";
import type { SimulatedGraph } from "../graph.js";
import { graphError, type HttpError, sendJson } from "../http.js";
import type { Signer } from "../keys.js";
import type { ReceivedRequest } from "../server-parts.js";
import { asset } from "./assets.js";
import { controlRoutes, serveRoute } from "./control-routes.js";
import { LiveFeed } from "./feed.js";
import { guard } from "./guard.js";

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

export function createConsole(parts: ConsoleParts): Console {
  const feed = new LiveFeed(parts);
  const routes = controlRoutes(parts, feed);

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
        servePage(request, response, path);
        return true;
      }
      if (path === "/simulator/events") {
        if (request.method !== "GET") return false;
        feed.open(request, response);
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
      feed.recorded(record, reply);
    },
  };
}

/** The console's page and its bundle, under a content security policy that allows only its own files. */
function servePage(request: IncomingMessage, response: ServerResponse, path: string): void {
  if (request.method !== "GET" && request.method !== "HEAD") {
    sendJson(response, 405, graphError("MethodNotAllowed", `No ${request.method} on ${path}; it takes GET.`), {
      Allow: "GET, HEAD",
    });
    return;
  }
  const file = asset(path === "/" || path === "/console" || path === "/console/" ? "index.html" : path.slice(9));
  if (file === undefined) {
    sendJson(response, 404, graphError("UnknownRoute", `No resource at ${path}.`));
    return;
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
}
