import type { InviteParticipantsOperation, InviteParticipantsRequest, paths } from "@graph-invite/types";
import createClient, { type Client } from "openapi-fetch";
import { type GraphCloud, resolveCloud } from "./clouds.js";
import { type Credential, createTokenSource } from "./credentials.js";
import { type InviteError, toGraphError, toRequestFailure, type ValidationIssue } from "./errors.js";
import type { RetryOptions } from "./retry.js";
import { createTransport } from "./transport.js";

/** How to build an {@link InviteClient}. */
export interface InviteClientOptions {
  /** A `TokenCredential` (such as `@azure/identity`'s `ClientSecretCredential`) or an async token function. */
  credential: Credential;
  /** The national cloud. Default `"global"`. China (21Vianet) is refused: the action is not available there. */
  cloud?: GraphCloud;
  /** Another Graph root, such as a proxy or a local stand-in; it replaces the cloud's base URL. */
  baseUrl?: string;
  /** The token scope; defaults to the `.default` scope of `cloud`. */
  scope?: string;
  /** Retries of 429 and 503 responses. */
  retry?: RetryOptions;
  /** How long one attempt may take, answer body included, in milliseconds. Default 30 000. */
  timeoutMs?: number;
  /** Checks a body before it is sent; if it reports an issue that is not a warning, nothing is sent. */
  validate?: (body: InviteParticipantsRequest) => readonly ValidationIssue[] | Promise<readonly ValidationIssue[]>;
  /** The `fetch` that sends each attempt. Default `globalThis.fetch`. */
  fetch?: (request: Request) => Promise<Response>;
}

/** Per-call options of {@link InviteClient.invite}. */
export interface InviteOptions {
  /** Cancels the request, its token fetch and any wait between retries. */
  signal?: AbortSignal;
}

/** Graph accepted the invite. Its outcome arrives later as a notification at the call's callback URL. */
export interface InviteSuccess {
  /** True: Graph accepted the invite. */
  ok: true;
  /** The operation Graph created; `null` if Graph answered without a body. */
  operation: InviteParticipantsOperation | null;
  /** The operation's id, from its body or else from the `Location` path. */
  operationId: string | null;
  /** The `Location` header: the URI of the operation. */
  location: string | null;
  /** The `request-id` header, to quote to Microsoft. */
  requestId: string | null;
  /** The client context that was sent (the caller's, or one the client generated). */
  clientContext: string;
}

/** The invite failed, or its outcome is unknown (see {@link InviteError} `ambiguous`). */
export interface InviteFailure {
  /** False: the invite failed or its outcome is unknown. */
  ok: false;
  /** Why; narrow it on `kind`. */
  error: InviteError;
  /** The client context that was sent, to match later notifications against. */
  clientContext: string;
}

/** What {@link InviteClient.invite} resolves to. It never rejects. */
export type InviteResult = InviteSuccess | InviteFailure;

/** A client for `participant: invite`. */
export interface InviteClient {
  /**
   * Invites participants into the call `callId`. HTTP errors, network failures, timeouts, aborts, credential and
   * validation failures all come back as `{ ok: false, error }`, discriminated by `error.kind`.
   */
  invite(callId: string, body: InviteParticipantsRequest, options?: InviteOptions): Promise<InviteResult>;
  /**
   * The typed openapi-fetch client for every path of the spec, with the same credentials, timeouts and retries.
   * Failures without an HTTP answer reject with a `RequestFailure`.
   */
  readonly api: Client<paths>;
  /** The Graph root requests go to. */
  readonly baseUrl: string;
  /** The scope tokens are requested for. */
  readonly scope: string;
}

// Graph documents the context as unique per request; it is also what correlates the invite with its notifications.
// randomUUID is missing outside secure contexts (a browser page on plain http).
const newClientContext = (): string =>
  globalThis.crypto?.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;

/**
 * Builds a client for one cloud and credential.
 *
 * @throws Error when the cloud is China (21Vianet) or unknown.
 */
export function createInviteClient(options: InviteClientOptions): InviteClient {
  const { baseUrl, scope } = resolveCloud(options.cloud, options.baseUrl, options.scope);
  const api = createClient<paths>({
    baseUrl,
    fetch: createTransport({
      // Called through a closure: browsers reject a `fetch` detached from its global ("Illegal invocation").
      fetch: options.fetch ?? ((request) => fetch(request)),
      tokens: createTokenSource(options.credential, scope),
      retry: options.retry ?? {},
      timeoutMs: options.timeoutMs ?? 30_000,
    }),
  });

  return {
    api,
    baseUrl,
    scope,
    async invite(callId, body, { signal } = {}) {
      const clientContext = body.clientContext ?? newClientContext();
      const sent = { ...body, clientContext };
      let issues: readonly ValidationIssue[];
      try {
        issues = (await options.validate?.(sent)) ?? [];
      } catch (thrown) {
        issues = [{ message: `the validate hook threw: ${String(thrown)}` }];
      }
      if (issues.some((issue) => issue.severity !== "warning")) {
        const message = `the request body is invalid: ${issues.map((issue) => issue.message).join("; ")}`;
        return { ok: false, clientContext, error: { kind: "validation", message, ambiguous: false, issues } };
      }
      try {
        const { data, error, response } = await api.POST("/communications/calls/{call-id}/participants/invite", {
          params: { path: { "call-id": callId } },
          body: sent,
          signal: signal ?? null,
        });
        if (!response.ok) {
          return { ok: false, clientContext, error: toGraphError(response, error) };
        }
        const location = response.headers.get("Location");
        // openapi-fetch's Readable<> maps every object-like type, and the brand of an evolvable enum's unknown value
        // (UnknownEnumValue) is one; the body is the operation as @graph-invite/types describes it.
        const operation = (data as InviteParticipantsOperation | undefined) ?? null;
        return {
          ok: true,
          operation,
          operationId: data?.id ?? location?.match(/\/operations\/([^/?#]+)/)?.[1] ?? null,
          location,
          requestId: response.headers.get("request-id"),
          clientContext,
        };
      } catch (thrown) {
        const { kind, message, ambiguous, cause } = toRequestFailure(thrown, signal, true);
        return { ok: false, clientContext, error: { kind, message, ambiguous, cause } };
      }
    },
  };
}
