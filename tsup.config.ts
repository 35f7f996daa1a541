import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { PluginBuild } from 'esbuild';
import { defineConfig, type Options } from 'tsup';

/**
 * Four builds into dist/ (see docs/performance.md):
 * - main.cjs, the hot path: what bin/hh-oauth requires, one self-contained CommonJS file
 *   that answers the commands of src/cli/hot-commands.ts in their common case, without commander
 *   or Node's ES module loader, and hands every other argv to cli.js;
 * - hot-full.cjs: the hot commands' full implementations (lock, HTTP, writes), CommonJS,
 *   required by main.cjs only when its runner cannot answer (a due refresh);
 * - cli.js and its chunks: the commander program, ESM split into one chunk per command;
 * - ofetch.js: ofetch for cli.js, imported on its first HTTP request.
 * Each command runs from one of them, so they need not share module instances.
 */
const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
const require = createRequire(import.meta.url);

// The builds share dist/, so it is cleared once here rather than by each of them.
rmSync('dist', { recursive: true, force: true });

/**
 * ofetch's "node" export loads node-fetch-native (a fetch polyfill, plus node:http and
 * node:https) even though Node 20 has fetch, which ofetch then uses; its platform-neutral
 * entry is the same client on globalThis.fetch. It is always bundled from that entry (with
 * destr and ufo): into hot-full.cjs, and for cli.js as ./ofetch.js, so that a command
 * that makes no request neither resolves nor parses it.
 */
const ofetchEntry = join(dirname(require.resolve('ofetch/package.json')), 'dist/index.mjs');
const ofetchAsOwnFile = {
  name: 'ofetch-as-own-file',
  setup(build: PluginBuild) {
    build.onResolve({ filter: /^ofetch$/ }, () => ({ path: './ofetch.js', external: true }));
  },
};
const ofetchBundled = {
  name: 'ofetch-bundled',
  setup(build: PluginBuild) {
    build.onResolve({ filter: /^ofetch$/ }, () => ({ path: ofetchEntry }));
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

export default defineConfig([
  { ...common, entry: { cli: 'src/cli/entry.ts' }, splitting: true, esbuildPlugins: [ofetchAsOwnFile] },
  {
    ...common,
    entry: { main: 'src/main.ts' },
    format: ['cjs'],
    splitting: false,
    esbuildPlugins: [lazyFsPromises, builtinsRequired, otherBundlesStaySeparate],
  },
  { ...common, entry: { 'hot-full': 'src/cli/hot/full.ts' }, format: ['cjs'], splitting: false, esbuildPlugins: [ofetchBundled, builtinsRequired] },
  { ...common, entry: { ofetch: ofetchEntry }, splitting: false, noExternal: ['ofetch', 'destr', 'ufo'] },
]);
