#!/usr/bin/env node
// npm run package: the standalone binary build/hh-oauth (a Node single executable
// application) and the Debian package build/hh-oauth_VERSION_ARCH.deb. See docs/packaging.md.
//
// `npm run build` first writes build/sea/ (tsup.config.ts): main.cjs, the hot path, is the
// binary's main script; cli.cjs, hot-full.cjs and the unit and nginx templates are
// embedded as assets that src/sea/sea.ts loads only when a command needs them.
//
//   PACKAGE_DEB=0        build the binary only
//   PACKAGE_XZ_LEVEL=N   the .deb's xz level (default 6; .ci/run uses 1, which is ten times faster)
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEMPLATES } from './templates.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const build = join(root, 'build');
const seaDir = join(build, 'sea');
const binary = join(build, 'hh-oauth');
// The fuse that postject flips so that Node runs the embedded blob (Node's SEA documentation).
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], ...opts });

for (const file of ['main.cjs', 'cli.cjs', 'hot-full.cjs']) {
  if (!existsSync(join(seaDir, file))) throw new Error(`build/sea/${file} is missing: run \`npm run build\` first (npm run package does)`);
}

const assets = { 'cli.cjs': join(seaDir, 'cli.cjs'), 'hot-full.cjs': join(seaDir, 'hot-full.cjs') };
for (const rel of TEMPLATES) assets[rel] = join(root, rel);
const blob = join(seaDir, 'sea-prep.blob');
writeFileSync(
  join(seaDir, 'sea-config.json'),
  JSON.stringify(
    {
      main: join(seaDir, 'main.cjs'),
      output: blob,
      disableExperimentalSEAWarning: true,
      // A code cache costs start-up here (docs/packaging.md), and a snapshot cannot hold the hot path's file reads.
      useCodeCache: false,
      useSnapshot: false,
      assets,
    },
    null,
    2,
  ),
);
run(process.execPath, ['--experimental-sea-config', join(seaDir, 'sea-config.json')], { stdio: ['ignore', 'ignore', 'inherit'] });

// Strip a copy of node, then inject: stripping after postject drops the blob's note and breaks the binary.
rmSync(binary, { force: true });
copyFileSync(process.execPath, binary);
chmodSync(binary, 0o755);
run('strip', ['--strip-all', binary]);
// postject's ELF library warns about Node's unnamed note sections on every run; the rest of its stderr is shown.
const injected = spawnSync(join(root, 'node_modules', '.bin', 'postject'), [binary, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', FUSE], { encoding: 'utf8' });
process.stderr.write(injected.stderr.replace(/^warning: Can't find string offset for section name '\.note[^']*'\n/gm, ''));
if (injected.status !== 0) throw new Error(`postject exited ${injected.status}`);

const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
const said = execFileSync(binary, ['--version'], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } }).trim();
if (said !== version) throw new Error(`build/hh-oauth --version printed "${said}", not ${version}`);
console.log(`build/hh-oauth: ${(statSync(binary).size / 1048576).toFixed(1)} MiB, Node ${process.version}`);

if (process.env.PACKAGE_DEB !== '0') {
  const { buildDeb } = await import('./deb.mjs');
  buildDeb({ root, build, binary, version });
}
