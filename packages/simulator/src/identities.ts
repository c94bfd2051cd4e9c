// Identity sets as Graph echoes them. The reference page's examples show two forms: the action's response echoes
// each identity as the caller wrote it, padded with nulls and completed from the directory; notifications use the
// typed form (every object with its `@odata.type`) and add only the tenant.
import type { AnyIdentitySet } from "@graph-invite/types";
import { identitySetMembers } from "@graph-invite/validator";
import type { DirectoryUser } from "./options.js";

type Members = Record<string, unknown>;

/** The members only a communicationsIdentitySet has; an identity that uses one is echoed with every member. */
const communicationsMembers = ["applicationInstance", "encrypted", "guest", "onPremises", "phone"] as const;
/** The members the response pads with null for a plain identity set, as the page's examples 1, 2, 3 and 5 do. */
const basicPadding = ["application", "device", "phone", "user"] as const;
/** The members it pads for a communications identity, as the page's example 4 does. */
const communicationsPadding = ["application", "device", "user", ...communicationsMembers] as const;

const bots = new Set(["application", "applicationInstance"]);

/** The ids of every identity in the set, which scenario answers are matched against. */
export function identityIds(identity: AnyIdentitySet): string[] {
  return identitySetMembers(identity).flatMap(({ identity: member }) =>
    typeof member["id"] === "string" ? [member["id"]] : [],
  );
}

/** The id of the bot (application or application instance) the set names, if it names one. */
export function botId(identity: AnyIdentitySet): string | undefined {
  for (const { kind, identity: member } of identitySetMembers(identity)) {
    if (bots.has(kind) && typeof member["id"] === "string") return member["id"];
  }
  return undefined;
}

export class Directory {
  private readonly users: Map<string, DirectoryUser>;

  constructor(users: readonly DirectoryUser[] = []) {
    this.users = new Map(users.map((user) => [user.id, user]));
  }

  private lookup(name: string, member: Readonly<Members>): DirectoryUser | undefined {
    return name === "user" && typeof member["id"] === "string" ? this.users.get(member["id"]) : undefined;
  }

  /** The identity as the action's response echoes it. */
  forResponse(identity: AnyIdentitySet): Members {
    const echoed = identitySetMembers(identity);
    const padding = echoed.some(({ kind }) => (communicationsMembers as readonly string[]).includes(kind))
      ? communicationsPadding
      : basicPadding;
    const result: Members = Object.fromEntries(padding.map((name) => [name, null]));
    for (const { kind, identity: member } of echoed) {
      const known = this.lookup(kind, member);
      result[kind] = {
        ...member,
        ...(known?.displayName !== undefined && { displayName: known.displayName }),
        ...(known?.tenantId !== undefined && { tenantId: known.tenantId }),
      };
    }
    return result;
  }

  /** The identity as notifications carry it. */
  forNotification(identity: AnyIdentitySet): AnyIdentitySet {
    const result: Members = { "@odata.type": identity["@odata.type"] ?? "#microsoft.graph.identitySet" };
    for (const { kind, identity: member } of identitySetMembers(identity)) {
      const tenantId = this.lookup(kind, member)?.tenantId;
      result[kind] = {
        "@odata.type": "#microsoft.graph.identity",
        ...member,
        ...(tenantId !== undefined && member["tenantId"] === undefined && { tenantId }),
      };
    }
    return result as AnyIdentitySet;
  }
}
