import { appendFileSync, chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bareEnv, jsonOut, runCli, useTempDirs } from '../helpers';

/**
 * uninstall-units through the built CLI: files under --root or a temporary --systemd-dir,
 * and a stand-in systemctl that records its argv (there is no systemd to ask here; the
 * real one is exercised by the .deb's remove in the container suite).
 */
const workspace = useTempDirs('hh-uninstall-');
const UNITS = 'etc/systemd/system';
const run = (dir: string, args: string[], extra: Record<string, string> = {}) => runCli(args, { env: bareEnv(dir, extra) });

async function installed(dir: string): Promise<string> {
  const root = join(dir, 'root');
  const out = await run(dir, ['install-units', '--root', root, '--no-nginx', '--per-profile']);
  expect(out.code, out.stderr).toBe(0);
  return root;
}

/** A PATH whose systemctl appends each call's argv, one call a line, to DIR/systemctl-calls. */
function recordingSystemctl(dir: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'systemctl'), `#!/bin/sh\necho "$*" >> ${join(dir, 'systemctl-calls')}\n`);
  chmodSync(join(bin, 'systemctl'), 0o755);
  return `${bin}:/usr/bin:/bin`;
}

describe('uninstall-units', () => {
  it('removes the unit files it wrote, keeps an edited one unless --force (then a .bak), and nothing else', async () => {
    const dir = workspace();
    const root = await installed(dir);
    const units = join(root, UNITS);
    appendFileSync(join(units, 'hh-oauth-expiry.timer'), '# edited by hand\n');
    writeFileSync(join(units, 'my-bot.service'), '[Service]\nExecStart=/bin/true\n');
    mkdirSync(join(root, 'var/lib/hh-token'), { recursive: true });
    writeFileSync(join(root, 'var/lib/hh-token/token.json'), '{}');

    const first = await run(dir, ['uninstall-units', '--root', root, '--json']);
    expect(first.code, first.stderr).toBe(0);
    const actions = Object.fromEntries(jsonOut(first).files.map((f: { path: string; action: string }) => [f.path.slice(units.length + 1), f.action]));
    expect(actions).toEqual({
      'hh-oauth-refresh.service': 'removed',
      'hh-oauth-refresh.timer': 'removed',
      'hh-oauth-expiry.timer': 'kept',
      'hh-oauth-refresh@.service': 'removed',
      'hh-oauth-refresh@.timer': 'removed',
      'hh-oauth-expiry@.timer': 'removed',
    });
    expect(first.stderr).toContain('changed by hand');
    expect(readdirSync(units).sort()).toEqual(['hh-oauth-expiry.timer', 'my-bot.service']);

    const forced = await run(dir, ['uninstall-units', '--root', root, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readdirSync(units).sort()).toEqual(['hh-oauth-expiry.timer.bak', 'my-bot.service']);
    expect(readFileSync(join(root, 'var/lib/hh-token/token.json'), 'utf8')).toBe('{}');
  });

  it('stops and disables every timer (each profile\'s too) and the service, then reloads systemd; --keep-files leaves the files', async () => {
    const dir = workspace();
    const units = join(await installed(dir), UNITS);
    mkdirSync(join(units, 'timers.target.wants'));
    symlinkSync(join(units, 'hh-oauth-refresh@.timer'), join(units, 'timers.target.wants', 'hh-oauth-refresh@acme.timer'));
    const PATH = recordingSystemctl(dir);
    const calls = () => readFileSync(join(dir, 'systemctl-calls'), 'utf8').trim().split('\n');

    const keep = await run(dir, ['uninstall-units', '--systemd-dir', units, '--keep-files'], { PATH });
    expect(keep.code, keep.stderr).toBe(0);
    expect(calls()).toEqual(['disable --now hh-oauth-refresh.timer hh-oauth-expiry.timer hh-oauth-refresh@acme.timer', 'stop hh-oauth-refresh.service hh-oauth-refresh@*.service hh-oauth-*.timer']);
    expect(existsSync(join(units, 'hh-oauth-refresh.service'))).toBe(true);

    writeFileSync(join(dir, 'systemctl-calls'), '');
    const all = await run(dir, ['uninstall-units', '--systemd-dir', units], { PATH });
    expect(all.code, all.stderr).toBe(0);
    expect(calls().at(-1)).toBe('daemon-reload');
    expect(existsSync(join(units, 'hh-oauth-refresh.service'))).toBe(false);
  });

  it('without systemctl it says nothing was stopped and still exits 0 (a package removal must not fail on it)', async () => {
    const dir = workspace();
    const units = join(await installed(dir), UNITS);
    const out = await run(dir, ['uninstall-units', '--systemd-dir', units, '--keep-files'], { PATH: join(dir, 'empty') });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toContain('systemctl is not installed or not on PATH: nothing was stopped');
  });

  it('a bad --systemd-dir is a usage error naming it', async () => {
    const dir = workspace();
    const out = await run(dir, ['uninstall-units', '--systemd-dir', 'relative/dir']);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/^error: --systemd-dir /);
  });
});
