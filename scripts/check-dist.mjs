#!/usr/bin/env node
// npm run check:dist [DIST_DIR]: fails when the built hot path reaches a heavy dependency.
//
// dist/main.js (bin/hh-oauth's import) is the hot path: `refresh`, `--version` and every
// command in src/hot-path.ts run from it alone. It may statically import only the cheap
// built-ins below, and bundle only ofetch and its two helpers (initialised on first use).
// dist/cli.js is the commander program; for the commands that scripts and timers call
// (refresh, token, whoami, status) its static graph plus the command's chunk must not
// reach the interactive commands' dependencies either.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = process.argv[2] ?? fileURLToPath(new URL('../dist/', import.meta.url));
const HEAVY = ['conf', 'execa', 'open', 'qrcode', 'node-fetch-native', 'commander', 'chalk'];
const HOT_STATIC_BUILTINS = ['node:fs/promises', 'node:module', 'node:path', 'node:url'];
const HOT_BUNDLED = ['ofetch', 'destr', 'ufo'];
const COLD_HOT_COMMANDS = ['refresh', 'token', 'whoami', 'status'];
// commander is what cli.js is for; chalk is loaded by output.ts only when it may colour.
const COLD_ALLOWED = ['commander'];

const problems = [];
const files = new Map(readdirSync(dist).filter((f) => f.endsWith('.js')).map((f) => [f, parse(readFileSync(join(dist, f), 'utf8'))]));

function parse(code) {
  const statics = [...code.matchAll(/^(?:import|export)\s[^;]*?\bfrom\s*"([^"]+)"|^import\s*"([^"]+)"/gm)].map((m) => m[1] ?? m[2]);
  const dynamics = [...code.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g)].map((m) => m[1]);
  // esbuild marks each bundled module with a `// node_modules/<package>/…` comment.
  const bundled = [...new Set([...code.matchAll(/^\/\/ node_modules\/((?:@[^/]+\/)?[^/]+)\//gm)].map((m) => m[1]))];
  return { statics, dynamics, bundled };
}

const local = (spec) => spec.startsWith('./');
const pkg = (spec) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');

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

function report(title, graph) {
  console.log(`${title}`);
  console.log(`  files:    ${graph.files.join(', ')}`);
  console.log(`  imports:  ${graph.external.join(', ') || '(none)'}`);
  console.log(`  bundled:  ${graph.bundled.join(', ') || '(none)'}`);
  console.log(`  loaded on demand: ${graph.dynamic.join(', ') || '(none)'}`);
}

if (!files.has('main.js') || !files.has('cli.js')) {
  console.error('check:dist: dist/main.js or dist/cli.js is missing; run `npm run build`');
  process.exit(1);
}

// The hot path: one file of ours, cheap built-ins, ofetch bundled.
const hot = staticGraph('main.js');
report('hot path (bin/hh-oauth → dist/main.js)', hot);
if (hot.files.length !== 1) problems.push(`dist/main.js imports other chunks statically: ${hot.files.slice(1).join(', ')}`);
for (const spec of hot.external) {
  if (!HOT_STATIC_BUILTINS.includes(spec)) problems.push(`dist/main.js imports ${spec} at start-up (allowed: ${HOT_STATIC_BUILTINS.join(', ')})`);
}
for (const name of hot.bundled) {
  if (!HOT_BUNDLED.includes(name)) problems.push(`dist/main.js bundles ${name} (allowed: ${HOT_BUNDLED.join(', ')})`);
}
for (const spec of hot.dynamic) {
  if (HEAVY.filter((h) => h !== 'chalk').includes(pkg(spec))) problems.push(`dist/main.js can load ${spec}: only ./cli.js may`);
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
  const merged = {
    files: [...new Set([...graph.files, ...own.files])],
    external: [...new Set([...graph.external, ...own.external])],
    bundled: [...new Set([...graph.bundled, ...own.bundled])],
    dynamic: [...new Set(own.dynamic)],
  };
  console.log('');
  report(`hh-oauth ${name} through commander (dist/cli.js + ${chunk})`, merged);
  for (const spec of [...merged.external, ...merged.bundled]) {
    const name2 = pkg(spec);
    if (HEAVY.includes(name2) && !COLD_ALLOWED.includes(name2)) problems.push(`${name} reaches ${spec} at start-up (through dist/cli.js + ${chunk})`);
  }
  for (const spec of own.dynamic) {
    if (['conf', 'execa', 'open', 'qrcode'].includes(pkg(spec))) problems.push(`${name} can load ${spec} (through ${chunk})`);
  }
}

if (problems.length > 0) {
  console.error(`\ncheck:dist FAILED:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}
console.log('\ncheck:dist: the hot path reaches none of: ' + HEAVY.join(', '));
