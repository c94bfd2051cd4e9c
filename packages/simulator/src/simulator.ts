// start(): a simulated Graph on loopback, and the handle tests use to arrange, drive and inspect it.
import { randomBytes, randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest, type RequestListener, type Server } from "node:http";
import { createServer as createTlsServer, request as httpsRequest } from "node:https";
import type { AddressInfo } from "node:net";
import { hostname as machineName, tmpdir } from "node:os";
import { join } from "node:path";
import type { SimulatedCall } from "./calls.js";
import { createLocalCertificates, type LocalCertificates } from "./certificates.js";
import { checkCallSeed, checkOptions, checkRollover, checkScenario } from "./config.js";
import { Courier, type Delivery } from "./delivery.js";
import { SimulatedGraph } from "./graph.js";
import { Directory } from "./identities.js";
import { graphResource, IdentityPlatform } from "./identity-platform.js";
import { InFlight } from "./in-flight.js";
import { type KeyRollover, Signer, type TokenClaimChanges, type TokenSigning, type TokenTiming } from "./keys.js";
import type { AppRegistration, CallSeed, Scenario, SimulatorOptions } from "./options.js";
import { createHandler } from "./server.js";
import type { ReceivedRequest } from "./server-parts.js";
import { snapshot } from "./snapshots.js";
import type { SimulatedOperation } from "./wire.js";

export type { ReceivedRequest, SimulatedCall, SimulatedOperation };

/** A running simulator. */
export interface Simulator {
  /**
   * The origin clients reach the simulator by, such as `http://127.0.0.1:51234`, `https://127.0.0.1:51234` with
   * `tls`, or the `publicUrl` option. Every URL the simulator hands out starts with it.
   */
  readonly url: string;
  /** The origin the server listens on: the same as `url` unless `publicUrl` names another. */
  readonly listeningUrl: string;
  /**
   * With `tls`, the file holding the PEM certificate of the simulator's own certificate authority, for
   * `NODE_EXTRA_CA_CERTS` (read when Node starts, so give it to a new process) or a client's `ca` option. It is
   * deleted by `close()`. Undefined without `tls`.
   */
  readonly caCertificatePath: string | undefined;
  /** With `tls`, the same certificate authority's PEM text; undefined without `tls`. */
  readonly caCertificate: string | undefined;
  /** Graph's root on the simulator, to give a client as its base URL: `{url}/v1.0`. */
  readonly graphUrl: string;
  /** The first registered app: the one calls belong to unless they name another. */
  readonly app: AppRegistration;
  /** Every registered app, the first one first. */
  readonly apps: readonly AppRegistration[];
  /** The OpenID metadata of the service that signs notifications, as a bot configures Graph's. */
  readonly openIdConfigurationUrl: string;
  /** The `iss` of notification tokens. */
  readonly notificationIssuer: string;
  /** The client-credentials token endpoint of an app's tenant. */
  tokenUrl(tenantId?: string): string;
  /**
   * Gets an access token from the token endpoint over HTTP, as a credential for `@graph-invite/client`:
   * `createInviteClient({ credential: sim.credential(), baseUrl: sim.graphUrl })`.
   */
  credential(app?: AppRegistration): () => Promise<{ token: string; expiresOnTimestamp: number }>;

  /** Adds a call; throws a {@link ConfigError} naming the field when the seed is wrong or its id is taken. */
  createCall(seed: CallSeed): SimulatedCall;
  /** A copy of the call's state, or undefined. */
  call(id: string): SimulatedCall | undefined;
  /** A copy of every call's state, in the order they were created. */
  calls(): SimulatedCall[];
  /** A copy of the invite operation's state, or undefined. */
  operation(id: string): SimulatedOperation | undefined;
  /** A copy of every invite operation's state, in the order the invites arrived. */
  operations(): SimulatedOperation[];
  /** Every notification with each attempt to deliver it, in the order they were started. */
  deliveries(): Delivery[];
  /** Every request Graph's and the identity platform's routes received, with the status they were answered with. */
  requests(): ReceivedRequest[];

  /** The scenario in force. */
  readonly scenario: Scenario;
  /**
   * Replaces the scenario, checked as `start()` checks its options. Invites already ringing keep the answers they
   * started with; notifications not yet sent follow the new delivery controls and deviations.
   */
  setScenario(scenario: Scenario): void;
  /**
   * Resolves once every invite has finished and every notification has been delivered or given up. Rejects with an
   * `AggregateError` if carrying out an invite failed inside the simulator.
   *
   * Delivered means the bot answered the notification's POST, not that it has processed it: a bot answers 202 first
   * and works after. Before asserting on what the bot did, also wait for the bot's own signal that it is done.
   */
  settled(): Promise<void>;

  /**
   * Signs a notification token as the simulator would, for auth tests. The token has the usual claims (`iss`, `aud`
   * the app id, `tid` the app's tenant, `jti`, `iat`, `nbf`, `exp`) with `claims` merged over them; a claim given as
   * `undefined` is removed, as in `{ tid: undefined }` or `{ exp: undefined }`.
   *
   * `signing` makes the tokens a negative test needs: header members set or removed (`alg`, `kid`, `crit`, `jku`,
   * `x5u`, `jwk`, …) and a key the simulator never publishes (`unpublishedKey`). See {@link TokenSigning}.
   */
  signNotificationToken(claims?: TokenClaimChanges, timing?: TokenTiming, signing?: TokenSigning): Promise<string>;
  /**
   * Replaces the notification signing key and returns the new key's `kid`.
   *
   * With no argument the swap is instant: the new key signs at once and the key set holds only it, so a bot holding
   * the old key set must refetch it. With `{ overlapMs, retainMs }` it rolls over as Graph does: the new key is
   * published at once but signs only after `overlapMs`, and the old key stays published for `retainMs` (default
   * `overlapMs`) after that. A second rotation during a rollover finishes the first one at once.
   */
  rotateNotificationKey(rollover?: KeyRollover): Promise<string>;

  /**
   * Stops the server, cancels what is still waiting and ends every open connection. Rejects, once closed, as
   * {@link Simulator.settled} does if carrying out an invite had failed.
   */
  close(): Promise<void>;
}

function defaultApp(): AppRegistration {
  return { appId: randomUUID(), secret: randomBytes(24).toString("base64url"), tenantId: randomUUID() };
}

/**
 * Starts a simulator. Options are checked as a config file is, and a mistake throws a {@link ConfigError} that names
 * the field.
 */
export async function start(given: SimulatorOptions = {}): Promise<Simulator> {
  const options = checkOptions(given);
  const apps = options.apps !== undefined && options.apps.length > 0 ? options.apps : [defaultApp()];
  const [app] = apps as [AppRegistration];
  const notificationIssuer = options.notificationIssuer ?? "https://api.botframework.com";
  const [identitySigner, notificationSigner] = await Promise.all([Signer.create(), Signer.create()]);
  const lifetime = new AbortController();
  // Every pending wait (ring times, delivery delays and retries) listens to it; dozens at once are normal.
  setMaxListeners(0, lifetime.signal);
  const inFlight = new InFlight();
  const courier = new Courier(notificationSigner, notificationIssuer, lifetime.signal);
  const graph = new SimulatedGraph({
    apps,
    directory: new Directory(options.directory),
    courier,
    inFlight,
    signal: lifetime.signal,
    scenario: options.scenario ?? {},
  });
  for (const seed of options.calls ?? []) graph.createCall(seed);

  let url = "";
  const identity = new IdentityPlatform(() => url, apps, identitySigner);
  const requests: ReceivedRequest[] = [];
  const handler = createHandler({
    origin: () => url,
    graph,
    identity,
    notificationSigner,
    notificationIssuer,
    courier,
    requests,
  });
  const { server, tls, listeningUrl } = await listen(handler, options);
  url = options.publicUrl ?? listeningUrl;

  return {
    url,
    graphUrl: `${url}/v1.0`,
    listeningUrl,
    caCertificatePath: tls?.caPath,
    caCertificate: tls?.certificates.caCertificate,
    app,
    apps,
    openIdConfigurationUrl: `${url}/v1/.well-known/OpenIdConfiguration`,
    notificationIssuer,
    tokenUrl: (tenantId = app.tenantId) => identity.tokenEndpoint(tenantId),
    credential: (client = app) => credentialFor(client, identity, tls?.certificates.caCertificate),
    createCall: (seed) => snapshot(graph.createCall(checkCallSeed(seed))),
    call: (id) => snapshot(graph.calls.get(id)),
    calls: () => snapshot(graph.calls.all()),
    operation: (id) => snapshot(graph.operations.get(id)),
    operations: () => snapshot([...graph.operations.values()]),
    deliveries: () => snapshot(courier.log),
    requests: () => snapshot(requests),
    get scenario() {
      return graph.scenario;
    },
    setScenario: (scenario) => {
      graph.scenario = checkScenario(scenario);
    },
    settled: () => inFlight.idle(),
    signNotificationToken: (claims = {}, timing, signing) =>
      notificationSigner.sign(
        { iss: notificationIssuer, aud: app.appId, tid: app.tenantId, jti: randomUUID(), ...claims },
        timing,
        signing,
      ),
    // async, so that a wrong rollover rejects as the returned promise says rather than throwing.
    rotateNotificationKey: async (rollover) =>
      notificationSigner.rotate(rollover === undefined ? undefined : checkRollover(rollover)),
    close: () => shutDown({ lifetime, notificationSigner, inFlight, server, tls }),
  };
}

/** Cancels what is waiting, then stops the server once the work in flight has ended; rejects as that work did. */
async function shutDown(running: {
  lifetime: AbortController;
  notificationSigner: Signer;
  inFlight: InFlight;
  server: Server;
  tls: LocalTls | undefined;
}): Promise<void> {
  const { lifetime, notificationSigner, inFlight, server, tls } = running;
  lifetime.abort();
  notificationSigner.stop();
  try {
    await inFlight.idle();
  } finally {
    // Stop accepting first, so that no connection opened meanwhile keeps close() waiting.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
    tls?.remove();
  }
}

interface Listening {
  readonly server: Server;
  readonly tls: LocalTls | undefined;
  readonly listeningUrl: string;
}

/** Listens where the options say, over TLS with certificates of its own if asked; the certificates go if it cannot. */
async function listen(handler: RequestListener, options: SimulatorOptions): Promise<Listening> {
  const listenHost = options.host ?? "127.0.0.1";
  const tls = options.tls === true ? localTls(listenHost, options.publicUrl) : undefined;
  const server = tls === undefined ? createServer(handler) : createTlsServer(tls.serverOptions, handler);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, listenHost, () => resolve());
    });
  } catch (error) {
    tls?.remove();
    throw error;
  }
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return { server, tls, listeningUrl: `${tls === undefined ? "http" : "https"}://${host}:${address.port}` };
}

/** A token function for the app: client credentials from the simulator's token endpoint, as a real app gets them. */
function credentialFor(
  client: AppRegistration,
  identity: IdentityPlatform,
  caCertificate: string | undefined,
): () => Promise<{ token: string; expiresOnTimestamp: number }> {
  return async () => {
    const form = new URLSearchParams({
      grant_type: "client_credentials",
      client_id: client.appId,
      client_secret: client.secret,
      scope: `${graphResource}/.default`,
    });
    const response = await postForm(identity.tokenEndpoint(client.tenantId), form, caCertificate);
    const body = JSON.parse(response.text) as {
      access_token?: string;
      expires_in?: number;
      error_description?: string;
    };
    if (response.status !== 200 || body.access_token === undefined) {
      throw new Error(`the token endpoint answered ${response.status}: ${body.error_description ?? "no token"}`);
    }
    return { token: body.access_token, expiresOnTimestamp: Date.now() + (body.expires_in ?? 0) * 1000 };
  };
}

interface LocalTls {
  readonly certificates: LocalCertificates;
  readonly caPath: string;
  readonly serverOptions: { key: string; cert: string };
  remove(): void;
}

/**
 * A certificate for every name a client on this machine may use: the loopback names, the listening host (the
 * machine's name when it listens on every interface) and the public URL's host. The CA goes to a file of its own,
 * since NODE_EXTRA_CA_CERTS takes a path.
 */
function localTls(listenHost: string, publicUrl: string | undefined): LocalTls {
  const wildcard = ["0.0.0.0", "::", "[::]"].includes(listenHost);
  const names = [
    "localhost",
    "127.0.0.1",
    "::1",
    wildcard ? machineName() : listenHost,
    ...(publicUrl === undefined ? [] : [new URL(publicUrl).hostname]),
  ];
  const certificates = createLocalCertificates(names);
  const directory = mkdtempSync(join(tmpdir(), "graph-invite-sim-tls-"));
  const caPath = join(directory, "ca.pem");
  writeFileSync(caPath, certificates.caCertificate);
  return {
    certificates,
    caPath,
    serverOptions: { key: certificates.privateKey, cert: certificates.certificate },
    remove: () => rmSync(directory, { recursive: true, force: true }),
  };
}

/**
 * POSTs a form and reads the answer. The global fetch cannot be told to trust a CA on Node 20 without undici's own
 * package, so this uses node:http(s), which takes the CA as an option.
 */
function postForm(
  url: string,
  form: URLSearchParams,
  ca: string | undefined,
): Promise<{ status: number; text: string }> {
  const body = form.toString();
  const send = url.startsWith("https:") ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const outgoing = send(
      url,
      {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", "Content-Length": Buffer.byteLength(body) },
        ...(ca !== undefined && { ca }),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }),
        );
        response.on("error", reject);
      },
    );
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}
