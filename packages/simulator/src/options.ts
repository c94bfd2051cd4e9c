// What a simulator is started with, and the scenario controls that can change while it runs.
import type { AnyIdentitySet, ChatInfo } from "@graph-invite/types";
import type { CallKind } from "@graph-invite/validator";

export type { CallKind };

/** An app registration: the bot's identity towards the token endpoint and the app id its notifications name. */
export interface AppRegistration {
  /** The app's id: the client id of its token requests and the audience of its notification tokens. */
  readonly appId: string;
  /** The client secret its token requests must present. */
  readonly secret: string;
  /** The tenant the app is registered in. */
  readonly tenantId: string;
  /** The application permissions its tokens carry. Default: `Calls.InitiateGroupCall.All`. */
  readonly roles?: readonly string[];
}

/** A user of the tenant's directory. Graph fills in what it knows about an invitee from here. */
export interface DirectoryUser {
  /** The user's object id, which an invite names as the identity's `id`. */
  readonly id: string;
  /** The name Graph fills in on the identities that name the user. */
  readonly displayName?: string;
  /** The user's tenant, which Graph fills in on the identities that name the user. */
  readonly tenantId?: string;
}

/** A call the simulator knows about, as given to {@link SimulatorOptions.calls} or `createCall`. */
export interface CallSeed {
  /** Default: a new UUID. */
  readonly id?: string;
  /** A peer-to-peer call, a group call, or a meeting. */
  readonly kind: CallKind;
  /** Where the call's notifications are POSTed. */
  readonly callbackUri: string;
  /** The app that owns the call, in whose tenant it is; its token is needed to act on it. Default: the first app. */
  readonly appId?: string;
  /** Group calls and meetings have one; generated when not given. Peer-to-peer calls have none. */
  readonly chatInfo?: ChatInfo;
  /** Who is in the call already. The owning bot is not listed unless given here. */
  readonly participants?: readonly SeedParticipant[];
}

/** Someone already in a call when it is created. */
export interface SeedParticipant {
  /** The participant id, which a move names as `participantId`. Default: a new UUID. */
  readonly id?: string;
  /** Who the participant is. */
  readonly identity: AnyIdentitySet;
}

/** How an invitee answers. The invitee is matched by the `id` of any identity in its identity set. */
export type Answer =
  | { readonly kind: "accept"; readonly afterMs?: number }
  | ({ readonly kind: "decline" | "no-answer"; readonly afterMs?: number } & Partial<FailureInfo>);

/** The `resultInfo` of a failed invite. */
export interface FailureInfo {
  /** The `resultInfo.code`, an HTTP-like status such as 408 or 603. */
  readonly code: number;
  /** The `resultInfo.subcode`, Graph's finer reason. */
  readonly subcode: number;
  /** The `resultInfo.message`. */
  readonly message: string;
}

/** An invite request answered with a Graph error instead of being carried out. */
export interface RejectedInvite {
  /** The HTTP status: 429 (throttled) or 503 (unavailable). */
  readonly status: 429 | 503;
  /** The `Retry-After` header, as Graph sends it (seconds, possibly fractional such as `2.128`). None when absent. */
  readonly retryAfter?: string;
}

/** The known ways Graph's real payloads differ from its contract, each of which can be switched on. */
export type Deviation =
  /** Operation statuses capitalised: `Completed`, `Failed`. */
  | "status-casing"
  /** `id: null` on the operation and on every roster participant. */
  | "null-ids"
  /** `resultInfo.code` and `subcode` sent as strings. */
  | "codes-as-strings"
  /** `resourceUrl` on the legacy `/app/calls/…` path. */
  | "app-paths"
  /** Rosters sent on `…/operations/participants`, as the page's example 2 shows. */
  | "roster-on-operations-path"
  /** Properties the contract does not declare: a notification's `callbackUri`, a participant's `publishedStates`. */
  | "undeclared-properties";

/** Every {@link Deviation} the simulator can apply. */
export const deviations: readonly Deviation[] = [
  "status-casing",
  "null-ids",
  "codes-as-strings",
  "app-paths",
  "roster-on-operations-path",
  "undeclared-properties",
];

/** What a notification is about, for the controls that pick notifications. */
export type NotificationKind = "operation" | "roster" | "call";

/** How notifications travel to the bot. */
export interface DeliveryControls {
  /** Waited before each notification is sent. Default 0. */
  readonly delayMs?: number;
  /** Each notification is sent twice, with the same message id. */
  readonly duplicate?: boolean;
  /** The notifications that follow one invite are sent in reverse order. */
  readonly reorder?: boolean;
  /** The operation's terminal notification reaches the bot before the invite's HTTP response does. */
  readonly terminalBeforeResponse?: boolean;
  /** Notifications of these kinds are recorded but never sent. */
  readonly drop?: readonly NotificationKind[];
  /** How many times a notification is tried when the callback fails (5xx, 408, 429 or unreachable). Default 4. */
  readonly maxAttempts?: number;
  /** The wait before the first retry; it doubles with each one. Default 100. */
  readonly retryDelayMs?: number;
}

/** The controls a test sets to make the simulated world behave as it needs. */
export interface Scenario {
  /** How each invitee answers, by identity id. */
  readonly answers?: Readonly<Record<string, Answer>>;
  /** How invitees not named in `answers` answer. Default: accept after 10 ms. */
  readonly defaultAnswer?: Answer;
  /** The next invite requests are answered with these errors, one per request, in order. */
  readonly rejectInvites?: readonly RejectedInvite[];
  /** How notifications travel to the bot: delays, duplicates, reordering, drops and retries. */
  readonly delivery?: DeliveryControls;
  /** Real-world deviations applied to every notification sent. */
  readonly deviations?: readonly Deviation[];
  /** Rosters as the full list of participants (Graph's default) or as `deltaParticipants` with a sequence number. */
  readonly roster?: "full" | "delta";
  /** Each roster participant carries `rosterSequenceNumber`. */
  readonly rosterSequenceNumbers?: boolean;
}

/** How a simulator starts: where it listens, who is registered, which calls exist and how the world behaves. */
export interface SimulatorOptions {
  /** Default 0: any free port. */
  readonly port?: number;
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** Default: one app in a new tenant, with new ids and secret. */
  readonly apps?: readonly AppRegistration[];
  /** The tenant's users, whom Graph fills in on an invite that names only an id. */
  readonly directory?: readonly DirectoryUser[];
  /** The calls that exist from the start. */
  readonly calls?: readonly CallSeed[];
  /** How the world behaves at first; `sim.setScenario` changes it while it runs. */
  readonly scenario?: Scenario;
  /** The `iss` of notification tokens: Graph uses both. Default `https://api.botframework.com`. */
  readonly notificationIssuer?: "https://api.botframework.com" | "https://graph.microsoft.com";
  /**
   * Serve HTTPS with a certificate for the listening host (and `localhost`, `127.0.0.1`, `::1` and the host of
   * `publicUrl`), issued by a certificate authority made at start. Its file is `sim.caCertificatePath`: give it to
   * Node clients as `NODE_EXTRA_CA_CERTS`. Microsoft's clients need this: they refuse http. Default false.
   */
  readonly tls?: boolean;
  /**
   * The origin clients reach the simulator by, when it is not the one it listens on (a proxy, a container's port
   * mapping, a host name): the OpenID metadata, the token `issuer`, the token endpoint, `Location` and `sim.url`
   * name it. Scheme, host and port only, such as `https://graph.localhost:8443`. Default: the listening origin.
   */
  readonly publicUrl?: string;
}
