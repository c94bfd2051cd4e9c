// The part of the application that runs anywhere fetch does: check an invite, send it, and read Graph's
// notifications until the one that ends the invite arrives. It uses all three libraries' public APIs, typed.
import { type Credential, createInviteClient, inviteBody, userParticipant } from "@graph-invite/client";
import type { CommsNotificationsBody, InviteParticipantsRequest } from "@graph-invite/types";
import {
  type CanonicalOperationStatus,
  type Issue,
  parseNotifications,
  validateInviteRequest,
} from "@graph-invite/validator";

export interface InviteFlow {
  /** Graph's base URL, ending in `/v1.0`. */
  readonly graphUrl: string;
  readonly credential: Credential;
  readonly callId: string;
  /** The user to invite. */
  readonly userId: string;
  /** Resolves to the body of the next request that reached the bot's notification endpoint, as text. */
  readonly nextNotification: () => Promise<string>;
}

export interface FlowReport {
  /** Null if Graph answered without naming the operation. */
  readonly operationId: string | null;
  readonly clientContext: string;
  /** The status in the invite's response, and in the notification that ended it. */
  readonly answered: string;
  readonly ended: CanonicalOperationStatus;
  /** The kinds of the notifications read before that one, in order. */
  readonly notificationsRead: readonly string[];
  /** The terminal notification's body, as Graph sent it. */
  readonly terminalBody: CommsNotificationsBody;
}

const describe = (issues: readonly Issue[]) => issues.map((issue) => `${issue.pointer} ${issue.code}`).join("; ");

export async function inviteAndWait(flow: InviteFlow): Promise<FlowReport> {
  const body: InviteParticipantsRequest = inviteBody(userParticipant(flow.userId, { displayName: "Adele Vance" }));
  const checked = validateInviteRequest(body, { callKind: "group" });
  if (!checked.ok) {
    throw new Error(`the invite breaks a rule: ${describe(checked.errors)}`);
  }

  const client = createInviteClient({ baseUrl: flow.graphUrl, credential: flow.credential });
  const invited = await client.invite(flow.callId, body);
  if (!invited.ok) {
    throw new Error(`the invite failed: ${invited.error.kind}: ${invited.error.message}`);
  }

  const notificationsRead: string[] = [];
  for (;;) {
    const text = await flow.nextNotification();
    // Strict mode: what the simulator sends must match the contract exactly.
    const parsed = parseNotifications(text, { mode: "strict" });
    if (!parsed.ok) {
      throw new Error(`a notification breaks the contract: ${describe(parsed.errors)}`);
    }
    for (const notification of parsed.notifications) {
      // The client context is what ties a notification to the invite: Graph may send the operation id as null.
      const ends =
        notification.kind === "operation" &&
        notification.clientContext === invited.clientContext &&
        (notification.status === "completed" || notification.status === "failed");
      if (ends) {
        return {
          operationId: invited.operationId,
          clientContext: invited.clientContext,
          answered: invited.operation?.status ?? "",
          ended: notification.status,
          notificationsRead,
          terminalBody: parsed.value,
        };
      }
      notificationsRead.push(notification.kind);
    }
  }
}

/** A credential for the OAuth 2.0 client-credentials grant, with fetch and nothing else. */
export function clientCredentials(tokenUrl: string, clientId: string, clientSecret: string): Credential {
  return async ({ scope }) => {
    const response = await fetch(tokenUrl, {
      method: "POST",
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: clientId,
        client_secret: clientSecret,
        scope,
      }),
    });
    const token = (await response.json()) as { access_token?: string; expires_in?: number };
    if (!response.ok || token.access_token === undefined) {
      throw new Error(`the token endpoint answered ${response.status}`);
    }
    return { token: token.access_token, expiresOnTimestamp: Date.now() + (token.expires_in ?? 0) * 1000 };
  };
}
