// HTTPS: the simulator's own certificate authority, verified by real TLS clients (node:https with the CA, and a
// separate Node process given it through NODE_EXTRA_CA_CERTS as Microsoft's clients are), and the URLs it hands out.
import { execFile } from "node:child_process";
import { randomUUID, X509Certificate } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import type { IncomingHttpHeaders } from "node:http";
import { request } from "node:https";
import { promisify } from "node:util";
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import type { Simulator } from "../src/index.js";
import { lifecycle } from "./harness.js";

const { simulator, callback } = lifecycle();

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

/**
 * One HTTPS request to `url`, trusting `ca`. `servername` and `host` let a test reach the listening socket while
 * verifying the certificate and naming the host as a client of the public URL would.
 */
function send(
  url: string,
  options: {
    ca?: string | undefined;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    servername?: string;
  } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method: options.method ?? "GET",
        headers: options.headers ?? {},
        ...(options.ca !== undefined && { ca: options.ca }),
        ...(options.servername !== undefined && { servername: options.servername }),
      },
      (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          text += chunk;
        });
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: text === "" ? undefined : JSON.parse(text),
          }),
        );
      },
    );
    outgoing.on("error", reject);
    outgoing.end(options.body);
  });
}

const inviteBody = (userId: string) =>
  JSON.stringify({
    participants: [
      {
        "@odata.type": "#microsoft.graph.invitationParticipantInfo",
        identity: {
          "@odata.type": "#microsoft.graph.identitySet",
          user: { "@odata.type": "#microsoft.graph.identity", id: userId },
        },
      },
    ],
    clientContext: randomUUID(),
  });

async function tokenFrom(sim: Simulator, reach: { url: string; servername?: string; host?: string }) {
  const answer = await send(`${reach.url}/${sim.app.tenantId}/oauth2/v2.0/token`, {
    ca: sim.caCertificate,
    method: "POST",
    ...(reach.servername !== undefined && { servername: reach.servername }),
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      ...(reach.host !== undefined && { Host: reach.host }),
    },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: sim.app.appId,
      client_secret: sim.app.secret,
      scope: "https://graph.microsoft.com/.default",
    }).toString(),
  });
  expect(answer.status).toBe(200);
  return (answer.body as { access_token: string }).access_token;
}

describe("tls: true", () => {
  it("serves HTTPS with a certificate its own CA issued for the loopback names", async () => {
    const sim = await simulator({ tls: true });
    expect(sim.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(sim.listeningUrl).toBe(sim.url);
    expect(sim.caCertificatePath).toBeDefined();
    expect(readFileSync(sim.caCertificatePath ?? "", "utf8")).toBe(sim.caCertificate);
    const ca = new X509Certificate(sim.caCertificate ?? "");
    expect(ca.ca).toBe(true);

    const answer = await send(sim.openIdConfigurationUrl, { ca: sim.caCertificate });
    expect(answer.status).toBe(200);

    // The certificate the server presents: issued by that CA, for the names a local client uses.
    const presented = await new Promise<X509Certificate>((resolve, reject) => {
      const outgoing = request(sim.openIdConfigurationUrl, { ca: sim.caCertificate }, (response) => {
        const socket = response.socket as import("node:tls").TLSSocket;
        resolve(new X509Certificate(socket.getPeerCertificate().raw));
        response.resume();
      });
      outgoing.on("error", reject);
      outgoing.end();
    });
    expect(presented.ca).toBe(false);
    expect(presented.checkIssued(ca)).toBe(true);
    expect(presented.verify(ca.publicKey)).toBe(true);
    expect(presented.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(presented.checkIP("::1")).toBe("::1");
    expect(presented.checkHost("localhost")).toBe("localhost");
    expect(presented.checkHost("graph.microsoft.com")).toBeUndefined();
  });

  it("is refused by a client that does not trust its CA, and trusted by a Node process given NODE_EXTRA_CA_CERTS", async () => {
    const sim = await simulator({ tls: true });
    await expect(send(sim.openIdConfigurationUrl)).rejects.toMatchObject({
      code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    });
    const script = `fetch(${JSON.stringify(sim.openIdConfigurationUrl)}).then(async (r) => console.log(r.status, (await r.json()).jwks_uri), (e) => { console.log("failed", e.cause?.code); })`;
    const run = (env: NodeJS.ProcessEnv) =>
      promisify(execFile)(process.execPath, ["-e", script], { env: { ...process.env, ...env } });
    expect((await run({ NODE_EXTRA_CA_CERTS: sim.caCertificatePath })).stdout.trim()).toBe(
      `200 ${sim.url}/v1/.well-known/keys`,
    );
    expect((await run({ NODE_EXTRA_CA_CERTS: "" })).stdout.trim()).toBe("failed UNABLE_TO_VERIFY_LEAF_SIGNATURE");
  });

  it("hands out https URLs everywhere: metadata, issuer, token endpoint, key sets and Location", async () => {
    const bot = await callback();
    const sim = await simulator({ tls: true });
    const tenant = sim.app.tenantId;
    const metadata = (
      await send(`${sim.url}/${tenant}/v2.0/.well-known/openid-configuration`, { ca: sim.caCertificate })
    ).body as Record<string, string>;
    expect(metadata).toMatchObject({
      issuer: `${sim.url}/${tenant}/v2.0`,
      token_endpoint: `${sim.url}/${tenant}/oauth2/v2.0/token`,
      authorization_endpoint: `${sim.url}/${tenant}/oauth2/v2.0/authorize`,
      jwks_uri: `${sim.url}/${tenant}/discovery/v2.0/keys`,
    });
    expect(sim.tokenUrl()).toBe(metadata["token_endpoint"]);
    expect((await send(metadata["jwks_uri"] ?? "", { ca: sim.caCertificate })).status).toBe(200);
    const notificationMetadata = (await send(sim.openIdConfigurationUrl, { ca: sim.caCertificate })).body;
    expect(notificationMetadata).toMatchObject({ jwks_uri: `${sim.url}/v1/.well-known/keys` });

    // credential() reaches the token endpoint over TLS, trusting the simulator's CA on its own.
    const { token } = await sim.credential()();
    expect(decodeJwt(token).iss).toBe(metadata["issuer"]);

    const call = sim.createCall({ kind: "group", callbackUri: bot.url });
    const invited = await send(`${sim.graphUrl}/communications/calls/${call.id}/participants/invite`, {
      ca: sim.caCertificate,
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
      body: inviteBody(randomUUID()),
    });
    expect(invited.status).toBe(200);
    const location = invited.headers.location ?? "";
    expect(location).toBe(
      `${sim.url}/v1.0/communications/calls/${call.id}/operations/${(invited.body as { id: string }).id}`,
    );
    const operation = await send(location, { ca: sim.caCertificate, headers: { Authorization: `Bearer ${token}` } });
    expect(operation.status).toBe(200);
    await sim.settled();
  });

  it("close() deletes the CA file", async () => {
    const { start } = await import("../src/index.js");
    const sim = await start({ tls: true });
    const path = sim.caCertificatePath ?? "";
    expect(existsSync(path)).toBe(true);
    await sim.close();
    expect(existsSync(path)).toBe(false);
  });
});

describe("publicUrl", () => {
  it("names the origin clients use, and the certificate covers its host", async () => {
    const publicUrl = "https://graph.simulator.test:8443";
    const sim = await simulator({ tls: true, publicUrl });
    expect(sim.url).toBe(publicUrl);
    expect(sim.graphUrl).toBe(`${publicUrl}/v1.0`);
    expect(sim.openIdConfigurationUrl).toBe(`${publicUrl}/v1/.well-known/OpenIdConfiguration`);
    expect(sim.listeningUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);

    // As a client behind a proxy or a port mapping sees it: the public host's name, verified by TLS.
    const reach = { url: sim.listeningUrl, servername: "graph.simulator.test", host: "graph.simulator.test:8443" };
    const tenant = sim.app.tenantId;
    const metadata = await send(`${reach.url}/${tenant}/v2.0/.well-known/openid-configuration`, {
      ca: sim.caCertificate,
      servername: reach.servername,
      headers: { Host: reach.host },
    });
    expect(metadata.body).toMatchObject({
      issuer: `${publicUrl}/${tenant}/v2.0`,
      token_endpoint: `${publicUrl}/${tenant}/oauth2/v2.0/token`,
    });
    const token = await tokenFrom(sim, reach);
    expect(decodeJwt(token).iss).toBe(`${publicUrl}/${tenant}/v2.0`);

    const bot = await callback();
    const call = sim.createCall({ kind: "group", callbackUri: bot.url });
    const invited = await send(`${reach.url}/v1.0/communications/calls/${call.id}/participants/invite`, {
      ca: sim.caCertificate,
      servername: reach.servername,
      method: "POST",
      headers: { Host: reach.host, "Content-Type": "application/json", Authorization: `Bearer ${token}` },
      body: inviteBody(randomUUID()),
    });
    expect(invited.status).toBe(200);
    expect(invited.headers.location).toMatch(
      new RegExp(
        `^${publicUrl.replaceAll(".", "\\.")}/v1\\.0/communications/calls/${call.id}/operations/[0-9a-f-]{36}$`,
      ),
    );
    await sim.settled();
  });

  it("works without TLS too, for a proxy that terminates it", async () => {
    const sim = await simulator({ publicUrl: "https://proxy.example.test" });
    expect(sim.url).toBe("https://proxy.example.test");
    expect(sim.listeningUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sim.caCertificatePath).toBeUndefined();
    const metadata = (await (
      await fetch(`${sim.listeningUrl}/${sim.app.tenantId}/v2.0/.well-known/openid-configuration`)
    ).json()) as {
      token_endpoint: string;
    };
    expect(metadata.token_endpoint).toBe(`https://proxy.example.test/${sim.app.tenantId}/oauth2/v2.0/token`);
  });

  it.each([
    [
      "https://graph.test/v1.0",
      "/publicUrl: must be an origin (scheme, host and port), with no path, query, fragment or credentials",
    ],
    ["https://graph.test?x=1", "/publicUrl: must be an origin"],
    ["https://user:pw@graph.test", "/publicUrl: must be an origin"],
    ["ftp://graph.test", "/publicUrl: must be an http or https URL"],
    ["graph.test", "/publicUrl: must be an http or https URL"],
  ])("refuses %s, naming the field and the rule", async (publicUrl, message) => {
    await expect(simulator({ publicUrl })).rejects.toThrow(message);
  });

  it("refuses a tls that is not a boolean", async () => {
    await expect(simulator({ tls: "yes" as unknown as boolean })).rejects.toThrow("/tls: must be true or false");
  });
});
