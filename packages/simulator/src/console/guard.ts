// Keeps a web page the developer happens to visit from reading or steering the console and the control API.
//
// DNS rebinding: a page on attacker.example can make its own name resolve to 127.0.0.1 and then read this server as
// "same origin"; the browser still sends `Host: attacker.example:port`, so only the names that cannot be rebound are
// taken: an IP address (the browser connected to exactly that address) or `localhost`, with the simulator's port.
//
// CSRF: a cross-site form or `fetch` can send a POST without reading the answer. A state-changing request must say
// `Content-Type: application/json` (which a cross-origin page cannot send without a CORS preflight, and the simulator
// answers none), and when the browser names where it comes from (`Origin`, `Sec-Fetch-Site`), that must be here.

import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import { graphError, HttpError, mediaType } from "../http.js";

const safeMethods = new Set(["GET", "HEAD"]);

/** The host name and port of a `Host` header or an origin's authority; undefined when it is not one. */
function authority(text: string): { hostname: string; port: string } | undefined {
  if (!URL.canParse(`http://${text}`)) return undefined;
  const url = new URL(`http://${text}`);
  if (url.username !== "" || url.password !== "" || url.pathname !== "/" || `${url.host}` === "") return undefined;
  return { hostname: url.hostname, port: url.port };
}

/** Whether `host` (a `Host` header value) names this server in a way DNS cannot rebind. */
export function trustedHost(host: string | undefined, origin: string): boolean {
  if (host === undefined) return false;
  const given = authority(host);
  const listening = new URL(origin);
  if (given === undefined || given.port !== listening.port) return false;
  const name = given.hostname.replace(/^\[(.*)\]$/, "$1");
  return name === "localhost" || isIP(name) !== 0;
}

function refuse(status: number, code: string, message: string): HttpError {
  return new HttpError(status, graphError(code, message));
}

/** Throws the answer for a request the console or the control API must not serve; returns when it may. */
export function guard(request: IncomingMessage, origin: string): void {
  if (!trustedHost(request.headers.host, origin)) {
    throw refuse(
      421,
      "MisdirectedRequest",
      `The Host header ${JSON.stringify(request.headers.host ?? "")} does not name this simulator: use ${origin}, or localhost or any of its IP addresses with its port.`,
    );
  }
  if (safeMethods.has(request.method ?? "")) return;
  const sourceOrigin = request.headers.origin;
  if (sourceOrigin !== undefined) {
    const source = URL.canParse(sourceOrigin) ? new URL(sourceOrigin) : undefined;
    // The page's scheme is the server's: http, or https once the simulator serves TLS.
    if (source === undefined || source.protocol !== new URL(origin).protocol || !trustedHost(source.host, origin)) {
      throw refuse(403, "Forbidden", `A request from the origin ${sourceOrigin} may not change the simulator.`);
    }
  }
  const site = request.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none") {
    throw refuse(403, "Forbidden", `A ${site} request (Sec-Fetch-Site) may not change the simulator.`);
  }
  if (mediaType(request) !== "application/json") {
    throw refuse(415, "UnsupportedMediaType", "A request that changes the simulator must be application/json.");
  }
}
