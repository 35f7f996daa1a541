import { chmodSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakePair, hoursFromNow, jsonOut, useHarness, writeTokenFile } from '../helpers';

const h = useHarness();

const STATUS_KEYS = ['token_file', 'state', 'owner', 'mode', 'mode_ok', 'obtained_at', 'expires_at', 'expires_at_derived', 'seconds_left', 'problem', 'timers'];

/** A PATH whose only systemctl is a script printing what systemd 252 prints for `show` (there is no systemd to ask here). */
function fakeSystemctl(dir: string, output: string): string {
  const bin = join(dir, 'fake-bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'systemctl'), `#!/bin/sh\nprintf '%s\\n' "$@" > ${join(dir, 'systemctl-args')}\ncat <<'EOF'\n${output}\nEOF\n`);
  chmodSync(join(bin, 'systemctl'), 0o755);
  return `${bin}:${process.env.PATH}`;
}

describe('hh-oauth status', () => {
  it('missing: exit 4, and --json still prints the whole object with state "missing"', async () => {
    const out = await h.run(['status', '--json']);
    expect(out.code).toBe(4);
    const doc = jsonOut(out);
    expect(Object.keys(doc)).toEqual(STATUS_KEYS);
    expect(doc).toMatchObject({ token_file: h.tokenFile, state: 'missing', owner: null, mode: null, expires_at: null, seconds_left: null });
    expect(out.stderr).toContain('no token file');
  });

  it('valid: path, owner, mode, obtained_at, expires_at, seconds left; exit 0; human form on stdout', async () => {
    const expires = hoursFromNow(3);
    writeTokenFile(h.tokenFile, fakePair(expires));
    const out = await h.run(['status', '--json']);
    expect(out.code, out.stderr).toBe(0);
    const doc = jsonOut(out);
    expect(doc).toMatchObject({
      state: 'valid',
      owner: { uid: process.getuid!(), user: userInfo().username, gid: process.getgid!() },
      mode: '0600',
      mode_ok: true,
      obtained_at: new Date(expires.getTime() - 1209600_000).toISOString(),
      expires_at: expires.toISOString(),
      expires_at_derived: false,
      problem: null,
    });
    expect(doc.seconds_left).toBeGreaterThan(3 * 3600 - 120);
    expect(doc.seconds_left).toBeLessThanOrEqual(3 * 3600);

    const human = await h.run(['status']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^state: +valid$/m);
    expect(human.stdout).toMatch(new RegExp(`^expires: +${expires.toISOString()} \\(in 2h 5\\dm\\)$`, 'm'));
    expect(human.stdout).not.toContain('FAKEACCESS');
  });

  it('expired-refreshable: exit 0; a legacy file (no expires_at) is dated from its mtime', async () => {
    const { expires_at: _a, obtained_at: _b, ...legacy } = fakePair(new Date());
    writeTokenFile(h.tokenFile, { ...legacy, expires_in: 60 });
    const mtime = new Date(Math.floor(Date.now() / 1000) * 1000 - 7200_000);
    utimesSync(h.tokenFile, mtime, mtime);
    const out = await h.run(['status', '--json']);
    expect(out.code, out.stderr).toBe(0);
    expect(jsonOut(out)).toMatchObject({
      state: 'expired-refreshable',
      expires_at: new Date(mtime.getTime() + 60_000).toISOString(),
      expires_at_derived: true,
      obtained_at: null,
      seconds_left: 0,
    });
  });

  it('corrupt: exit 7 with the reason; the file is neither moved, rewritten nor chmod-ed, and its loose mode is reported', async () => {
    writeTokenFile(h.tokenFile, '{"access_token": "abc", ', 0o644);
    const out = await h.run(['status', '--json']);
    expect(out.code).toBe(7);
    const doc = jsonOut(out);
    expect(doc).toMatchObject({ state: 'corrupt', mode: '0644', mode_ok: false, expires_at: null });
    expect(doc.problem).toMatch(/not valid JSON/);
    expect(out.stderr).toMatch(/mode 0644/);
    expect(readFileSync(h.tokenFile, 'utf8')).toBe('{"access_token": "abc", ');
    expect(statSync(h.tokenFile).mode & 0o777).toBe(0o644);
  });

  it('a valid file that others may read: warning, mode_ok false, and status leaves the mode alone', async () => {
    writeTokenFile(h.tokenFile, fakePair(hoursFromNow(1)), 0o604);
    const out = await h.run(['status', '--json']);
    expect(out.code).toBe(0);
    expect(jsonOut(out)).toMatchObject({ state: 'valid', mode: '0604', mode_ok: false });
    expect(out.stderr).toMatch(/warning: .*mode 0604/);
    expect(statSync(h.tokenFile).mode & 0o777).toBe(0o604);
  });

  it('timers: null (not a failure) without systemctl', async () => {
    writeTokenFile(h.tokenFile, fakePair(hoursFromNow(1)));
    const out = await h.run(['status', '--json'], { env: { PATH: '/nonexistent' } });
    expect(out.code, out.stderr).toBe(0);
    expect(jsonOut(out).timers).toBeNull();
    expect(out.stderr).toContain('systemctl is not installed');
  });

  it('timers: the next run of both timers, from `systemctl show`', async () => {
    writeTokenFile(h.tokenFile, fakePair(hoursFromNow(1)));
    const path = fakeSystemctl(h.dir, [
      'Id=hh-oauth-refresh.timer', 'LoadState=loaded', 'ActiveState=active', 'UnitFileState=enabled',
      'NextElapseUSecRealtime=Mon 2026-11-23 17:00:00 UTC', 'LastTriggerUSec=Sun 2026-11-22 17:00:03 UTC',
      '',
      'Id=hh-oauth-expiry.timer', 'LoadState=not-found', 'ActiveState=inactive', 'UnitFileState=',
      'NextElapseUSecRealtime=', 'LastTriggerUSec=n/a',
    ].join('\n'));
    const out = await h.run(['status', '--json'], { env: { PATH: path } });
    expect(out.code, out.stderr).toBe(0);
    expect(jsonOut(out).timers).toEqual([
      { unit: 'hh-oauth-refresh.timer', load_state: 'loaded', active_state: 'active', enabled: 'enabled', next_run: '2026-11-23T17:00:00.000Z', last_run: '2026-11-22T17:00:03.000Z' },
      { unit: 'hh-oauth-expiry.timer', load_state: 'not-found', active_state: 'inactive', enabled: '', next_run: null, last_run: null },
    ]);
    const args = readFileSync(join(h.dir, 'systemctl-args'), 'utf8').trim().split('\n');
    expect(args.slice(0, 3)).toEqual(['show', 'hh-oauth-refresh.timer', 'hh-oauth-expiry.timer']);
    expect(args).toContain('--property=NextElapseUSecRealtime');

    const human = await h.run(['status'], { env: { PATH: path } });
    expect(human.stdout).toMatch(/^hh-oauth-refresh\.timer: +active, enabled; next run 2026-11-23T17:00:00\.000Z$/m);
    expect(human.stdout).toMatch(/^hh-oauth-expiry\.timer: +not installed/m);
  });

  it('timers: a systemctl that cannot reach systemd (a container) gives null or the units, never a failure', async () => {
    writeTokenFile(h.tokenFile, fakePair(hoursFromNow(1)));
    const out = await h.run(['status', '--json']);
    expect(out.code, out.stderr).toBe(0);
    const { timers } = jsonOut(out);
    if (timers === null) expect(out.stderr).toMatch(/timers: unknown/);
    else expect(timers.map((t: { unit: string }) => t.unit)).toEqual(['hh-oauth-refresh.timer', 'hh-oauth-expiry.timer']);
  });
});
