// The Debian package, called by scripts/package.mjs once build/hh-oauth exists. See
// docs/packaging.md for what goes where and why; packaging/debian/ holds the hand-written
// parts (maintainer scripts, lintian overrides, copyright head, changelog).
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { TEMPLATES } from './templates.mjs';

const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { encoding: 'utf8', ...opts });

/** Node's own licence, which the binary carries: from the node that built it. */
function nodeLicence() {
  const candidates = ['/usr/share/doc/nodejs/LICENSE', join(dirname(process.execPath), '..', 'share', 'doc', 'node', 'LICENSE'), join(dirname(process.execPath), '..', 'LICENSE')];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`Node's LICENSE is not in ${candidates.join(', ')}: the .deb must carry the licence of the Node it embeds`);
  // Debian's copyright refers to the Apache License's text in common-licenses instead of copying it (Policy 12.5).
  const text = readFileSync(found, 'utf8').replace(
    /^([ \t]*)Apache License[ \t]*\n[ \t]*Version 2\.0, January 2004[\s\S]*?END OF TERMS AND CONDITIONS[ \t]*$/gm,
    '$1The Apache License, Version 2.0; on Debian systems its full text is in\n$1/usr/share/common-licenses/Apache-2.0.',
  );
  if (/Version 2\.0, January 2004/.test(text)) throw new Error(`${found}: a copy of the Apache License was left in`);
  return text;
}

/** Every npm package bundled into the binary, with its licence (all must be MIT/ISC/BSD-style). */
function bundledPackages(root) {
  const code = ['cli.cjs', 'hot-full.cjs', 'main.cjs'].map((f) => readFileSync(join(root, 'build', 'sea', f), 'utf8')).join('\n');
  const names = [...new Set([...code.matchAll(/^\/\/ node_modules\/((?:@[^/]+\/)?[^/]+)\//gm)].map((m) => m[1]))].sort();
  return names.map((name) => {
    const pkg = JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8'));
    return { name, version: pkg.version, license: typeof pkg.license === 'string' ? pkg.license : 'UNKNOWN' };
  });
}

const DEP5_LICENCE = { MIT: 'Expat', ISC: 'ISC', 'Apache-2.0': 'Apache-2.0', 'BSD-3-Clause': 'BSD-3-clause' };

function copyright(root, packages) {
  const head = readFileSync(join(root, 'packaging', 'debian', 'copyright.in'), 'utf8');
  const byLicence = new Map();
  for (const p of packages) {
    const licence = DEP5_LICENCE[p.license];
    if (!licence) throw new Error(`bundled package ${p.name} has licence "${p.license}", which packaging/debian/copyright.in does not carry`);
    byLicence.set(licence, [...(byLicence.get(licence) ?? []), `${p.name} ${p.version}`]);
  }
  const bundled = [...byLicence].map(([licence, list]) => `Files: usr/bin/hh-oauth (bundled JavaScript: ${list.join(', ')})\nCopyright: their authors, as each package.json names them\nLicense: ${licence}\n`).join('\n');
  const nodeText = nodeLicence().trimEnd().split('\n').map((l) => (l.trim() === '' ? ' .' : ` ${l}`)).join('\n');
  return `${head.trimEnd()}\n\n${bundled}\nFiles: usr/bin/hh-oauth (the Node.js runtime)\nCopyright: Node.js contributors, Joyent, Inc. and the authors of the libraries Node.js includes\nLicense: Node.js\n\nLicense: Node.js\n The licence of Node.js and of every library it includes, as Node.js ships it:\n .\n${nodeText}\n`;
}

export function buildDeb({ root, build, binary, version }) {
  const arch = run('dpkg', ['--print-architecture']).trim();
  const stage = join(build, 'deb');
  rmSync(stage, { recursive: true, force: true });
  // A directory's mode is set once, when it is first made (etc/hh-oauth is 0700, the rest 0755).
  const dir = (rel, mode = 0o755) => {
    const path = join(stage, rel);
    const missing = [];
    for (let d = path; d.length > stage.length && !existsSync(d); d = dirname(d)) missing.push(d);
    mkdirSync(path, { recursive: true });
    for (const d of missing) chmodSync(d, d === path ? mode : 0o755);
    return path;
  };
  const file = (rel, content, mode = 0o644) => {
    dir(dirname(rel));
    writeFileSync(join(stage, rel), content);
    chmodSync(join(stage, rel), mode);
  };

  // The generators (man page, settings file) are TypeScript over the command table: bundled once here.
  const gen = join(build, 'gen', 'generate.cjs');
  run(process.execPath, [join(root, 'scripts', 'build-generators.mjs')], { cwd: root, stdio: 'inherit' });
  const { manPage, envFileTemplate } = createRequire(import.meta.url)(gen);
  const changelog = readFileSync(join(root, 'packaging', 'debian', 'changelog'), 'utf8');
  const date = new Date(Date.parse(/^ -- .*>  (.+)$/m.exec(changelog)?.[1] ?? 'x')).toISOString().slice(0, 10);
  if (!/^hh-oauth \(([^)]+)\)/.exec(changelog) || /^hh-oauth \(([^)]+)\)/.exec(changelog)[1] !== version) {
    throw new Error(`packaging/debian/changelog's first entry is not version ${version} (package.json): add an entry`);
  }

  dir('usr/bin');
  copyFileSync(binary, join(stage, 'usr/bin/hh-oauth'));
  chmodSync(join(stage, 'usr/bin/hh-oauth'), 0o755);
  for (const rel of TEMPLATES) file(`usr/share/hh-oauth/${rel}`, readFileSync(join(root, rel)));
  file('usr/share/man/man1/hh-oauth.1.gz', gzipSync(manPage(root, date), { level: 9 }));
  file('usr/share/bash-completion/completions/hh-oauth', run(binary, ['completion', 'bash']));
  file('usr/share/zsh/vendor-completions/_hh-oauth', run(binary, ['completion', 'zsh']));
  dir('etc/hh-oauth', 0o700);
  file('etc/hh-oauth/hh-oauth.env', envFileTemplate(root), 0o600);
  file('usr/share/doc/hh-oauth/copyright', copyright(root, bundledPackages(root)));
  file('usr/share/doc/hh-oauth/changelog.gz', gzipSync(changelog, { level: 9 }));
  file('usr/share/lintian/overrides/hh-oauth', readFileSync(join(root, 'packaging', 'debian', 'lintian-overrides')));

  // The shared libraries the runtime links, as Debian states them (dpkg-shlibdeps, from dpkg-dev).
  // It wants a debian/control to read; a minimal one in a scratch directory.
  const scratch = join(build, 'shlibs');
  mkdirSync(join(scratch, 'debian'), { recursive: true });
  writeFileSync(join(scratch, 'debian', 'control'), 'Source: hh-oauth\n\nPackage: hh-oauth\nArchitecture: any\n');
  const shlibs = run('dpkg-shlibdeps', ['-O', '-e', join(stage, 'usr/bin/hh-oauth')], { cwd: scratch, stdio: ['ignore', 'pipe', 'ignore'] });
  const depends = /shlibs:Depends=(.*)/.exec(shlibs)?.[1];
  if (!depends) throw new Error(`dpkg-shlibdeps printed no Depends: ${shlibs}`);
  const installedKiB = Math.ceil(Number(run('du', ['-sk', '--apparent-size', '--exclude=DEBIAN', stage]).split('\t')[0]));

  const control = readFileSync(join(root, 'packaging', 'debian', 'control.in'), 'utf8')
    .replace('@VERSION@', version)
    .replace('@ARCH@', arch)
    .replace('@DEPENDS@', depends)
    .replace('@INSTALLED_SIZE@', String(installedKiB));
  file('DEBIAN/control', control);
  file('DEBIAN/conffiles', '/etc/hh-oauth/hh-oauth.env\n');
  for (const script of ['prerm']) file(`DEBIAN/${script}`, readFileSync(join(root, 'packaging', 'debian', script)), 0o755);
  const sums = run('find', ['.', '-type', 'f', '!', '-path', './DEBIAN/*', '-printf', '%P\\n'], { cwd: stage })
    .trim()
    .split('\n')
    .sort()
    .map((rel) => `${createHash('md5').update(readFileSync(join(stage, rel))).digest('hex')}  ${rel}`);
  file('DEBIAN/md5sums', sums.join('\n') + '\n');

  const deb = join(build, `hh-oauth_${version}_${arch}.deb`);
  rmSync(deb, { force: true });
  // fakeroot: every file owned by root:root in the archive, whoever builds it.
  // PACKAGE_XZ_LEVEL: xz's level; 6 (dpkg's default, 21 MiB) takes about 90 s on 2 cores, 1 (25 MiB) 8 s, as CI uses.
  const level = process.env.PACKAGE_XZ_LEVEL ?? '6';
  if (!/^[0-9]$/.test(level)) throw new Error(`PACKAGE_XZ_LEVEL must be 0-9, not "${level}"`);
  run('fakeroot', ['dpkg-deb', '--root-owner-group', '-Zxz', `-z${level}`, '--build', stage, deb], { stdio: ['ignore', 'ignore', 'inherit'] });
  console.log(`${deb.slice(root.length)}: ${(statSync(deb).size / 1048576).toFixed(1)} MiB`);
  return deb;
}
