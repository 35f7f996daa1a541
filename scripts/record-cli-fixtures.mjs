#!/usr/bin/env node
// node scripts/record-cli-fixtures.mjs [--check]: records how the CLI parses its argvs, into
// test/fixtures/cli/{help,corpus}.json, which test/unit/cli/command-table.test.ts holds the
// command table to. Run after `npm run build` (help is captured from the built binary).
//
// - help.json: `node -- bin/hh-oauth [CMD [SUB]] --help` of every command, spawned for real.
// - corpus.json: a few hundred argvs, each with how commander parses it in-process (the
//   options object and arguments a command module receives, or the usage error) and how
//   the hot path's parseHotArgs reads it; for the argvs that run no command (help, version,
//   usage errors) also what the real process prints and its exit code.
//
// The in-process parse is test/unit/cli/parse-recorder.ts, bundled here with esbuild so that
// plain node can run it: the command modules are replaced by recording stand-ins, and the
// program module's own top-level start (if it has one) is removed. The corpus is built
// from the program itself (every command, each of its options in each form, bad values,
// unknown options, missing arguments, globals before and after, `--`, -V, typos), so a
// later run on a changed program changes the corpus too: --check then reports the diff
// instead of writing, which is how a refactor shows that it parses exactly as before.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src');
const bin = join(root, 'bin/hh-oauth');
const fixtures = join(root, 'test/fixtures/cli');
const check = process.argv.includes('--check');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

if (!existsSync(join(root, 'dist/main.cjs'))) {
  console.error('record-cli-fixtures: dist/main.cjs is missing; run `npm run build` first');
  process.exit(1);
}

// --- the in-process recorder, bundled -------------------------------------------------
const cache = join(root, 'node_modules/.cache/hh-oauth-fixtures');
mkdirSync(cache, { recursive: true });
async function bundleAndImport(entry, plugins = []) {
  const outfile = join(cache, `bundle-${process.pid}.mjs`);
  await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outfile, plugins, logLevel: 'error' });
  try {
    return await import(`${pathToFileURL(outfile).href}?${Date.now()}`);
  } finally {
    rmSync(outfile);
  }
}

const fake = join(root, 'test/unit/cli/fake-commands.ts');
const { COMMAND_EXPORTS } = await bundleAndImport(fake);
const standIns = {
  name: 'command-stand-ins',
  setup(b) {
    b.onResolve({ filter: /\/commands\// }, (args) => {
      if (!args.importer.startsWith(join(src, 'cli'))) return undefined;
      const base = resolve(dirname(args.importer), args.path).replace(/\.(js|ts)$/, '');
      const file = [`${base}.ts`, join(base, 'index.ts')].find(existsSync);
      if (!file || !file.startsWith(join(src, 'commands'))) return undefined;
      return { path: relative(src, file).replace(/\.ts$/, ''), namespace: 'stand-in' };
    });
    b.onLoad({ filter: /.*/, namespace: 'stand-in' }, ({ path: id }) => {
      const names = COMMAND_EXPORTS[id];
      if (!names) return { errors: [{ text: `no stand-in for ${id} in ${relative(root, fake)}` }] };
      return {
        loader: 'js',
        resolveDir: root,
        contents: [
          `import { fakeCommandModule } from ${JSON.stringify(fake)};`,
          `const m = fakeCommandModule(${JSON.stringify(id)});`,
          ...names.map((name) => (name === 'default' ? 'export default m.default;' : `export const ${name} = m.${name};`)),
        ].join('\n'),
      };
    });
    // A program module that starts the CLI when imported (src/cli/program.ts before the command table) must not here.
    b.onLoad({ filter: /src\/cli\/program\.ts$/ }, (args) => ({
      loader: 'ts',
      contents: readFileSync(args.path, 'utf8').replace(/^await main\(process\.argv\);$/m, ''),
    }));
  },
};
const recorder = await bundleAndImport(join(root, 'test/unit/cli/parse-recorder.ts'), [standIns]);

// --- the corpus -----------------------------------------------------------------------
const { globals, commands } = recorder.describeProgram();
const corpus = new Map();
const add = (...argvs) => argvs.forEach((argv) => corpus.set(JSON.stringify(argv), argv));

const SAMPLE = { key: 'user-agent', value: 'Bot/1.0', 'code-or-url': '-' };
const sample = (name) => SAMPLE[name] ?? `${name}-1`;
const VALUE = { '--listen': '127.0.0.1:9000', '--timeout': '30s', '--concurrency': '8', '--port': '0', '--user': 'employer' };

add([], ['--help'], ['-h'], ['help'], ['-V'], ['--version'], ['-V', 'refresh'], ['refresh', '-V'], ['--version', 'extra'], ['-v']);
add(['refersh'], ['whoamI'], ['Refresh'], ['config', 'sett'], ['profiles', 'lst'], ['help', 'bogus'], ['help', 'config', 'set'], ['--bogus'], ['-z'], ['--json'], ['--json', 'bogus']);
add(['--', 'refresh'], ['refresh', '--'], ['refresh', '--', '--force'], ['exchange', '--', '-'], ['exchange', '--', '--state'], ['--json=1', 'refresh'], ['refresh', '--force=yes']);
add(['refresh', '--json', '--json'], ['refresh', '--force', '--force'], ['refresh', '--env-file', '--force'], ['refresh', '--profile', '-x'], ['refresh', '--profile', '--force']);
add(['refresh', '--all', '--concurrency', '8', '--json'], ['refresh', '--concurrency=8', '--all'], ['refresh', '--concurrency'], ['token', '--header', '--show', '--app'], ['token', '--app=1']);
add(['--env-file', 'a.env', '--json', '--profile', 'acme', '--manager-account', '5000002', '--on-refresh', 'systemctl restart bot', 'whoami', '--manager-accounts']);
add(['install-units', '--on-calendar', 'daily', '--on-calendar', '*-*-* 05:00:00', '--no-nginx', '--no-enable', '--dry-run']);
add(['sandbox', '--user', 'nobody'], ['sandbox', '--user=employer', '--port=0'], ['login', '--no-open', '--no-probe', '--check-only'], ['login', '--open'], ['doctor', '--refresh']);
add(['config', 'set', 'client-secret'], ['config', 'set', 'client-secret', '-'], ['config', 'get'], ['config', 'bogus'], ['config', 'list', 'extra'], ['profiles', 'set', 'manager-account'], ['profiles', 'unset']);
add(['profiles', 'bogus'], ['profiles', 'list', '--json'], ['--profile', 'acme', 'profiles', 'set', 'manager-account', '5000002'], ['profiles', '--json']);

for (const g of globals) {
  const value = g.takesValue ? ['x'] : [];
  add([g.long, ...value, 'refresh'], ['refresh', g.long, ...value], [g.long, ...value, 'status'], ['status', g.long, ...value]);
  if (g.takesValue) add([`${g.long}=x`, 'refresh'], ['refresh', `${g.long}=x`], ['refresh', g.long], ['refresh', `${g.long}=`], [g.long]);
  else add([`${g.long}=1`, 'status']);
}

for (const { path, args, options } of commands) {
  const required = args.filter((a) => a.required).map((a) => sample(a.name));
  const all = args.map((a) => sample(a.name));
  add(path, [...path, ...required], [...path, ...all], [...path, ...all, 'extra']);
  add([...path, '--help'], [...path, '-h'], ['help', ...path], [...path, ...required, '--bogus'], [...path, ...required, '-z']);
  add(['--json', ...path, ...required], [...path, ...required, '--json'], [...path, ...required, '--']);
  if (path.length > 1) add([path[0], '--json', ...path.slice(1), ...required], [path[0], '--help', ...path.slice(1)]);
  for (const o of options) {
    const base = [...path, ...required];
    if (o.negate) {
      add([...base, o.long], [...base, `--${o.long.slice('--no-'.length)}`], [...base, `${o.long}=1`]);
    } else if (!o.takesValue) {
      add([...base, o.long], [...base, `${o.long}=1`], [...path, o.long, ...required]);
      if (o.short) add([...base, o.short], [...base, `${o.short}x`]);
    } else {
      const v = VALUE[o.long] ?? 'v-1';
      add([...base, o.long, v], [...base, `${o.long}=${v}`], [...base, o.long], [...base, `${o.long}=`], [...base, o.long, '--json'], [...path, o.long, v, ...required]);
      if (o.choices) add([...base, o.long, 'not-a-choice']);
      if (o.repeatable) add([...base, o.long, 'a', o.long, 'b']);
    }
  }
}

// --- recording --------------------------------------------------------------------------
const home = mkdtempSync(join(tmpdir(), 'hh-oauth-fixtures-'));
const env = { PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8' };

function run(argv) {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--', bin, ...argv], { env, cwd: home, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

async function pool(items, width, fn) {
  const results = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  }));
  return results;
}

const problems = [];

/** The real process must say what the in-process parse says, or the recorder is not faithful. */
function compare(argv, parse, real) {
  const where = `hh-oauth ${JSON.stringify(argv)}`;
  if (real.code !== parse.code) problems.push(`${where}: exit ${real.code} for real, ${parse.code} in-process`);
  // In-process (and under vitest) VERSION is the source fallback; the build has the package's.
  if (parse.kind === 'exit' && real.stdout !== parse.stdout.replace(/^0\.0\.0-dev\n$/, `${version}\n`)) problems.push(`${where}: stdout differs between the real process and in-process`);
  if (parse.kind === 'error') {
    const json = argv.includes('--json');
    const said = json ? JSON.parse(real.stdout).error : undefined;
    if (json ? said.message !== parse.message : !real.stderr.includes(`error: ${parse.message.split('\n')[0]}`)) problems.push(`${where}: the real error is not "${parse.message}"`);
    const lines = parse.message.split('\n').length + (parse.suggestion ? 1 : 0);
    if (!json && !parse.stderr && real.stderr.split('\n').filter(Boolean).length !== lines) problems.push(`${where}: the real stderr has more than the error`);
  }
}

const argvs = [...corpus.values()];
const records = [];
for (const argv of argvs) records.push({ argv, hot: recorder.parseHot(argv), parse: await recorder.parseInProcess(argv) });
const spawned = records.filter((r) => r.parse.kind !== 'action');
const reals = await pool(spawned, 2, (r) => run(r.argv));
spawned.forEach((r, i) => {
  compare(r.argv, r.parse, reals[i]);
  // Help text once per record: the real process's copy only where it differs.
  const { code, stdout, stderr } = reals[i];
  r.process = { code, ...(stdout === r.parse.stdout ? { stdout_as_parsed: true } : { stdout }), ...(stderr === r.parse.stderr ? { stderr_as_parsed: true } : { stderr }) };
});
for (const r of records) {
  if (r.parse.kind === 'none') problems.push(`hh-oauth ${JSON.stringify(r.argv)}: the parse ended without a command and without an error`);
  if (r.hot?.kind === 'command' && (r.parse.kind !== 'action' || JSON.stringify(r.hot.opts) !== JSON.stringify(r.parse.opts))) problems.push(`hh-oauth ${JSON.stringify(r.argv)}: the hot path and commander disagree`);
}

const helpArgvs = [[], ...commands.map((c) => c.path)].map((path) => [...path, '--help']);
const help = [];
for (const [i, real] of (await pool(helpArgvs, 2, run)).entries()) {
  const argv = helpArgvs[i];
  const parse = await recorder.parseInProcess(argv);
  compare(argv, parse, real);
  help.push({ argv, ...real });
}
rmSync(home, { recursive: true, force: true });

if (problems.length > 0) {
  console.error(`record-cli-fixtures: the in-process parse does not match the real CLI:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}

const files = { 'help.json': help, 'corpus.json': records };
let differs = false;
for (const [name, data] of Object.entries(files)) {
  const text = JSON.stringify(data, null, 2) + '\n';
  const path = join(fixtures, name);
  if (check) {
    const before = existsSync(path) ? readFileSync(path, 'utf8') : '';
    if (before !== text) {
      differs = true;
      console.error(`record-cli-fixtures --check: ${relative(root, path)} differs from the CLI of this tree`);
    }
  } else {
    mkdirSync(fixtures, { recursive: true });
    writeFileSync(path, text);
  }
}
const counts = records.reduce((acc, r) => ({ ...acc, [r.parse.kind]: (acc[r.parse.kind] ?? 0) + 1 }), {});
console.log(`${help.length} help pages; ${records.length} argvs (${Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(', ')}; ${records.filter((r) => r.hot).length} taken by the hot path)${check ? '' : `, written to ${relative(root, fixtures)}/`}`);
if (differs) process.exit(1);
