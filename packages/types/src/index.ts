/**
 * Types for the Microsoft Graph `participant: invite` action and the `commsNotifications` a calling bot receives,
 * generated from graph-invite's OpenAPI spec.
 *
 * - `paths`, `webhooks`, `components` and `operations` are the maps openapi-fetch and similar tools consume.
 * - Every schema also has a named type (`InvitationParticipantInfo`, `CommsNotifications`, ...).
 * - Where Graph's `@odata.type` selects a derived type, the `Any*` types (and the abstract `MeetingInfo`,
 *   `CallOptions`, `MediaConfig`) are discriminated unions: narrow them with `ODataTypeOf` or by comparing
 *   `@odata.type`.
 *
 * @packageDocumentation
 */
import type { CommsNotification, components, operations } from "./generated/openapi.js";

export type * from "./generated/openapi.js";

/** The JSON body of `POST /communications/calls/{call-id}/participants/invite`. */
export type InviteParticipantsRequest = operations["inviteParticipants"]["requestBody"]["content"]["application/json"];

/**
 * The invite's request body under the name of the spec's schema, which Graph's generated SDKs use too. This local
 * declaration shadows the generated one, so that the body has one name here.
 *
 * @deprecated Use {@link InviteParticipantsRequest}, the same type.
 */
export type InvitePostRequestBody = InviteParticipantsRequest;

/** The JSON body of a successful (200) invite: the operation that tracks it. */
export type InviteParticipantsResponse =
  operations["inviteParticipants"]["responses"]["200"]["content"]["application/json"];

/** The JSON body Graph sends with a 4XX or 5XX status. */
export type GraphErrorBody = components["schemas"]["odataError"];

/** The JSON body Graph posts to the bot's callback URL. */
export type CommsNotificationsBody =
  operations["receiveCommsNotifications"]["requestBody"]["content"]["application/json"];

/** What a notification says changed: an operation, a call, or a collection of roster participants. */
export type NotificationResourceData = NonNullable<CommsNotification["resourceData"]>;

/** The `@odata.type` values that a union admits, for example every identity kind of `AnyIdentity`. */
export type ODataTypeOf<Union> = Union extends { "@odata.type"?: infer Tag } ? NonNullable<Tag> : never;

/**
 * The member of a union that an `@odata.type` selects. A member whose `@odata.type` is optional (a base type such
 * as `identity`) is also what an object without `@odata.type` is.
 */
export type WithODataType<Union, Tag extends ODataTypeOf<Union>> = Extract<Union, { "@odata.type"?: Tag }>;
