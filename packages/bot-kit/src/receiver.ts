// The notification receiver, apart from any HTTP stack: it authenticates from the headers before it reads the body,
// bounds the body, parses it with the validator's tolerant parser, drops duplicate deliveries, and decides the answer.
// What was accepted is handed on only after that answer is decided, and processed on a later turn of the event loop,
// so that Graph's delivery never waits on the bot's work. The Web-standard handler and the node:http adapter are two
// thin readings of one request into this.
import {
  type ClassifiedNotification,
  type Issue,
  parseNotifications,
  type RejectedNotification,
} from "@graph-invite/validator";
import type { AuthResult, CallbackAuthenticator } from "./auth/authenticator.js";
import { firstIssue } from "./parser-issues.js";
import { type RefusedDelivery, settingOfReason } from "./refusals.js";

export type { RefusedDelivery } from "./refusals.js";

/** A delivery the receiver accepted: authenticated, parsed, and not seen before. */
export interface AcceptedDelivery {
  /** The tenant the delivery's token was issued for (its `tid` claim): whose call the notifications are about. */
  readonly tenantId: string;
  /** `X-Microsoft-Skype-Message-Id`, when Graph sent one. */
  readonly messageId: string | undefined;
  /** The delivery's notifications that could be read, in order, each classified (operation, roster, call, other). */
  readonly notifications: readonly ClassifiedNotification[];
  /**
   * The notifications of the delivery that could not be read, each with its pointer and errors. Their siblings are
   * processed all the same; the bot keeps each of these in `unmatched()`.
   */
  readonly rejected: readonly RejectedNotification[];
  /** Where the tolerant parser normalised what Graph sent (a capitalised status, a code sent as a string, …). */
  readonly normalised: readonly Issue[];
}

/** An authenticated delivery whose body the parser refused. */
export interface InvalidDelivery {
  /** The tenant the delivery's token was issued for (its `tid` claim). */
  readonly tenantId: string;
  /** `X-Microsoft-Skype-Message-Id`, when Graph sent one. */
  readonly messageId: string | undefined;
  /** The body as received, as UTF-8 text (bytes that are not UTF-8 become U+FFFD): kept whatever its shape or depth. */
  readonly body: string;
  /** Where it breaks the contract, as JSON Pointers, and which rule. */
  readonly issues: readonly Issue[];
}

/** A delivery Graph sent again, with the message id of one processed before: acknowledged with 202, not processed. */
export interface DuplicateDelivery {
  /** The tenant the delivery's token was issued for (its `tid` claim). */
  readonly tenantId: string;
  /** `X-Microsoft-Skype-Message-Id`, the same as the delivery processed before: how it was known as a repeat. */
  readonly messageId: string;
}

/** One HTTP request as the receiver reads it, whatever server carries it. */
export interface IncomingDelivery {
  /** The HTTP method: only `POST` is accepted (anything else gets 405). */
  readonly method: string;
  /** A header's value by its lower-case name; the first, when it came more than once. */
  header(name: string): string | undefined;
  /**
   * The body's bytes, or undefined once they pass `limit`. Called at most once, and only after authentication;
   * a body that is never read is never consumed.
   */
  readBody(limit: number): Promise<Uint8Array | undefined>;
  /**
   * True when something in front of the receiver (a body parser) has read the body already: the receiver cannot check
   * what it never sees, so it refuses with 500 `bodyAlreadyRead`.
   */
  readonly bodyAlreadyRead?: boolean;
}

/** What to answer. `close` asks the server to close the connection rather than read an unwanted body. */
export interface ReceiverAnswer {
  /** The HTTP status: 202 for an accepted or duplicate delivery, else the refusal's. */
  readonly status: number;
  /** The headers to send, such as `Content-Type`, `WWW-Authenticate`, `Retry-After` or `Allow`. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body: empty for 202, a Graph-style JSON error (`{"error": {"code", "message"}}`) for a refusal. */
  readonly body: string;
  /** True to close the connection after the answer rather than read and discard a body the receiver did not read. */
  readonly close: boolean;
}

export interface ReceiverOptions {
  readonly authenticator: CallbackAuthenticator;
  /** The largest body accepted, in bytes. Default {@link defaultMaxBodyBytes}. */
  readonly maxBodyBytes?: number;
  /** Records a delivery's message id (as `message:<id>`); false means it was seen before. */
  readonly claimDelivery: (key: string, body: Uint8Array) => Promise<boolean>;
  /** Called once the answer (202) is decided; the receiver's user processes it on a later turn. */
  readonly onAccepted: (delivery: AcceptedDelivery) => void;
  /** Called, before the 400, for an authenticated delivery the parser refused, unless it is a duplicate. */
  readonly onInvalid?: (delivery: InvalidDelivery) => void;
  /** Called for each refused request. */
  readonly onRefused?: (refusal: RefusedDelivery) => void;
  /** Called for each delivery with the message id of one seen before: answered 202, not processed. */
  readonly onDuplicate?: (duplicate: DuplicateDelivery) => void;
  /**
   * A secret of this bot's: a request that carries it in the {@link selfCheckHeader} is the bot's own self-check, and
   * its refusal is not reported. Nothing else changes for it.
   */
  readonly selfCheckToken?: string;
  /** False once the bot is closing: new deliveries get 503 with Retry-After, so that Graph delivers them again. */
  readonly accepting?: () => boolean;
}

/** The header the self-check's request carries its bot's {@link ReceiverOptions.selfCheckToken} in. */
export const selfCheckHeader = "x-bot-kit-self-check";

/** 1 MiB: a full roster of hundreds of participants fits, with room to spare. */
export const defaultMaxBodyBytes = 1024 * 1024;

/** The receiver: answers one request, whatever server carries it. HTTP adapters call it. */
export type Receive = (request: IncomingDelivery) => Promise<ReceiverAnswer>;

const accepted: ReceiverAnswer = { status: 202, headers: {}, body: "", close: false };
const utf8 = new TextDecoder("utf-8");

/** The receiver, over its authenticator and the callbacks that take what it accepts and report what it refuses. */
export function createReceiver(options: ReceiverOptions): Receive {
  const maxBodyBytes = options.maxBodyBytes ?? defaultMaxBodyBytes;

  return async (request) => {
    // The bot's own self-check is answered as anyone else, but is not reported as a refusal.
    const selfCheck =
      options.selfCheckToken !== undefined && request.header(selfCheckHeader) === options.selfCheckToken;
    const refuse = (refusal: RefusedDelivery, headers: Record<string, string> = {}, close = true): ReceiverAnswer => {
      if (!selfCheck) options.onRefused?.(refusal);
      return refusalAnswer(refusal, headers, close);
    };
    const upfront = refusedUpfront(request, options);
    if (upfront !== undefined) return refuse(upfront.refusal, upfront.headers);
    // The body is not read before the caller is known. A refusal closes the connection, so that the server does not
    // read and discard an unauthenticated body to keep the connection alive.
    const auth = await options.authenticator.authenticate(request.header("authorization"));
    if (!auth.ok) return refuse(refusalOf(auth), authHeaders(auth));
    if (!isJson(request.header("content-type"))) {
      return refuse({
        status: 415,
        reason: "unsupportedMediaType",
        message: "Notifications are application/json in UTF-8.",
      });
    }
    const declared = Number(request.header("content-length"));
    const body = declared > maxBodyBytes ? undefined : await request.readBody(maxBodyBytes);
    if (body === undefined) {
      return refuse({
        status: 413,
        reason: "payloadTooLarge",
        message: `The body is larger than ${maxBodyBytes} bytes.`,
      });
    }
    // Graph names each delivery with a message id and keeps it when it delivers again. Without one, nothing tells a
    // repeat from a new notification with the same content (a roster that goes back to an earlier list), so the
    // delivery is processed: rosters and operations ignore a state they already hold.
    const messageId = nonEmpty(request.header("x-microsoft-skype-message-id"));
    const first = messageId === undefined || (await options.claimDelivery(deliveryKey(messageId), body));
    // Each notification is read on its own: the delivery is refused only when its envelope is unusable or none of its
    // notifications is, and otherwise acknowledged with the unreadable ones kept (see AcceptedDelivery.rejected).
    const parsed = parseNotifications(body, { mode: "tolerant" });
    if (!parsed.ok) {
      // Graph does not deliver a refused notification again: what an authenticated sender sent is kept, as the text
      // it sent, with why it was refused, so that a payload the contract does not foresee is not lost.
      if (first) {
        options.onInvalid?.({ tenantId: auth.tenantId, messageId, body: utf8.decode(body), issues: parsed.errors });
      }
      return refuse(
        {
          status: 400,
          reason: "invalidNotification",
          message: `The body is not a commsNotifications payload: ${firstIssue(parsed.errors)}`,
          issues: parsed.errors,
        },
        {},
        false,
      );
    }
    if (!first) {
      options.onDuplicate?.({ tenantId: auth.tenantId, messageId: messageId as string });
      return accepted;
    }
    options.onAccepted({
      tenantId: auth.tenantId,
      messageId,
      notifications: parsed.notifications,
      rejected: parsed.rejected,
      normalised: parsed.warnings,
    });
    return accepted;
  };
}

/** Why a request is refused before its sender is known: not a POST, the bot shutting down, or a body read already. */
function refusedUpfront(
  request: IncomingDelivery,
  options: ReceiverOptions,
): { readonly refusal: RefusedDelivery; readonly headers: Record<string, string> } | undefined {
  if (request.method !== "POST") {
    return {
      refusal: { status: 405, reason: "methodNotAllowed", message: "Notifications are POSTed." },
      headers: { Allow: "POST" },
    };
  }
  if (options.accepting?.() === false) {
    return {
      refusal: { status: 503, reason: "shuttingDown", message: "The bot is shutting down; deliver again later." },
      headers: { "Retry-After": "5" },
    };
  }
  if (request.bodyAlreadyRead === true) {
    return {
      refusal: {
        status: 500,
        reason: "bodyAlreadyRead",
        message:
          "The body was read before the bot's handler, by a body parser in front of it (such as express.json() or a framework that parses bodies): mount the bot's handler before any body parser, so that it authenticates before it reads.",
      },
      headers: {},
    };
  }
  return undefined;
}

/** A Graph-style error body: `{"error": {"code", "message", "details"}}`. */
export function refusalAnswer(
  refusal: RefusedDelivery,
  headers: Record<string, string> = {},
  close = true,
): ReceiverAnswer {
  const body = JSON.stringify({
    error: {
      code: refusal.reason,
      message: refusal.message,
      ...(refusal.issues !== undefined && {
        details: refusal.issues.map(({ pointer, code, message }) => ({ target: pointer, code, message })),
      }),
    },
  });
  return {
    status: refusal.status,
    headers: { "Content-Type": "application/json; charset=utf-8", ...headers },
    body,
    close,
  };
}

function refusalOf(auth: Extract<AuthResult, { ok: false }>): RefusedDelivery {
  const setting = settingOfReason[auth.reason];
  return {
    status: auth.status,
    reason: auth.reason,
    message: auth.message,
    ...(auth.detail !== undefined && { detail: auth.detail }),
    ...(setting !== undefined && { setting }),
  };
}

function authHeaders(auth: Extract<AuthResult, { ok: false }>): Record<string, string> {
  if (auth.status === 401) {
    // RFC 6750: a request that sent no credentials gets the challenge alone, without an error code.
    const challenge =
      auth.reason === "missing-token" ? "Bearer" : `Bearer error="invalid_token", error_description="${auth.reason}"`;
    return { "WWW-Authenticate": challenge };
  }
  // Graph retries a notification that met a 5xx; the keys are likely back by then.
  if (auth.status === 503) return { "Retry-After": "5" };
  return {};
}

/** `application/json`, with no charset or with UTF-8's. */
function isJson(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const [mediaType, ...parameters] = contentType.split(";").map((part) => part.trim().toLowerCase());
  if (mediaType !== "application/json") return false;
  return parameters.every((parameter) => !parameter.startsWith("charset=") || /^charset="?utf-8"?$/.test(parameter));
}

/** The key a delivery is claimed by: Graph's message id, which a delivery sent again keeps. */
export function deliveryKey(messageId: string): string {
  return `message:${messageId}`;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
