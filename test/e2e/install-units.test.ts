import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bareEnv, isRoot, jsonOut, runCli, skipUnless, UNIT_COMMAND, useTempDirs } from '../helpers';

/**
 * install-units through the built CLI, writing under --root into a temporary
 * directory (so nothing on this machine changes), and the real systemd-analyze.
 */
const workspace = useTempDirs('hh-units-');
const install = (dir: string, args: string[], extra: Record<string, string> = {}) => runCli(['install-units', ...args], { env: bareEnv(dir, extra) });

const SERVICE = 'etc/systemd/system/hh-oauth-refresh.service';
const TIMER = 'etc/systemd/system/hh-oauth-refresh.timer';
const EXPIRY = 'etc/systemd/system/hh-oauth-expiry.timer';
const NGINX = 'etc/nginx/sites-available/hh-oauth.conf';
const LINK = 'etc/nginx/sites-enabled/hh-oauth.conf';

/** Every file under dir with what identifies a write: inode, mtime, content. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else out[p] = `${st.ino}:${st.mtimeMs}:${st.isSymbolicLink() ? readlinkSync(p) : readFileSync(p, 'utf8')}`;
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

describe('install-units: rendering and writing', () => {
  it('--dry-run prints every rendered file and writes nothing', async () => {
    const dir = workspace();
    const root = join(dir, 'root');
    const out = await install(dir, ['--dry-run', '--root', root, '--server-name', 'bot.example.com']);
    expect(out.code, out.stderr).toBe(0);
    expect(existsSync(root)).toBe(false);
    for (const f of [SERVICE, TIMER, EXPIRY, NGINX]) expect(out.stdout).toContain(`# ==> ${join(root, f)} (created) <==\n# Written by`);
    expect(out.stdout).toContain(`# ==> ${join(root, LINK)} -> ../sites-available/hh-oauth.conf (created) <==`);
    expect(out.stdout).toContain(`\nExecStart=${UNIT_COMMAND} refresh\n`);
    expect(out.stdout).toContain('\nOnCalendar=*-*-* 17:00:00\n');
    expect(out.stdout).toContain('\n    server_name bot.example.com;\n');
    expect(out.stderr).toContain('dry run: nothing was written');

    // Without --root it looks at the real /etc, and still writes nothing there.
    const before = existsSync('/etc/systemd/system/hh-oauth-refresh.service');
    const json = await install(dir, ['--dry-run', '--json', '--server-name', 'bot.example.com', '--user', 'nobody']);
    expect(json.code, json.stderr).toBe(0);
    const doc = jsonOut(json);
    expect(doc.dry_run).toBe(true);
    expect(doc.user).toEqual({ name: 'nobody', action: 'exists' });
    expect(doc.files.map((f: { path: string }) => f.path)).toEqual(['/etc/systemd/system/hh-oauth-refresh.service', '/etc/systemd/system/hh-oauth-refresh.timer', '/etc/systemd/system/hh-oauth-expiry.timer', '/etc/nginx/sites-available/hh-oauth.conf', '/etc/nginx/sites-enabled/hh-oauth.conf']);
    expect(doc.files[0].content).toContain('User=nobody\n');
    expect(existsSync('/etc/systemd/system/hh-oauth-refresh.service')).toBe(before);
  });

  it('a second identical run reports every file unchanged and touches nothing; a changed option updates only its file', async () => {
    const dir = workspace();
    const root = join(dir, 'root');
    const args = ['--root', root, '--server-name', 'bot.example.com', '--json'];
    const first = await install(dir, args);
    expect(first.code, first.stderr).toBe(0);
    const doc = jsonOut(first);
    expect(doc.files.map((f: { action: string }) => f.action)).toEqual(['created', 'created', 'created', 'created', 'created']);
    expect(doc).toMatchObject({ user: { name: 'hh-oauth', action: 'skipped' }, steps: [], dry_run: false });
    expect(readlinkSync(join(root, LINK))).toBe('../sites-available/hh-oauth.conf');
    expect(lstatSync(join(root, SERVICE)).mode & 0o777).toBe(0o644);

    const before = snapshot(root);
    const second = await install(dir, args);
    expect(jsonOut(second).files.every((f: { action: string }) => f.action === 'unchanged')).toBe(true);
    expect(snapshot(root)).toEqual(before);

    const third = await install(dir, [...args, '--on-calendar', 'Mon..Fri 09:30']);
    const actions = Object.fromEntries(jsonOut(third).files.map((f: { path: string; action: string }) => [f.path.slice(root.length + 1), f.action]));
    expect(actions).toEqual({ [SERVICE]: 'unchanged', [TIMER]: 'updated', [EXPIRY]: 'unchanged', [NGINX]: 'unchanged', [LINK]: 'unchanged' });
    expect(readFileSync(join(root, TIMER), 'utf8')).toMatch(/^OnCalendar=Mon\.\.Fri 09:30$/m);
    expect(readFileSync(join(root, TIMER), 'utf8')).not.toContain('17:00');
    expect(existsSync(join(root, `${TIMER}.bak`))).toBe(false);
  });

  it('a file edited by hand is kept (exit 3, nothing written) unless --force, which keeps a .bak', async () => {
    const dir = workspace();
    const root = join(dir, 'root');
    const args = ['--root', root, '--server-name', 'bot.example.com'];
    expect((await install(dir, args)).code).toBe(0);
    const edited = readFileSync(join(root, SERVICE), 'utf8').replace('RestartSec=5min', 'RestartSec=1min');
    writeFileSync(join(root, SERVICE), edited);
    const before = snapshot(root);

    const refused = await install(dir, [...args, '--server-name', 'other.example.com']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(`${join(root, SERVICE)} was changed by hand or not written by hh-oauth; nothing was written`);
    expect(refused.stderr).toContain('--force');
    expect(snapshot(root)).toEqual(before);

    const forced = await install(dir, [...args, '--force', '--json']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(jsonOut(forced).files[0]).toEqual({ path: join(root, SERVICE), action: 'updated' });
    expect(readFileSync(join(root, `${SERVICE}.bak`), 'utf8')).toBe(edited);
    expect(readFileSync(join(root, SERVICE), 'utf8')).toContain('RestartSec=5min');
    expect(forced.stderr).toContain(`the old one is ${join(root, SERVICE)}.bak`);
  });

  it('a foreign file (the old hand-copied config) and a foreign sites-enabled link also need --force', async () => {
    const dir = workspace();
    const root = join(dir, 'root');
    mkdirSync(join(root, 'etc/nginx/sites-available'), { recursive: true });
    mkdirSync(join(root, 'etc/nginx/sites-enabled'), { recursive: true });
    writeFileSync(join(root, NGINX), 'server { listen 80; }\n');
    symlinkSync('/etc/nginx/sites-available/old.conf', join(root, LINK));
    const args = ['--root', root, '--server-name', 'bot.example.com'];
    const refused = await install(dir, args);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(`${join(root, NGINX)}, ${join(root, LINK)} were changed by hand`);
    expect(existsSync(join(root, SERVICE))).toBe(false);

    const dry = await install(dir, [...args, '--dry-run', '--json']);
    expect(jsonOut(dry).files.filter((f: { needs_force?: boolean }) => f.needs_force).length).toBe(2);

    expect((await install(dir, [...args, '--force'])).code).toBe(0);
    expect(readFileSync(join(root, `${NGINX}.bak`), 'utf8')).toBe('server { listen 80; }\n');
    expect(readlinkSync(join(root, LINK))).toBe('../sites-available/hh-oauth.conf');
  });

  it('no value can inject a directive: ; { newline % quotes spaces are refused with exit 2 naming the option', async () => {
    const dir = workspace();
    const root = join(dir, 'root');
    const cases: Array<[string, string]> = [
      ['--server-name', 'bot.example.com; include /etc/passwd'],
      ['--server-name', 'bot.example.com {'],
      ['--server-name', 'bot.example.com\nlisten 81'],
      ['--server-name', '"bot.example.com"'],
      ['--callback-upstream', '127.0.0.1:8400; }'],
      ['--app-upstream', "127.0.0.1:8000'"],
      ['--listen', '80 default_server'],
      ['--on-calendar', '*-*-* 17:00:00\nExecStartPre=/bin/sh'],
      ['--on-calendar', '%H:00'],
      ['--user', 'hh-oauth\nUser=root'],
      ['--token-group', 'bots root'],
      ['--client-secret-file', '/etc/x\nEnvironment=HH_CLIENT_SECRET=x'],
      ['--client-secret-file', '/etc/"x"'],
      ['--db-password-file', '/etc/x\nEnvironment=PGPASSWORD=x'],
      ['--nginx-log-dir', '/var/log/my logs'],
      ['--nginx-log-dir', '/var/log/$host'],
      ['--node', 'node'],
      ['--expiry-check', '10min\nOnCalendar=minutely'],
    ];
    const runs = await Promise.all(cases.map(([flag, value]) => install(dir, ['--root', root, '--server-name', 'bot.example.com', flag, value])));
    runs.forEach((out, i) => {
      expect(out.code, `${cases[i]![0]} ${JSON.stringify(cases[i]![1])}: ${out.stderr}`).toBe(2);
      expect(out.stderr).toMatch(new RegExp(`^error: ${cases[i]![0]} `));
    });
    expect(existsSync(root)).toBe(false);
  });

  it('--on-refresh goes into the service as HH_ON_REFRESH (escaped for systemd); a command that cannot is exit 2', async () => {
    const dir = workspace();
    const ok = await install(dir, ['--dry-run', '--no-nginx', '--on-refresh', "sh -c 'systemctl try-restart my-bot.service; echo 100%'"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`\nEnvironment="HH_ON_REFRESH=sh -c 'systemctl try-restart my-bot.service; echo 100%%'"\n`);
    const plain = await install(dir, ['--dry-run', '--no-nginx']);
    expect(plain.stdout).not.toContain('HH_ON_REFRESH');
    for (const bad of ['a"b', 'x\nExecStartPre=/bin/evil', "echo 'unclosed", 'c:\\x']) {
      const out = await install(dir, ['--dry-run', '--no-nginx', '--on-refresh', bad]);
      expect(out.code, bad).toBe(2);
      expect(out.stderr).toContain('--on-refresh');
    }
  });

  it('the service gets the system settings file (EnvironmentFile=-, read by systemd as root), before the --env-file; named once when they are the same', async () => {
    const dir = workspace();
    const plain = await install(dir, ['--dry-run', '--no-nginx']);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toContain('\nEnvironmentFile=-/etc/hh-oauth/hh-oauth.env\n');
    expect(plain.stdout).not.toContain('HH_SYSTEM_ENV_FILE');
    writeFileSync(join(dir, 'bot.env'), 'HH_CLIENT_ID=x\n', { mode: 0o600 });
    const both = await install(dir, ['--env-file', join(dir, 'bot.env'), '--dry-run', '--no-nginx']);
    expect(both.stdout).toContain(`\nEnvironmentFile=-/etc/hh-oauth/hh-oauth.env\nEnvironmentFile=${join(dir, 'bot.env')}\n`);
    // Moved (packaging, tests): the unit names where it is, and tells the service too.
    const moved = join(dir, 'etc', 'hh-oauth.env');
    mkdirSync(join(dir, 'etc'), { mode: 0o755 });
    writeFileSync(moved, 'HH_CLIENT_ID=x\n', { mode: 0o600 });
    const same = await install(dir, ['--env-file', moved, '--dry-run', '--no-nginx'], { HH_SYSTEM_ENV_FILE: moved });
    expect(same.stdout).toContain(`\nEnvironment="HH_SYSTEM_ENV_FILE=${moved}"\nEnvironmentFile=${moved}\n`);
    expect(same.stdout).not.toContain('EnvironmentFile=-');
    const off = await install(dir, ['--dry-run', '--no-nginx'], { HH_SYSTEM_ENV_FILE: '' });
    expect(off.stdout).not.toContain('EnvironmentFile');
  });

  it('without --all-profiles/--per-profile the service refreshes the single token and no template unit is written', async () => {
    const dir = workspace();
    const out = await install(dir, ['--dry-run', '--no-nginx', '--json']);
    const names = jsonOut(out).files.map((f: { path: string }) => f.path.split('/').at(-1));
    expect(names).toEqual(['hh-oauth-refresh.service', 'hh-oauth-refresh.timer', 'hh-oauth-expiry.timer']);
    const withProfiles = await install(dir, ['--dry-run', '--no-nginx', '--json', '--all-profiles', '--per-profile', '--expiry-check', 'off']);
    expect(jsonOut(withProfiles).files.map((f: { path: string }) => f.path.split('/').at(-1))).toEqual(['hh-oauth-refresh.service', 'hh-oauth-refresh.timer', 'hh-oauth-refresh@.service', 'hh-oauth-refresh@.timer']);
  });

  it('--no-nginx installs the units only; --expiry-check off leaves out the expiry timer', async () => {
    const dir = workspace();
    const root = join(dir, 'root');
    const out = await install(dir, ['--root', root, '--no-nginx', '--expiry-check', 'off', '--json']);
    expect(out.code, out.stderr).toBe(0);
    expect(jsonOut(out).files.map((f: { path: string }) => f.path)).toEqual([join(root, SERVICE), join(root, TIMER)]);
    expect(existsSync(join(root, 'etc/nginx'))).toBe(false);
  });

  it('--expiry-check off on an installed system disables the expiry timer (here: tells how, as systemctl is missing)', async () => {
    const dir = workspace();
    mkdirSync(join(dir, 'empty-path'));
    const args = ['--user', 'nobody', '--no-nginx', '--systemd-dir', join(dir, 'systemd'), '--json'];
    const pathless = { PATH: join(dir, 'empty-path') };
    const first = await install(dir, args, pathless);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('run these yourself: systemctl daemon-reload && systemctl enable --now hh-oauth-refresh.timer hh-oauth-expiry.timer');
    const off = await install(dir, [...args, '--expiry-check', 'off'], pathless);
    expect(off.code, off.stderr).toBe(0);
    expect(off.stderr).toContain(`--expiry-check off: disabling hh-oauth-expiry.timer; its file ${join(dir, 'systemd', 'hh-oauth-expiry.timer')} is left in place`);
    expect(off.stderr).toContain('systemctl enable --now hh-oauth-refresh.timer && systemctl disable --now hh-oauth-expiry.timer');
    expect(jsonOut(off).steps).toEqual([{ command: 'systemctl enable --now hh-oauth-refresh.timer', status: 'missing', detail: 'systemctl: not found on PATH' }]);
  });

  it('--server-name defaults to the host of HH_REDIRECT_URI, and is required without it', async () => {
    const dir = workspace();
    const out = await install(dir, ['--dry-run', '--root', join(dir, 'r')], { HH_REDIRECT_URI: 'https://my-bot.keenetic.pro/callback' });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain('server_name my-bot.keenetic.pro;');
    const missing = await install(dir, ['--dry-run', '--root', join(dir, 'r')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--server-name is required');
  });

  it('under systemd (JOURNAL_STREAM) every stderr line has a priority prefix and no colour', async () => {
    const dir = workspace();
    const out = await install(dir, ['--root', join(dir, 'root'), '--server-name', 'bot.example.com'], { JOURNAL_STREAM: '8:12345', FORCE_COLOR: '1' });
    expect(out.code).toBe(0);
    const lines = out.stderr.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(line).toMatch(/^<[3467]>[^\u001b]*$/);
    expect(lines.filter((l) => l.startsWith('<6>not enabling anything (--root)'))).toHaveLength(1);
    // The files are the answer, on stdout, once (not also on stderr).
    expect(out.stdout).toContain(`created   ${join(dir, 'root', SERVICE)}\n`);
    expect(out.stderr).not.toContain(SERVICE);

    const bad = await install(dir, ['--server-name', 'a;b'], { JOURNAL_STREAM: '8:12345', FORCE_COLOR: '1' });
    expect(bad.stderr).toMatch(/^<3>--server-name must be a hostname/);
  });
});

describe('install-units: the dedicated system user', () => {
  const skip = skipUnless(isRoot, 'creating a system user needs root');

  it.skipIf(skip)('creates a missing system user (nologin, no home) and its --token-group, and finds them the second time', async () => {
    const dir = workspace();
    const user = `hhtest${process.pid % 100000}`;
    const group = `hhgrp${process.pid % 100000}`;
    const args = ['--user', user, '--token-group', group, '--systemd-dir', join(dir, 'systemd'), '--no-nginx', '--no-enable', '--json'];
    const homeExisted = existsSync('/nonexistent');
    try {
      const first = await install(dir, args);
      expect(first.code, first.stderr).toBe(0);
      expect(jsonOut(first)).toMatchObject({ user: { name: user, action: 'created' }, token_group: { name: group, action: 'created' } });
      const entry = execFileSync('getent', ['passwd', user], { encoding: 'utf8' }).trim().split(':');
      expect(Number(entry[2])).toBeLessThan(1000);
      expect(entry[5]).toBe('/nonexistent');
      expect(entry[6]).toMatch(/nologin|false/);
      expect(existsSync('/nonexistent')).toBe(homeExisted); // --no-create-home
      expect(execFileSync('getent', ['group', group], { encoding: 'utf8' })).toMatch(new RegExp(`^${group}:`));
      expect(first.stderr).toContain(`usermod -aG ${group} BOT_USER`);

      const second = await install(dir, args);
      expect(jsonOut(second)).toMatchObject({ user: { action: 'exists' }, token_group: { action: 'exists' } });
      expect(readFileSync(join(dir, 'systemd', 'hh-oauth-refresh.service'), 'utf8')).toContain(`User=${user}\nGroup=${group}\n`);
    } finally {
      for (const [tool, name] of [['userdel', user], ['groupdel', group]] as const) {
        try {
          execFileSync(tool, [name], { stdio: 'ignore' });
        } catch {
          // never created, or already gone with the user
        }
      }
    }
  });
});
