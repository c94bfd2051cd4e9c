// What a package costs an app that ships it to browsers: the app bundled by esbuild as a user's bundler would, then
// compressed as a server would send it.
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { build } from "esbuild";

async function bundle(entry, minify, nodePaths) {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: "browser",
    format: "esm",
    minify,
    write: false,
    logLevel: "error",
    nodePaths,
  });
  return result.outputFiles[0].contents;
}

/**
 * The bytes of the app at `entry` and everything it imports: as bundled, minified, and minified then compressed with
 * gzip -9 and brotli -11. `nodePaths` are extra folders to resolve packages from.
 */
export async function bundleSize(entry, { nodePaths = [] } = {}) {
  const raw = await bundle(entry, false, nodePaths);
  const minified = await bundle(entry, true, nodePaths);
  return {
    raw: raw.length,
    min: minified.length,
    gzip: gzipSync(minified, { level: 9 }).length,
    brotli: brotliCompressSync(minified, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}
