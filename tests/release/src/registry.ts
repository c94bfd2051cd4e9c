// A real npm registry on loopback for the release to publish to: Verdaccio, run as a child process from the copy
// tests/release installs, with a configuration of its own (storage in a folder of the caller's, no uplink, so that
// it holds exactly what was published to it) on a port nobody else listens on. A child process can be stopped and
// started again on the same port and storage, which is how a test makes the registry refuse a release.
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { freePort } from "@graph-invite/test-support/ports";
import { type StartedProcess, startProcess } from "@graph-invite/test-support/processes";
import { shellEnv } from "./exec.js";

const verdaccioBin = join(createRequire(import.meta.url).resolve("verdaccio/package.json"), "../bin/verdaccio");
const startTimeoutMs = 30_000;
const stopTimeoutMs = 10_000;
const requestTimeoutMs = 15_000;

/** What the registry serves for a package name (npm's "packument"), reduced to the fields these tests read. */
export interface Packument {
  readonly name: string;
  readonly "dist-tags": Readonly<Record<string, string>>;
  readonly versions: Readonly<Record<string, { readonly [field: string]: unknown }>>;
  /** When each version was published. */
  readonly time: Readonly<Record<string, string>>;
}

/** What a registry holds, read over HTTP as npm reads it. */
export interface RegistryReader {
  /** Such as `http://127.0.0.1:43567/`, with the slash npm writes in its configuration. */
  readonly url: string;
  /** The packument, or undefined when the registry does not have the package. */
  packument(name: string): Promise<Packument | undefined>;
  /** The name of every package the registry holds, from its search endpoint. */
  packageNames(): Promise<string[]>;
}

export interface Registry extends RegistryReader {
  /** The folder that holds what was published: another registry started on a copy of it serves the same. */
  readonly storage: string;
  /** Starts the server again, on the same port and storage, after stop(). */
  start(): Promise<void>;
  /** Stops the server; a registry that is not running is left as it is. */
  stop(): Promise<void>;
  /** Creates a user as `npm adduser` does, and returns the token the registry gives it. */
  addUser(name: string): Promise<string>;
}

export interface RegistryOptions {
  /** A folder of the caller's, for the configuration, the storage and the users; it must exist and can be removed after stop(). */
  readonly folder: string;
  /** Another registry's storage folder: this one starts with a copy of what that one holds. */
  readonly storageFrom?: string;
}

/** Starts Verdaccio. Stop it in afterAll (or a global teardown), also when a test fails. */
export async function startRegistry({ folder, storageFrom }: RegistryOptions): Promise<Registry> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const storage = join(folder, "storage");
  if (storageFrom === undefined) mkdirSync(storage);
  else cpSync(storageFrom, storage, { recursive: true });
  const config = join(folder, "config.yaml");
  // JSON is YAML, and needs no quoting rules. Anyone may read (npm install needs no login); only a user may publish.
  writeFileSync(
    config,
    JSON.stringify({
      storage,
      auth: { htpasswd: { file: join(folder, "htpasswd"), max_users: 10 } },
      uplinks: {},
      packages: { "**": { access: "$all", publish: "$authenticated", unpublish: "$authenticated" } },
      web: { enable: false },
      log: { type: "stdout", format: "json", level: "warn" },
      listen: `127.0.0.1:${port}`,
    }),
  );

  let server: StartedProcess | undefined;

  async function start() {
    if (server !== undefined) return;
    const started = startProcess(process.execPath, [verdaccioBin, "--config", config], {
      cwd: folder,
      env: shellEnv,
      label: "Verdaccio",
    });
    server = started;
    const exited = started.exited.then(([code, signal]) => {
      throw new Error(`Verdaccio exited (${signal ?? code}) before it answered on ${url}:\n${started.output()}`);
    });
    exited.catch(() => {});
    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      const answered = await Promise.race([
        fetch(new URL("-/ping", url), { signal: AbortSignal.timeout(1000) }).then(
          (response) => response.ok,
          () => false,
        ),
        exited,
      ]).catch(async (error: unknown) => {
        server = undefined;
        throw error;
      });
      if (answered) return;
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`Verdaccio did not answer on ${url} within ${startTimeoutMs} ms:\n${started.output()}`);
      }
      await new Promise((wait) => setTimeout(wait, 100));
    }
  }

  async function stop() {
    const running = server;
    server = undefined;
    // Verdaccio closes its connections before it exits; a stuck one must not hold the tests up.
    await running?.stop("SIGTERM", stopTimeoutMs);
  }

  async function addUser(name: string): Promise<string> {
    const response = await fetch(new URL(`-/user/org.couchdb.user:${encodeURIComponent(name)}`, url), {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      // Only this registry sees it, and the registry's folder goes when the tests end.
      body: JSON.stringify({ name, password: `${name}-password-${port}` }),
      signal: AbortSignal.timeout(requestTimeoutMs),
    });
    const body = (await response.json()) as { token?: string; error?: string };
    if (response.status !== 201 || body.token === undefined) {
      throw new Error(`${url} did not create user ${name}: ${response.status} ${JSON.stringify(body)}`);
    }
    return body.token;
  }

  await start();
  return { ...readRegistry(url), storage, start, stop, addUser };
}

export function readRegistry(url: string): RegistryReader {
  const get = (path: string) => fetch(new URL(path, url), { signal: AbortSignal.timeout(requestTimeoutMs) });
  return {
    url,
    async packument(name) {
      const response = await get(name.replace("/", "%2f"));
      if (response.status === 404) return undefined;
      if (!response.ok) throw new Error(`${url} answered ${response.status} for ${name}: ${await response.text()}`);
      return (await response.json()) as Packument;
    },
    async packageNames() {
      const response = await get("-/v1/search?text=&size=250");
      if (!response.ok) throw new Error(`${url} answered ${response.status} to a search: ${await response.text()}`);
      const { objects } = (await response.json()) as { objects: { package: { name: string } }[] };
      return objects.map((found) => found.package.name).sort();
    },
  };
}

/**
 * The environment of a shell that publishes to the registry: the registry and the token come from variables, as on a
 * CI, through a user configuration of its own, so that nobody's ~/.npmrc (and no token in it) takes part. The token
 * is read as `${NPM_TOKEN}`, which npm and pnpm expand: the line a CI writes for the real registry.
 */
export function publishingEnv(registry: RegistryReader, token: string, folder: string): NodeJS.ProcessEnv {
  const userconfig = join(folder, "publisher.npmrc");
  writeFileSync(userconfig, `//${new URL(registry.url).host}/:_authToken=\${NPM_TOKEN}\n`);
  const env = Object.fromEntries(
    Object.entries(shellEnv).filter(([key]) => !/^npm_config_(registry|userconfig)$/i.test(key) && key !== "NPM_TOKEN"),
  );
  return { ...env, npm_config_registry: registry.url, npm_config_userconfig: userconfig, NPM_TOKEN: token };
}

/**
 * The .npmrc of an application that takes the @graph-invite scope from the registry and everything else (jose,
 * openapi-fetch, Hono) from wherever the user's npm configuration says.
 */
export function scopeNpmrc(registryUrl: string): string {
  return `@graph-invite:registry=${registryUrl}\n`;
}
