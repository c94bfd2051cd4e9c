import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { clouds, createInviteClient, type GraphCloud } from "../src/index.js";

const credential = async () => "token";
const spec = readFileSync(new URL("../../../openapi/graph-invite.yaml", import.meta.url), "utf8");

describe("clouds", () => {
  it("builds the documented v1.0 root of each cloud where the action exists", () => {
    expect(createInviteClient({ credential }).baseUrl).toBe("https://graph.microsoft.com/v1.0");
    expect(createInviteClient({ cloud: "global", credential }).baseUrl).toBe("https://graph.microsoft.com/v1.0");
    expect(createInviteClient({ cloud: "usGovL4", credential }).baseUrl).toBe("https://graph.microsoft.us/v1.0");
    expect(createInviteClient({ cloud: "usGovL5Dod", credential }).baseUrl).toBe("https://dod-graph.microsoft.us/v1.0");
    expect(createInviteClient({ baseUrl: "http://127.0.0.1:8080/v1.0/", credential }).baseUrl).toBe(
      "http://127.0.0.1:8080/v1.0",
    );
  });

  it("uses the server, authority and scope of the spec's x-graph-invite-clouds", () => {
    const block = spec.slice(
      spec.indexOf("x-graph-invite-clouds:"),
      spec.indexOf("flows:", spec.indexOf("x-graph-invite-clouds:")),
    );
    const fromSpec = [...block.matchAll(/- server: (\S+)\s+authority: (\S+)\s+scope: (\S+)/g)].map(
      ([, baseUrl, authority, scope]) => ({ baseUrl, authority, scope }),
    );
    expect(fromSpec).toHaveLength(3);
    expect(Object.values(clouds)).toEqual(fromSpec);
    // The spec's servers are exactly the clouds the client offers.
    const servers = [...spec.matchAll(/^ {2}- url: (\S+)$/gm)].map(([, url]) => url);
    expect(servers).toEqual(Object.values(clouds).map((cloud) => cloud.baseUrl));
  });

  it.each(["china", "China", "china21Vianet"])(
    "refuses the China cloud (%s): the action is not available there",
    (cloud) => {
      expect(() => createInviteClient({ cloud: cloud as GraphCloud, credential })).toThrow(
        /not available in the China cloud operated by 21Vianet/,
      );
    },
  );

  it("refuses a base URL in the China cloud too", () => {
    expect(() => createInviteClient({ baseUrl: "https://microsoftgraph.chinacloudapi.cn/v1.0", credential })).toThrow(
      /not available in the China cloud/,
    );
  });

  it("refuses an empty cloud name rather than taking it for the default", () => {
    // A setting read from an empty environment variable: "" is a mistake to report, not a request for global.
    expect(() => createInviteClient({ cloud: "" as GraphCloud, credential })).toThrow(
      'unknown cloud "": use global, usGovL4, usGovL5Dod or a baseUrl',
    );
  });

  it("refuses an unknown cloud, naming the ones it knows", () => {
    expect(() => createInviteClient({ cloud: "germany" as GraphCloud, credential })).toThrow(
      'unknown cloud "germany": use global, usGovL4, usGovL5Dod or a baseUrl',
    );
  });

  it("the typed api client sends to the same root", async () => {
    const urls: string[] = [];
    const client = createInviteClient({
      cloud: "usGovL5Dod",
      credential,
      fetch: async (request) => {
        urls.push(request.url);
        return new Response(null, { status: 204 });
      },
    });
    await client.api.POST("/communications/calls/{call-id}/participants/invite", {
      params: { path: { "call-id": "a/b" } },
      body: { participants: [] },
    });
    expect(urls).toEqual(["https://dod-graph.microsoft.us/v1.0/communications/calls/a%2Fb/participants/invite"]);
  });
});
