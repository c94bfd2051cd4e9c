// What the release publishes, in one place: each package under packages/ that is not private, and the entry points
// its `exports` map declares besides `./package.json`. packages.test.ts holds the manifests to it, and the consumer
// imports every entry point it lists.

/** An entry point's subpath, such as `.` or `./node`, and its built module without the extension. */
export type EntryPoints = Readonly<Record<string, string>>;

const rootOnly: EntryPoints = { ".": "./dist/index" };

export const publishedEntryPoints: Readonly<Record<string, EntryPoints>> = {
  "@graph-invite/bot-kit": {
    ".": "./dist/index",
    "./auth": "./dist/auth/index",
    "./node": "./dist/node/index",
    "./redis": "./dist/redis/index",
    "./testing": "./dist/testing",
  },
  "@graph-invite/client": {
    ".": "./dist/index",
    "./abort": "./dist/abort",
    "./backoff": "./dist/backoff",
    "./body": "./dist/body",
  },
  "@graph-invite/simulator": rootOnly,
  "@graph-invite/types": rootOnly,
  "@graph-invite/validator": rootOnly,
};

/** Every specifier an application can import: `@graph-invite/bot-kit`, `@graph-invite/bot-kit/node`, … */
export const publishedSpecifiers: readonly string[] = Object.entries(publishedEntryPoints).flatMap(([name, entries]) =>
  Object.keys(entries).map((subpath) => (subpath === "." ? name : `${name}/${subpath.slice(2)}`)),
);
