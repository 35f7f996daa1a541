import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { findTool, REPO_ROOT, skipUnless, useTempDirs } from '../helpers';

/**
 * The .deb that `npm run package` wrote, taken apart on the host (nothing is installed
 * here: test/e2e/deb-container.test.ts installs it in a container): its files and modes,
 * its control data, the man page under mandoc and groff, and lintian.
 */
const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const DEB = join(REPO_ROOT, 'build', `hh-oauth_${VERSION}_amd64.deb`);
const tools = ['dpkg-deb', 'lintian', 'mandoc', 'groff'].filter((t) => !findTool(t));
const skip = skipUnless(existsSync(DEB) && tools.length === 0, existsSync(DEB) ? `missing ${tools.join(', ')} (.ci/run installs them)` : `${DEB} is missing: run \`npm run package\``);
const workspace = useTempDirs('hh-deb-');

describe.skipIf(skip)('the Debian package', () => {
  it('holds the binary, the templates (the repository\'s bytes), man page, completion, conffile, copyright and changelog, all root:root', () => {
    const listing = execFileSync('dpkg-deb', ['--contents', DEB], { encoding: 'utf8' });
    const entry = (path: string) => listing.split('\n').find((l) => l.endsWith(` ./${path}`)) ?? `missing: ${path}`;
    expect(entry('usr/bin/hh-oauth')).toMatch(/^-rwxr-xr-x root\/root /);
    expect(entry('etc/hh-oauth/')).toMatch(/^drwx------ root\/root /);
    expect(entry('etc/hh-oauth/hh-oauth.env')).toMatch(/^-rw------- root\/root /);
    for (const path of ['usr/share/man/man1/hh-oauth.1.gz', 'usr/share/bash-completion/completions/hh-oauth', 'usr/share/zsh/vendor-completions/_hh-oauth', 'usr/share/doc/hh-oauth/copyright', 'usr/share/doc/hh-oauth/changelog.gz', 'usr/share/lintian/overrides/hh-oauth']) {
      expect(entry(path)).toMatch(/^-rw-r--r-- root\/root /);
    }
    expect(listing.split('\n').filter((l) => !/ root\/root /.test(l) && l !== '')).toEqual([]);

    const dir = workspace();
    execFileSync('dpkg-deb', ['-x', DEB, dir]);
    for (const rel of ['systemd/hh-oauth-refresh.service', 'systemd/hh-oauth-refresh.timer', 'systemd/hh-oauth-expiry.timer', 'nginx/hh-oauth.conf']) {
      expect(readFileSync(join(dir, 'usr/share/hh-oauth', rel), 'utf8'), rel).toBe(readFileSync(join(REPO_ROOT, rel), 'utf8'));
    }
    // The binary in the package is the one that was built and tested.
    const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
    expect(sha(join(dir, 'usr/bin/hh-oauth'))).toBe(sha(join(REPO_ROOT, 'build', 'hh-oauth')));
    expect(readFileSync(join(dir, 'usr/share/bash-completion/completions/hh-oauth'), 'utf8')).toContain('complete -F _hh_oauth hh-oauth');
    const env = readFileSync(join(dir, 'etc/hh-oauth/hh-oauth.env'), 'utf8');
    expect(env.split('\n').filter((l) => l !== '' && !l.startsWith('#'))).toEqual([]);
    expect(env).toContain('#HH_CLIENT_ID=\n');
    expect(env).not.toContain('HH_CLIENT_SECRET=');
    const copyright = readFileSync(join(dir, 'usr/share/doc/hh-oauth/copyright'), 'utf8');
    expect(copyright.startsWith('Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n')).toBe(true);
    expect(copyright).toMatch(/^License: Node\.js$/m);
    expect(copyright).toMatch(/^Files: usr\/bin\/hh-oauth \(bundled JavaScript: .*commander/m);
  });

  it('control: version, architecture, the shared libraries as Depends, the conffile, a prerm that runs uninstall-units on remove', () => {
    const field = (name: string) => execFileSync('dpkg-deb', ['--field', DEB, name], { encoding: 'utf8' }).trim();
    expect(field('Package')).toBe('hh-oauth');
    expect(field('Version')).toBe(VERSION);
    expect(field('Architecture')).toBe('amd64');
    expect(field('Depends')).toMatch(/^libc6 \(>= [\d.]+\)/);
    expect(field('Depends')).not.toMatch(/nodejs/);
    const dir = workspace();
    execFileSync('dpkg-deb', ['--control', DEB, dir]);
    expect(readFileSync(join(dir, 'conffiles'), 'utf8')).toBe('/etc/hh-oauth/hh-oauth.env\n');
    expect(readFileSync(join(dir, 'prerm'), 'utf8')).toMatch(/remove\|deconfigure\)\n(.*\n)+\s+own=\/usr\/bin\/hh-oauth\n(.*\n)+\s+"\$own" uninstall-units --keep-files/);
    expect(existsSync(join(dir, 'postrm'))).toBe(false);
  });

  it('the man page: every command of the table, the exit codes, the environment; mandoc -T lint and groff -ww say nothing', () => {
    const dir = workspace();
    execFileSync('dpkg-deb', ['-x', DEB, dir]);
    const page = join(dir, 'man.1');
    const text = gunzipSync(readFileSync(join(dir, 'usr/share/man/man1/hh-oauth.1.gz'))).toString('utf8');
    writeFileSync(page, text);
    for (const section of ['NAME', 'SYNOPSIS', 'COMMANDS', 'GLOBAL OPTIONS', 'ENVIRONMENT', 'FILES', 'EXIT STATUS', 'EXAMPLES']) expect(text).toContain(`.SH ${section}\n`);
    for (const command of ['authorize-url', 'install-units', 'uninstall-units', 'completion', 'config set', 'profiles set']) expect(text).toContain(`.SS "hh-oauth ${command}`);
    expect(text).toMatch(/^\.B HH_CLIENT_ID$/m);
    expect(text).toMatch(/^\.B 7$/m);
    const mandoc = spawnSync('mandoc', ['-T', 'lint', page], { encoding: 'utf8' });
    expect(`${mandoc.stdout}${mandoc.stderr}`).toBe('');
    expect(mandoc.status).toBe(0);
    const groff = spawnSync('groff', ['-ww', '-man', '-Tutf8', '-z', page], { encoding: 'utf8' });
    expect(groff.stderr).toBe('');
    expect(groff.status).toBe(0);
  });

  it('lintian: no error, and every override is used', () => {
    const out = spawnSync('lintian', ['--info', '--show-overrides', DEB], { encoding: 'utf8', timeout: 180_000 });
    const tags = out.stdout.split('\n').filter((l) => /^[EWIPXO]: /.test(l));
    console.log(`lintian ${DEB.slice(REPO_ROOT.length)}:\n${tags.join('\n')}`);
    expect(tags.filter((l) => l.startsWith('E: '))).toEqual([]);
    expect(tags.filter((l) => /unused-override|mismatched-override/.test(l))).toEqual([]);
    expect(tags.filter((l) => l.startsWith('O: ')).map((l) => l.replace(/^O: hh-oauth: /, ''))).toEqual(['embedded-library zlib [usr/bin/hh-oauth]', 'hardening-no-pie [usr/bin/hh-oauth]']);
  }, 200_000);
});
