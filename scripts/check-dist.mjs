#!/usr/bin/env node
// npm run check:dist [DIST_DIR]: fails when the built hot path reaches a heavy dependency.
//
// dist/main.cjs (what bin/hh-oauth requires) answers the hot commands of src/cli/hot-commands.ts;
// dist/hot-full.cjs runs them in full when main.cjs hands over (a due refresh). Both are
// single CommonJS files: they may require only the built-ins listed below, bundle only
// the HTTP stack (hot-full only: ofetch and its two helpers), and import()
// only what is listed. (In a CommonJS bundle a package imported at the top of a lazily
// loaded module becomes a require(), which fails for ESM-only packages such as execa: this
// check catches that too.)
// dist/cli.js is the commander program; for the commands that scripts and timers call
// (refresh, token, whoami, status) its static graph plus the command's chunk must not
// reach the interactive commands' dependencies either.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = process.argv[2] ?? fileURLToPath(new URL('../dist/', import.meta.url));
const INTERACTIVE = ['conf', 'execa', 'open', 'qrcode'];
// The HTTP stack (src/hh/fetch-engine.ts: ofetch on a fetch over node:http), for a request
// only: never at start-up. A fetch library here (node-fetch-native, minipass-fetch…) costs
// a due refresh about 10 ms more than node:http (bench/http-engines.md).
const HTTP_BUILTINS = ['node:http', 'node:https'];
const HEAVY = [...INTERACTIVE, 'node-fetch-native', 'minipass-fetch', 'ofetch', 'commander', 'chalk'];
const HOT_FILES = {
  'main.cjs': {
    requires: ['node:fs', 'node:path', 'node:fs/promises', './hot-full.cjs'],
    imports: ['./cli.js', 'chalk'],
    bundled: [],
  },
  'hot-full.cjs': {
    requires: ['node:fs', 'node:path', 'node:fs/promises', 'node:os', ...HTTP_BUILTINS],
    // execa: only to run an --on-refresh hook, when one is configured and a refresh happened.
    imports: ['chalk', 'execa'],
    bundled: ['ofetch', 'destr', 'ufo'],
  },
};
// The token store's write side (src/token/write.ts and what only it needs) and the lock: the hot
// path reads the token file and nothing more. esbuild keeps a module's marker comment when it
// keeps anything of it; an `init_x();` line (a call into a module loaded anyway) is not code of it.
// hh.ru's error table (src/hh/error-table.ts, 11 KB) too: a token that is still valid needs none of it.
const WRITE_SIDE = /^src\/(token\/(write|reservation|token-lock|kept-pair|quarantine|ownership|replace-checks|debris|directory|discard|signal-guard)\.ts|lock\/|lifecycle\/new-grant\.ts|hh\/error-table\.ts)/;
// The PostgreSQL store (src/store/postgres/) and its driver: loaded with import() only when
// HH_TOKEN_STORE names a database, never by the hot path nor at a command's start-up.
const POSTGRES_STORE = /^src\/store\/postgres\//;
const DRIVER = ['pg', 'pg-pool', 'pg-protocol', 'pg-connection-string', 'pgpass', 'pg-types', 'pg-native', 'pg-cloudflare'];
const COLD_HOT_COMMANDS = ['refresh', 'token', 'whoami', 'status'];
// commander is what cli.js is for; chalk is loaded by output.ts only when it may colour.
const COLD_ALLOWED = ['commander'];

const problems = [];
const files = new Map(readdirSync(dist).filter((f) => /\.c?js$/.test(f)).map((f) => [f, parse(readFileSync(join(dist, f), 'utf8'))]));

function parse(code) {
  const statics = [...code.matchAll(/^(?:import|export)\s[^;]*?\bfrom\s*"([^"]+)"|^import\s*"([^"]+)"/gm)].map((m) => m[1] ?? m[2]);
  const dynamics = [...code.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g)].map((m) => m[1]);
  const requires = [...code.matchAll(/\brequire\(\s*"([^"]+)"\s*\)/g)].map((m) => m[1]);
  // esbuild marks each bundled module with a `// node_modules/<package>/…` comment.
  const bundled = [...new Set([...code.matchAll(/^\/\/ node_modules\/((?:@[^/]+\/)?[^/]+)\//gm)].map((m) => m[1]))];
  // Source modules with code of their own in the bundle: esbuild heads each with `// src/<path>`.
  const sources = new Set();
  let current;
  for (const line of code.split('\n')) {
    const marker = /^\/\/ (src\/\S+)$/.exec(line);
    if (marker) current = marker[1];
    else if (current && line.trim() !== '' && !/^init_\w+\(\);$/.test(line)) sources.add(current);
  }
  return { statics, dynamics, requires, bundled, sources: [...sources] };
}

const local = (spec) => spec.startsWith('./');
const pkg = (spec) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');
const unique = (list) => [...new Set(list)];

/** Files, external modules and dynamic imports reached from `start` through static imports. */
function staticGraph(start) {
  const seen = new Set();
  const external = new Set();
  const dynamic = new Set();
  const bundled = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    const info = files.get(file);
    if (!info) return problems.push(`${file} is imported but missing from dist/`);
    seen.add(file);
    info.bundled.forEach((b) => bundled.add(b));
    info.dynamics.forEach((d) => dynamic.add(d));
    for (const spec of info.statics) {
      if (local(spec)) visit(spec.slice(2));
      else external.add(spec);
    }
  };
  visit(start);
  return { files: [...seen], external: [...external], dynamic: [...dynamic], bundled: [...bundled] };
}

for (const name of ['main.cjs', 'hot-full.cjs', 'cli.js']) {
  if (!files.has(name)) {
    console.error(`check:dist: dist/${name} is missing; run \`npm run build\``);
    process.exit(1);
  }
}

// The hot path: single CommonJS files with a short, fixed list of what they may load.
for (const [name, allowed] of Object.entries(HOT_FILES)) {
  const info = files.get(name);
  console.log(`${name}${name === 'main.cjs' ? ' (bin/hh-oauth → dist/main.cjs)' : ' (when main.cjs hands over)'}`);
  console.log(`  requires: ${unique(info.requires).join(', ') || '(none)'}`);
  console.log(`  bundled:  ${info.bundled.join(', ') || '(none)'}`);
  console.log(`  imports on demand: ${unique(info.dynamics).join(', ') || '(none)'}`);
  if (info.statics.length > 0) problems.push(`${name} has ES imports (${unique(info.statics).join(', ')}): it must stay CommonJS`);
  for (const spec of unique(info.requires)) if (!allowed.requires.includes(spec)) problems.push(`${name} requires ${spec} (allowed: ${allowed.requires.join(', ')})`);
  for (const spec of unique(info.dynamics)) if (!allowed.imports.includes(spec)) problems.push(`${name} imports ${spec} (allowed: ${allowed.imports.join(', ')})`);
  for (const p of info.bundled) if (!allowed.bundled.includes(p)) problems.push(`${name} bundles ${p} (allowed: ${allowed.bundled.join(', ') || 'nothing'})`);
  if (name === 'main.cjs') {
    for (const source of info.sources) if (WRITE_SIDE.test(source)) problems.push(`${name} carries code of ${source}: the hot path only reads the token file`);
  }
  for (const spec of unique([...info.requires, ...info.dynamics, ...info.bundled])) if (DRIVER.includes(pkg(spec))) problems.push(`${name} reaches the PostgreSQL driver (${spec}): only cli.js's store chunk may load it`);
  for (const source of info.sources) if (POSTGRES_STORE.test(source)) problems.push(`${name} carries code of ${source}: the PostgreSQL store is cli.js's, loaded on demand`);
}

// The commander program, for the commands that scripts and timers call.
const chunks = new Map(files.get('cli.js').dynamics.filter(local).map((spec) => [spec.slice(2).replace(/-[A-Z0-9]{8}\.js$/, ''), spec.slice(2)]));
for (const name of COLD_HOT_COMMANDS) {
  const chunk = chunks.get(name);
  if (!chunk) {
    console.log(`\n${name}: no such command in this build`);
    continue;
  }
  const graph = staticGraph('cli.js');
  const own = staticGraph(chunk);
  console.log(`\nhh-oauth ${name} through commander (dist/cli.js + ${chunk})`);
  console.log(`  files:    ${unique([...graph.files, ...own.files]).join(', ')}`);
  console.log(`  imports:  ${unique([...graph.external, ...own.external]).join(', ')}`);
  console.log(`  imports on demand: ${own.dynamic.join(', ') || '(none)'}`);
  for (const spec of unique([...graph.external, ...own.external, ...graph.bundled, ...own.bundled])) {
    if (HEAVY.includes(pkg(spec)) && !COLD_ALLOWED.includes(pkg(spec))) problems.push(`${name} reaches ${spec} at start-up (through dist/cli.js + ${chunk})`);
  }
  for (const spec of own.dynamic) {
    if (INTERACTIVE.includes(pkg(spec))) problems.push(`${name} can load ${spec} (through ${chunk})`);
  }
  for (const spec of unique([...graph.external, ...own.external, ...graph.bundled, ...own.bundled, ...graph.dynamic, ...own.dynamic])) {
    if (DRIVER.includes(pkg(spec))) problems.push(`${name} reaches the PostgreSQL driver (${spec}) at start-up (through dist/cli.js + ${chunk}): only the store's own chunk may import it`);
  }
}

// The driver itself: every dist file that imports it must be reached from cli.js only
// through import() (the PostgreSQL store's chunk), never statically.
const startUp = staticGraph('cli.js').files;
let driverLoaders = 0;
for (const [file, info] of files) {
  const loadsDriver = [...info.statics, ...info.dynamics, ...info.requires, ...info.bundled].some((spec) => DRIVER.includes(pkg(spec)));
  if (!loadsDriver) continue;
  driverLoaders++;
  console.log(`\nthe PostgreSQL driver: loaded by ${file} (on demand)`);
  if (startUp.includes(file)) problems.push(`${file} loads the PostgreSQL driver and is part of cli.js's start-up`);
  if (file in HOT_FILES) problems.push(`${file} loads the PostgreSQL driver`);
}
// And the store is there at all: a check that finds nothing to check proves nothing.
if (driverLoaders === 0) problems.push('no file of dist/ loads the PostgreSQL driver: the PostgreSQL store is missing from the build');

// The standalone binary's main script (build/sea/main.cjs, which npm run build writes beside
// dist/): the same hot path, with node:sea and node:vm to run an embedded bundle, required
// only when main.cjs would have required hot-full.cjs or imported cli.js (docs/packaging.md).
const seaMain = fileURLToPath(new URL('../build/sea/main.cjs', import.meta.url));
if (process.argv[2] === undefined && existsSync(seaMain)) {
  const info = parse(readFileSync(seaMain, 'utf8'));
  const allowed = [...HOT_FILES['main.cjs'].requires, 'node:sea', 'node:vm'];
  console.log(`\nbuild/sea/main.cjs (the standalone binary's main script)`);
  console.log(`  requires: ${unique(info.requires).join(', ') || '(none)'}`);
  if (info.statics.length > 0) problems.push(`build/sea/main.cjs has ES imports (${unique(info.statics).join(', ')})`);
  for (const spec of unique(info.requires)) if (!allowed.includes(spec)) problems.push(`build/sea/main.cjs requires ${spec} (allowed: ${allowed.join(', ')})`);
  for (const p of info.bundled) problems.push(`build/sea/main.cjs bundles ${p}: the binary's hot path bundles nothing`);
  for (const source of info.sources) if (WRITE_SIDE.test(source)) problems.push(`build/sea/main.cjs carries code of ${source}: the hot path only reads the token file`);
}

if (problems.length > 0) {
  console.error(`\ncheck:dist FAILED:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}
console.log(`\ncheck:dist: the hot path reaches none of: ${HEAVY.join(', ')}, nor the PostgreSQL driver (${DRIVER[0]})`);
