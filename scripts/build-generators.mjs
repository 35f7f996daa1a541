// Bundles src/packaging/generate.ts (the man page and the settings-file template, generated
// from the command table and the docs) into build/gen/generate.cjs for scripts/deb.mjs.
// `config: false`: tsup.config.ts would clear dist/.
import { readFileSync } from 'node:fs';
import { build } from 'tsup';

const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
await build({
  entry: { generate: 'src/packaging/generate.ts' },
  format: ['cjs'],
  outDir: 'build/gen',
  platform: 'node',
  target: 'node20',
  config: false,
  silent: true,
  define: { __HH_OAUTH_VERSION__: JSON.stringify(version) },
});
