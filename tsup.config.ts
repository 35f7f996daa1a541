import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { PluginBuild } from 'esbuild';
import { defineConfig, type Options } from 'tsup';

/**
 * Three builds into dist/ (see docs/performance.md), and three into build/sea/ for the
 * standalone binary (below, and docs/packaging.md):
 * - main.cjs, the hot path: what bin/hh-oauth requires, one self-contained CommonJS file
 *   that answers the commands of src/cli/hot-commands.ts in their common case, without commander
 *   or Node's ES module loader, and hands every other argv to cli.js;
 * - hot-full.cjs: the hot commands' full implementations (lock, HTTP, writes), CommonJS,
 *   required by main.cjs only when its runner cannot answer (a due refresh);
 * - cli.js and its chunks: the commander program, ESM split into one chunk per command;
 *   HTTP (src/hh/fetch-engine.ts) is the chunk imported on the first request.
 * Each command runs from one of them, so they need not share module instances.
 */
const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
const require = createRequire(import.meta.url);

// The builds share dist/, so it is cleared once here rather than by each of them.
rmSync('dist', { recursive: true, force: true });
rmSync('build/sea', { recursive: true, force: true });

/**
 * HTTP is ofetch on a fetch over node:http (src/hh/fetch-engine.ts), bundled into
 * hot-full.cjs, and for cli.js into the chunk that http.ts imports on its first request, so
 * that a command that makes no request neither resolves nor parses it.
 *
 * ofetch's two entries both choose an engine when they load: its "node" entry loads
 * node-fetch-native, its platform-neutral one reads globalThis.Headers, and on Node 20
 * that getter alone loads undici, the cost this change removes. So `ofetch` resolves here
 * to the module both entries share (createFetch, FetchError), which reads no global until
 * called, and fetch-engine.ts hands createFetch its engine.
 */
const ofetchEntry = join(dirname(require.resolve('ofetch/package.json')), 'dist/index.mjs');
const ofetchCore = (() => {
  const found = /import \{ (\w+) as createFetch \} from '(\.\/shared\/[^']+\.mjs)'/.exec(readFileSync(ofetchEntry, 'utf8'));
  if (!found?.[1] || !found[2]) throw new Error(`tsup.config.ts: ${ofetchEntry} no longer imports createFetch from ./shared/…; update ofetchCore`);
  return { path: join(dirname(ofetchEntry), found[2]), createFetch: found[1] };
})();
const ofetchWithoutEngine = {
  name: 'ofetch-without-engine',
  setup(build: PluginBuild) {
    build.onResolve({ filter: /^ofetch$/ }, () => ({ path: 'ofetch', namespace: 'ofetch-core' }));
    build.onLoad({ filter: /.*/, namespace: 'ofetch-core' }, () => ({
      loader: 'js' as const,
      resolveDir: dirname(ofetchCore.path),
      contents: `export { ${ofetchCore.createFetch} as createFetch } from ${JSON.stringify(ofetchCore.path)};`,
    }));
  },
};

/**
 * In the hot bundle, node:fs/promises is required on the first call of one of its
 * functions, not when the module importing it starts: loading it brings a dozen of Node's
 * internal modules (readline among them), and a run that finds the token valid calls none.
 */
const lazyFsPromises = {
  name: 'lazy-fs-promises',
  setup(build: PluginBuild) {
    build.onResolve({ filter: /^node:fs\/promises$/ }, (args) =>
      args.kind === 'require-call' ? { path: args.path, external: true } : { path: args.path, namespace: 'lazy-fs-promises' },
    );
    build.onLoad({ filter: /.*/, namespace: 'lazy-fs-promises' }, () => {
      const names = Object.keys(require('node:fs/promises')).filter((name) => name !== 'constants');
      return {
        loader: 'js' as const,
        contents: [
          "import { constants } from 'node:fs';",
          'let promises;',
          "const load = () => (promises ??= require('node:fs/promises'));",
          'export { constants };',
          ...names.map((name) => `export const ${name} = (...args) => load().${name}(...args);`),
        ].join('\n'),
      };
    });
  },
};

/**
 * In the CommonJS bundles, built-ins imported on demand (node:crypto, node:os) are
 * required: a dynamic import() would start the ES module loader just for them.
 */
const builtinsRequired = {
  name: 'builtins-required',
  setup(build: PluginBuild) {
    build.onResolve({ filter: /^node:/ }, (args) => (args.kind === 'dynamic-import' ? { path: args.path, namespace: 'builtins-required' } : undefined));
    build.onLoad({ filter: /.*/, namespace: 'builtins-required' }, (args) => ({ loader: 'js' as const, contents: `module.exports = require(${JSON.stringify(args.path)});` }));
  },
};

// main.cjs loads cli.js (built from src/cli/entry.ts) and hot-full.cjs at run time, never bundles them.
const otherBundlesStaySeparate = {
  name: 'other-bundles-stay-separate',
  setup(build: PluginBuild) {
    build.onResolve({ filter: /^\.\/cli\/entry\.js$/ }, () => ({ path: './cli.js', external: true }));
    build.onResolve({ filter: /^\.\/hot-full\.cjs$/ }, (args) => ({ path: args.path, external: true }));
  },
};

/**
 * dist/ never carries the standalone binary's loader: there src/sea/sea.ts is a stub whose
 * IN_SEA is false, so main.cjs requires no more built-ins than before (check:dist).
 */
const notSea = {
  name: 'not-sea',
  setup(build: PluginBuild) {
    build.onResolve({ filter: /\/sea\/sea$/ }, () => ({ path: 'sea', namespace: 'not-sea' }));
    build.onLoad({ filter: /.*/, namespace: 'not-sea' }, () => ({
      loader: 'js' as const,
      contents: "export const IN_SEA = false; export function seaAsset() { throw new Error('not the standalone binary'); } export const loadSeaBundle = seaAsset;",
    }));
  },
};

/**
 * The PostgreSQL store (src/store/postgres/, and node-postgres with it) belongs to cli.js
 * only, as its own chunk: with HH_TOKEN_STORE naming a database, main.cjs hands every
 * command to cli.js, so the CommonJS hot bundles, which would inline it, get a stub.
 */
const postgresStoreInCliOnly = {
  name: 'postgres-store-in-cli-only',
  setup(build: PluginBuild) {
    build.onResolve({ filter: /^\.\/postgres\/index$/ }, () => ({ path: 'postgres-store', namespace: 'postgres-store-in-cli-only' }));
    build.onLoad({ filter: /.*/, namespace: 'postgres-store-in-cli-only' }, () => ({
      loader: 'js' as const,
      contents: "export async function openPostgresStore() { throw new Error('the hot bundles never open the PostgreSQL store: main.cjs hands a DSN store to cli.js'); }",
    }));
  },
};

const common: Options = {
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  clean: false,
  removeNodeProtocol: false,
  sourcemap: false,
  outDir: 'dist',
  // Left to our plugin below, not marked external as a dependency by tsup.
  noExternal: ['ofetch'],
  define: { __HH_OAUTH_VERSION__: JSON.stringify(version) },
};

/**
 * The standalone binary's three bundles (build/sea/, embedded by scripts/package.mjs): the
 * same hot path as main.cjs, and hot-full.cjs and cli.cjs (src/cli/run-cli.ts) with every
 * dependency bundled in, since the binary has no node_modules. __HH_SEA__ makes
 * src/sea/sea.ts load the other two from the binary's assets.
 */
const sea: Options = {
  ...common,
  format: ['cjs'],
  splitting: false,
  outDir: 'build/sea',
  noExternal: [/.*/],
  define: { ...common.define, __HH_SEA__: 'true' },
};

export default defineConfig([
  { ...common, entry: { cli: 'src/cli/entry.ts' }, splitting: true, esbuildPlugins: [ofetchWithoutEngine, notSea] },
  {
    ...common,
    entry: { main: 'src/main.ts' },
    format: ['cjs'],
    splitting: false,
    esbuildPlugins: [lazyFsPromises, builtinsRequired, otherBundlesStaySeparate, notSea, postgresStoreInCliOnly],
  },
  { ...common, entry: { 'hot-full': 'src/cli/hot/full.ts' }, format: ['cjs'], splitting: false, esbuildPlugins: [ofetchWithoutEngine, builtinsRequired, notSea, postgresStoreInCliOnly] },
  { ...sea, entry: { main: 'src/main.ts' }, noExternal: [], esbuildPlugins: [lazyFsPromises, builtinsRequired, otherBundlesStaySeparate, postgresStoreInCliOnly] },
  { ...sea, entry: { 'hot-full': 'src/cli/hot/full.ts' }, esbuildPlugins: [ofetchWithoutEngine, builtinsRequired, postgresStoreInCliOnly] },
  { ...sea, entry: { cli: 'src/cli/run-cli.ts' }, esbuildPlugins: [ofetchWithoutEngine, builtinsRequired] },
]);
