import type { InvitationParticipantInfo, InviteParticipantsOperation, OdataError, paths } from "@graph-invite/types";
import type { Client } from "openapi-fetch";
import { describe, expectTypeOf, it } from "vitest";
import {
  type AccessToken,
  createInviteClient,
  type InviteClient,
  type InviteError,
  type InviteResult,
  inviteBody,
  phoneParticipant,
  type TokenCredential,
  userParticipant,
  type ValidationIssue,
} from "../src/index.js";

declare const client: InviteClient;

/** The `TokenCredential` of `@azure/core-auth` 1.10, copied from its declarations, with a credential of that type. */
interface AzureAbortSignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(
    type: "abort",
    listener: (this: AzureAbortSignalLike, ev: unknown) => unknown,
    options?: unknown,
  ): void;
  removeEventListener(
    type: "abort",
    listener: (this: AzureAbortSignalLike, ev: unknown) => unknown,
    options?: unknown,
  ): void;
}
interface AzureGetTokenOptions {
  abortSignal?: AzureAbortSignalLike;
  requestOptions?: { timeout?: number };
  tracingOptions?: { tracingContext?: unknown };
  claims?: string;
  enableCae?: boolean;
  tenantId?: string;
  proofOfPossessionOptions?: { nonce: string; resourceRequestMethod: string; resourceRequestUrl: string };
}
interface AzureAccessToken {
  token: string;
  expiresOnTimestamp: number;
  refreshAfterTimestamp?: number;
  tokenType?: "Bearer" | "pop";
}
declare class ClientSecretCredential {
  constructor(tenantId: string, clientId: string, clientSecret: string, options?: { authorityHost?: string });
  getToken(scopes: string | string[], options?: AzureGetTokenOptions): Promise<AzureAccessToken>;
}

describe("credentials", () => {
  it("an @azure/identity credential plugs in as it is", () => {
    expectTypeOf<ClientSecretCredential>().toExtend<TokenCredential>();
    createInviteClient({ credential: new ClientSecretCredential("tenant", "app", "secret") });
  });

  it("so does an async function returning a string or an AccessToken", () => {
    createInviteClient({ credential: async () => "token" });
    createInviteClient({
      credential: async ({ scope }): Promise<AccessToken> => ({ token: scope, expiresOnTimestamp: 0 }),
    });
    // @ts-expect-error a synchronous function is not a credential
    createInviteClient({ credential: () => "token" });
  });

  it("the China cloud is not a cloud the options accept", () => {
    // @ts-expect-error the action is not available in China (21Vianet)
    expectTypeOf(() => createInviteClient({ cloud: "china", credential: async () => "t" })).toBeFunction();
  });
});

describe("results", () => {
  it("narrow on ok, then on error.kind", async () => {
    const result = await client.invite("call", inviteBody(userParticipant("u")));
    expectTypeOf(result).toEqualTypeOf<InviteResult>();
    if (result.ok) {
      expectTypeOf(result.operation).toEqualTypeOf<InviteParticipantsOperation | null>();
      expectTypeOf(result.operationId).toEqualTypeOf<string | null>();
      // @ts-expect-error a success has no error
      expectTypeOf(result.error).toBeUnknown();
      return;
    }
    expectTypeOf(result.error).toEqualTypeOf<InviteError>();
    expectTypeOf(result.clientContext).toBeString();
    switch (result.error.kind) {
      case "graph":
        expectTypeOf(result.error.status).toBeNumber();
        expectTypeOf(result.error.retryAfter).toEqualTypeOf<number | null>();
        expectTypeOf(result.error.body).toEqualTypeOf<OdataError | null>();
        break;
      case "validation":
        expectTypeOf(result.error.issues[0]?.message).toEqualTypeOf<string | undefined>();
        break;
      case "network":
      case "timeout":
      case "abort":
      case "credential":
        expectTypeOf(result.error.ambiguous).toBeBoolean();
        // @ts-expect-error only Graph errors have a status
        expectTypeOf(result.error.status).toBeNumber();
        break;
      default:
        expectTypeOf(result.error).toBeNever();
    }
  });
});

describe("validation hook", () => {
  it("takes the issues of @graph-invite/validator as they are", () => {
    // The validator's `Issue`, copied from its declarations.
    interface ValidatorIssue {
      readonly pointer: string;
      readonly code: string;
      readonly message: string;
    }
    expectTypeOf<ValidatorIssue>().toExtend<ValidationIssue>();
    createInviteClient({ credential: async () => "t", validate: (): readonly ValidatorIssue[] => [] });
  });
});

describe("bodies", () => {
  it("builders return invitationParticipantInfo", () => {
    expectTypeOf(userParticipant("u")).toEqualTypeOf<InvitationParticipantInfo>();
    expectTypeOf(phoneParticipant).parameters.toEqualTypeOf<
      [number: string, details?: import("../src/index.js").IdentityDetails]
    >();
  });

  it("invite rejects bodies that do not match the spec", () => {
    // @ts-expect-error participants is required
    void client.invite("call", { clientContext: "c" });
    // @ts-expect-error identity is required on each participant
    void client.invite("call", { participants: [{ replacesCallId: "x" }] });
    // @ts-expect-error a wrong @odata.type on the identity set
    void client.invite("call", { participants: [{ identity: { "@odata.type": "#microsoft.graph.identity" } }] });
  });

  it("the typed api client is openapi-fetch's, for the spec's paths", () => {
    expectTypeOf(client.api).toEqualTypeOf<Client<paths>>();
  });
});
