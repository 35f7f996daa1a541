import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { PluginBuild } from 'esbuild';
import { defineConfig, type Options } from 'tsup';

const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

// Two builds share dist/, so it is cleared once here rather than by each of them.
rmSync('dist', { recursive: true, force: true });

/**
 * ofetch's "node" export loads node-fetch-native (a fetch polyfill, plus node:http and
 * node:https) even though Node 20 has fetch and ofetch then uses it; its platform-neutral
 * entry is the same client on globalThis.fetch. It is bundled, so resolving it costs nothing.
 */
const ofetchEntry = join(dirname(createRequire(import.meta.url).resolve('ofetch/package.json')), 'dist/index.mjs');
const ofetchWithoutPolyfill = {
  name: 'ofetch-without-polyfill',
  setup(build: PluginBuild) {
    build.onResolve({ filter: /^ofetch$/ }, () => ({ path: ofetchEntry }));
  },
};

/**
 * In the hot bundle, Node's built-ins are loaded with require(). An ES import of a built-in
 * goes through the ES loader and copies all of the module's exports; for node:fs that runs
 * its lazy getters (ReadStream, promises…), which load Node's whole streams stack, about
 * 20 internal modules that a `refresh` finding the token valid never uses. Only plain
 * values are re-exported, never a getter. node:module itself, which provides require(),
 * stays an ES import.
 */
const requireBuiltins = {
  name: 'require-builtins',
  setup(build: PluginBuild) {
    const require = createRequire(import.meta.url);
    build.onResolve({ filter: /^node:/ }, (args) =>
      args.path === 'node:module' ? { path: args.path, external: true } : { path: args.path, namespace: 'require-builtins' },
    );
    build.onLoad({ filter: /.*/, namespace: 'require-builtins' }, (args) => {
      const names = Object.entries(Object.getOwnPropertyDescriptors(require(args.path)))
        .filter(([name, d]) => 'value' in d && /^[A-Za-z_$][\w$]*$/.test(name) && name !== 'default')
        .map(([name]) => name);
      return {
        loader: 'js' as const,
        contents: [
          "import { createRequire } from 'node:module';",
          `const builtin = createRequire(import.meta.url)(${JSON.stringify(args.path)});`,
          `export const { ${names.join(', ')} } = builtin;`,
          'export default builtin;',
        ].join('\n'),
      };
    });
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
  noExternal: ['ofetch'],
  esbuildPlugins: [ofetchWithoutPolyfill],
  define: { __HH_OAUTH_VERSION__: JSON.stringify(version) },
};

export default defineConfig([
  // Everything behind commander: one chunk per command, shared code in shared chunks.
  { ...common, entry: { cli: 'src/cli.ts' }, splitting: true },
  // The hot path (src/main.ts): one self-contained file; cli.js is loaded only when
  // the argv is not a hot command, so the two never share module instances.
  {
    ...common,
    entry: { main: 'src/main.ts' },
    splitting: false,
    esbuildPlugins: [
      ofetchWithoutPolyfill,
      requireBuiltins,
      {
        name: 'cold-path-stays-separate',
        setup(build: PluginBuild) {
          build.onResolve({ filter: /^\.\/cli\.js$/ }, () => ({ path: './cli.js', external: true }));
        },
      },
    ],
  },
]);
