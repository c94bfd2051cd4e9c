// Generated from openapi/graph-invite.yaml by scripts/generate.mjs. Do not edit: run `pnpm generate`.

/**
 * One error as ajv's generated code reports it. Its messages are not compiled in (src/schema-errors.ts writes
 * them), nor its schema paths (see scripts/generate.mjs).
 */
export interface SchemaError {
  /** A JSON Pointer to the value that failed, in the data validated (`""` for the whole). */
  instancePath: string;
  /** The JSON Schema keyword that failed, such as `required`, `type` or `pattern`. */
  keyword: string;
  /** The keyword's details, as ajv names them (for example `missingProperty` for `required`). */
  params: Record<string, unknown>;
}

/** A validator that ajv generated ahead of time: true when the data matches, otherwise its errors. */
export interface CompiledValidator {
  /** Checks `data`; when it returns false, {@link CompiledValidator.errors} holds why. */
  (data: unknown): boolean;
  /** The errors of the last call that returned false. */
  errors?: SchemaError[] | null;
}

/** A value of an evolvable enum that tolerant mode accepted although the spec does not list it as sent. */
export interface EnumNote {
  /** Where, in the data validated. */
  readonly pointer: string;
  readonly value: string;
  /** The member it was rewritten to, when it is one in another casing. */
  readonly member: string | undefined;
  readonly known: readonly string[];
}

/**
 * Runs a validator in a mode: `strict` checks the exact contract, `tolerant` what a bot should accept. With
 * `notes`, tolerant mode records each unlisted enum value there and rewrites a known member's casing in `data`.
 */
export declare function runInMode(
  mode: "strict" | "tolerant",
  validator: CompiledValidator,
  data: unknown,
  notes?: EnumNote[],
): boolean;

export declare const anyCommsOperation: CompiledValidator;
export declare const anyIdentity: CompiledValidator;
export declare const anyIdentitySet: CompiledValidator;
export declare const appHostedMediaConfig: CompiledValidator;
export declare const azureCommunicationServicesUserIdentity: CompiledValidator;
export declare const call: CompiledValidator;
export declare const callDirection: CompiledValidator;
export declare const callMediaState: CompiledValidator;
export declare const callOptions: CompiledValidator;
export declare const callRoute: CompiledValidator;
export declare const callState: CompiledValidator;
export declare const callTranscriptionInfo: CompiledValidator;
export declare const callTranscriptionState: CompiledValidator;
export declare const changeType: CompiledValidator;
export declare const chatInfo: CompiledValidator;
export declare const clientContext: CompiledValidator;
export declare const commsNotification: CompiledValidator;
export declare const commsNotifications: CompiledValidator;
export declare const commsNotificationsEnvelope: CompiledValidator;
export declare const commsOperation: CompiledValidator;
export declare const communicationsApplicationIdentity: CompiledValidator;
export declare const communicationsApplicationInstanceIdentity: CompiledValidator;
export declare const communicationsEncryptedIdentity: CompiledValidator;
export declare const communicationsGuestIdentity: CompiledValidator;
export declare const communicationsIdentitySet: CompiledValidator;
export declare const communicationsPhoneIdentity: CompiledValidator;
export declare const communicationsUserIdentity: CompiledValidator;
export declare const deltaParticipants: CompiledValidator;
export declare const endpointType: CompiledValidator;
export declare const errorDetails: CompiledValidator;
export declare const identity: CompiledValidator;
export declare const identityDisplayName: CompiledValidator;
export declare const identityId: CompiledValidator;
export declare const identitySet: CompiledValidator;
export declare const incomingCallOptions: CompiledValidator;
export declare const incomingContext: CompiledValidator;
export declare const innerError: CompiledValidator;
export declare const invitationParticipantInfo: CompiledValidator;
export declare const inviteParticipantsOperation: CompiledValidator;
export declare const invitePostRequestBody: CompiledValidator;
export declare const joinMeetingIdMeetingInfo: CompiledValidator;
export declare const mainError: CompiledValidator;
export declare const mediaConfig: CompiledValidator;
export declare const mediaDirection: CompiledValidator;
export declare const mediaInfo: CompiledValidator;
export declare const mediaState: CompiledValidator;
export declare const mediaStream: CompiledValidator;
export declare const meetingInfo: CompiledValidator;
export declare const modality: CompiledValidator;
export declare const nullableIdentity: CompiledValidator;
export declare const nullablePhoneIdentity: CompiledValidator;
export declare const nullableResultInfo: CompiledValidator;
export declare const odataError: CompiledValidator;
export declare const onlineMeetingRestricted: CompiledValidator;
export declare const operationId: CompiledValidator;
export declare const operationStatus: CompiledValidator;
export declare const organizerMeetingInfo: CompiledValidator;
export declare const outgoingCallOptions: CompiledValidator;
export declare const participant: CompiledValidator;
export declare const participantInfo: CompiledValidator;
export declare const recordingInfo: CompiledValidator;
export declare const recordingStatus: CompiledValidator;
export declare const removedState: CompiledValidator;
export declare const resultInfo: CompiledValidator;
export declare const routingType: CompiledValidator;
export declare const serviceHostedMediaConfig: CompiledValidator;
export declare const tokenMeetingInfo: CompiledValidator;
export declare const tone: CompiledValidator;
export declare const toneInfo: CompiledValidator;

/** Every validator by its schema's name. */
export declare const validatorsByName: Readonly<Record<string, CompiledValidator>>;
