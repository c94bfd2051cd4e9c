// The notification endpoint: POST /api/calls. It authenticates before it reads the body, bounds the body, parses it
// with the validator's tolerant parser, drops duplicate deliveries, and answers 202 before any processing, so that
// Graph's delivery never waits on the bot's work.
import type { IncomingMessage, ServerResponse } from "node:http";
import { type ClassifiedNotification, type Issue, parseNotifications } from "@graph-invite/validator";
import type { AuthResult, NotificationAuthenticator } from "./auth.js";

/** A delivery the endpoint accepted: authenticated, parsed, and not seen before. */
export interface AcceptedDelivery {
  readonly tenantId: string;
  /** `X-Microsoft-Skype-Message-Id`, when Graph sent one. */
  readonly messageId: string | undefined;
  readonly notifications: readonly ClassifiedNotification[];
  /** Where the tolerant parser normalised what Graph sent (a capitalised status, a code sent as a string, …). */
  readonly normalised: readonly Issue[];
}

/** An authenticated delivery whose body the parser refused. */
export interface InvalidDelivery {
  readonly tenantId: string;
  readonly messageId: string | undefined;
  /** The body as JSON when it parses, or else as text. */
  readonly body: unknown;
  /** Where it breaks the contract, as JSON Pointers, and which rule. */
  readonly issues: readonly Issue[];
}

/** A delivery the endpoint refused or ignored, and why. */
export interface RefusedDelivery {
  readonly status: number;
  readonly reason: string;
  readonly message: string;
  /** For a body that does not parse: where, as JSON Pointers, and which rule. */
  readonly issues?: readonly Issue[];
}

export interface EndpointOptions {
  readonly authenticator: NotificationAuthenticator;
  /** The path notifications are POSTed to. Default `/api/calls`. */
  readonly path?: string;
  /** The largest body accepted, in bytes. Default 1 MiB: a full roster of hundreds of participants fits. */
  readonly maxBodyBytes?: number;
  /** Records a delivery's message id (as `message:<id>`); false means it was seen before. */
  readonly claimDelivery: (key: string) => Promise<boolean>;
  /** Called after the 202 has been sent. */
  readonly onAccepted: (delivery: AcceptedDelivery) => void;
  /** Called, before the 400, for an authenticated delivery the parser refused, unless it is a duplicate. */
  readonly onInvalid?: (delivery: InvalidDelivery) => void;
  /** Called for each refused request and each duplicate. */
  readonly onRefused?: (refusal: RefusedDelivery) => void;
  readonly onError?: (error: unknown) => void;
}

export type RequestHandler = (request: IncomingMessage, response: ServerResponse) => void;

export const defaultMaxBodyBytes = 1024 * 1024;

export function createNotificationHandler(options: EndpointOptions): RequestHandler {
  const path = options.path ?? "/api/calls";
  const maxBodyBytes = options.maxBodyBytes ?? defaultMaxBodyBytes;

  const refuse = (response: ServerResponse, refusal: RefusedDelivery, headers: Record<string, string> = {}) => {
    options.onRefused?.(refusal);
    const body = JSON.stringify({
      error: {
        code: refusal.reason,
        message: refusal.message,
        ...(refusal.issues !== undefined && {
          details: refusal.issues.map(({ pointer, code, message }) => ({ target: pointer, code, message })),
        }),
      },
    });
    if (!response.headersSent) {
      response.writeHead(refusal.status, {
        "Content-Type": "application/json; charset=utf-8",
        "Content-Length": Buffer.byteLength(body),
        ...headers,
      });
    }
    response.end(body);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    // The path as sent, without parsing the whole target: Node accepts targets such as `//host:99999/` that URL
    // refuses.
    const [pathname] = (request.url ?? "/").split("?", 1);
    if (pathname !== path) {
      return refuse(
        response,
        { status: 404, reason: "notFound", message: `Notifications go to ${path}.` },
        { Connection: "close" },
      );
    }
    if (request.method !== "POST") {
      return refuse(
        response,
        { status: 405, reason: "methodNotAllowed", message: "Notifications are POSTed." },
        { Allow: "POST", Connection: "close" },
      );
    }
    // The body is not read before the caller is known. A refusal closes the connection, so that Node does not read
    // and discard an unauthenticated body to keep the connection alive.
    const auth = await options.authenticator.authenticate(request.headers.authorization);
    if (!auth.ok) return refuse(response, refusalOf(auth), authHeaders(auth));

    if (!isJson(request.headers["content-type"])) {
      return refuse(
        response,
        {
          status: 415,
          reason: "unsupportedMediaType",
          message: "Notifications are application/json in UTF-8.",
        },
        { Connection: "close" },
      );
    }
    const body = await readBounded(request, maxBodyBytes);
    if (body === undefined) {
      return refuse(
        response,
        { status: 413, reason: "payloadTooLarge", message: `The body is larger than ${maxBodyBytes} bytes.` },
        { Connection: "close" },
      );
    }
    // Graph names each delivery with a message id and keeps it when it delivers again. Without one, nothing tells a
    // repeat from a new notification with the same content (a roster that goes back to an earlier list), so the
    // delivery is processed: rosters and operations ignore a state they already hold.
    const messageId = headerValue(request.headers["x-microsoft-skype-message-id"]);
    const first = messageId === undefined || (await options.claimDelivery(`message:${messageId}`));
    const parsed = parseNotifications(body, { mode: "tolerant" });
    if (!parsed.ok) {
      const [issue] = parsed.errors;
      // Graph does not deliver a refused notification again: what an authenticated sender sent is kept, with why it
      // was refused, so that a payload the contract does not foresee is not lost.
      if (first) {
        options.onInvalid?.({ tenantId: auth.tenantId, messageId, body: readable(body), issues: parsed.errors });
      }
      return refuse(response, {
        status: 400,
        reason: "invalidNotification",
        message: `The body is not a commsNotifications payload: ${issue?.pointer || "(root)"}: ${issue?.message ?? "invalid"}`,
        issues: parsed.errors,
      });
    }
    response.writeHead(202, { "Content-Length": 0 }).end();
    if (!first) {
      options.onRefused?.({
        status: 202,
        reason: "duplicate",
        message: `The delivery with message id ${messageId} was processed before.`,
      });
      return;
    }
    options.onAccepted({
      tenantId: auth.tenantId,
      messageId,
      notifications: parsed.notifications,
      normalised: parsed.warnings,
    });
  };

  return (request, response) => {
    handle(request, response).catch((error: unknown) => {
      // A sender that hangs up before the answer is not the bot's failure, and there is nobody left to answer. Node
      // then destroys the request with ECONNRESET, even one whose body has arrived but has not been read to its end.
      if (request.destroyed && (error as { code?: unknown } | null)?.code === "ECONNRESET") {
        options.onRefused?.({
          status: 499,
          reason: "clientClosedRequest",
          message: "The sender closed the connection before the answer.",
        });
        return;
      }
      options.onError?.(error);
      if (!response.headersSent) response.writeHead(500, { Connection: "close" });
      response.end();
    });
  };
}

function refusalOf(auth: Extract<AuthResult, { ok: false }>): RefusedDelivery {
  return { status: auth.status, reason: auth.reason, message: auth.message };
}

function authHeaders(auth: Extract<AuthResult, { ok: false }>): Record<string, string> {
  if (auth.status === 401) {
    // RFC 6750: a request that sent no credentials gets the challenge alone, without an error code.
    const challenge =
      auth.reason === "missing-token" ? "Bearer" : `Bearer error="invalid_token", error_description="${auth.reason}"`;
    return { "WWW-Authenticate": challenge, Connection: "close" };
  }
  // Graph retries a notification that met a 5xx; the keys are likely back by then.
  if (auth.status === 503) return { "Retry-After": "5", Connection: "close" };
  return { Connection: "close" };
}

/** `application/json`, with no charset or with UTF-8's. */
function isJson(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const [mediaType, ...parameters] = contentType.split(";").map((part) => part.trim().toLowerCase());
  if (mediaType !== "application/json") return false;
  return parameters.every((parameter) => !parameter.startsWith("charset=") || /^charset="?utf-8"?$/.test(parameter));
}

/** The body as JSON if it parses, else as text (lossy only for bytes that are not UTF-8). */
function readable(body: Buffer): unknown {
  const text = body.toString("utf8");
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === "" ? undefined : first;
}

/** The body's bytes, or undefined once it passes `limit`; the rest of an oversized body is read and discarded. */
async function readBounded(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(request.headers["content-length"]);
  if (declared > limit) {
    request.resume();
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
  }
  return size > limit ? undefined : Buffer.concat(chunks, size);
}
