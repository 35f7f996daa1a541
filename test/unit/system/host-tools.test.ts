import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkTimers } from '../../../src/doctor/system';
import { firstLine, runTool } from '../../../src/system/host-tools';
import { timerStatus } from '../../../src/system/timers';

/**
 * doctor, status and install-units run host tools through one runner (src/system/host-tools.ts).
 * doctor's own copy used to run systemctl in the caller's locale, and then misread a
 * translated "No such file" as a timer state.
 */
let bin: string;
const saved = { PATH: process.env.PATH, LC_ALL: process.env.LC_ALL };

beforeEach(() => {
  bin = mkdtempSync(join(tmpdir(), 'hh-oauth-tools-'));
  process.env.PATH = `${bin}:${saved.PATH}`;
  // An operator with a Russian locale: systemd translates its messages.
  process.env.LC_ALL = 'ru_RU.UTF-8';
});
afterEach(() => {
  process.env.PATH = saved.PATH;
  if (saved.LC_ALL === undefined) delete process.env.LC_ALL;
  else process.env.LC_ALL = saved.LC_ALL;
  rmSync(bin, { recursive: true, force: true });
});

function tool(name: string, script: string): void {
  writeFileSync(join(bin, name), `#!/bin/sh\n${script}\n`);
  chmodSync(join(bin, name), 0o755);
}

/** A systemctl without these units, which speaks Russian unless LC_ALL=C, and notes the environment it got. */
function systemctlWithoutUnits(): void {
  tool('systemctl', [
    `printf '%s %s %s\\n' "$LC_ALL" "$SYSTEMD_COLORS" "$1" >> ${join(bin, 'seen')}`,
    'if [ "$LC_ALL" = C ]; then echo "Failed to get unit file state for $2: No such file or directory" >&2',
    'else echo "Не удалось получить состояние файла юнита $2: Нет такого файла или каталога" >&2; fi',
    'exit 1',
  ].join('\n'));
}

describe('the one way to run a host tool', () => {
  it('doctor reads systemctl in English whatever the locale: units that are not there are "not installed"', async () => {
    systemctlWithoutUnits();
    const check = await checkTimers(false);
    expect(check).toMatchObject({ status: 'fail', code: 'config' });
    expect(check.message).toBe('hh-oauth-refresh.timer and hh-oauth-expiry.timer are not installed');
    expect(check.fix).toBe('sudo hh-oauth install-units');
  });

  it('doctor and status give systemctl the same environment (C locale, no colour)', async () => {
    systemctlWithoutUnits();
    await checkTimers(false);
    await timerStatus();
    const seen = readFileSync(join(bin, 'seen'), 'utf8').trim().split('\n');
    expect(seen).toEqual(['C 0 is-enabled', 'C 0 is-enabled', 'C 0 show']);
  });

  it('answers instead of throwing: missing, failed with the exit code, ok; stdin is closed', async () => {
    expect(await runTool('hh-oauth-no-such-tool', ['x'])).toEqual({ command: 'hh-oauth-no-such-tool x', status: 'missing', stdout: '', stderr: 'hh-oauth-no-such-tool: not found on PATH' });
    tool('grumpy', 'echo "no way" >&2; exit 3');
    expect(await runTool('grumpy', [])).toMatchObject({ status: 'failed', exitCode: 3, stderr: 'no way\n' });
    // cat would wait for ever on an open stdin.
    expect(await runTool('cat', [], { timeoutMs: 5000 })).toMatchObject({ status: 'ok', exitCode: 0, stdout: '' });
  });

  it('stops a tool that does not finish in time and says so', async () => {
    tool('stuck', 'exec sleep 30');
    const started = Date.now();
    const run = await runTool('stuck', [], { timeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(run.status).toBe('failed');
    expect(run.exitCode).toBeUndefined();
    expect(run.stderr).toContain('stuck did not finish within 0.3 s and was stopped');
  });

  it('gives the tool none of hh-oauth\'s own settings: the client secret stays with hh-oauth', async () => {
    const saved = process.env.HH_CLIENT_SECRET;
    process.env.HH_CLIENT_SECRET = 'hh-test-secret-not-for-tools';
    try {
      tool('envdump', 'env');
      const run = await runTool('envdump', []);
      expect(run.status).toBe('ok');
      expect(run.stdout).toContain('LC_ALL=C');
      expect(run.stdout).not.toContain('hh-test-secret-not-for-tools');
      expect(run.stdout.split('\n').filter((line) => line.startsWith('HH_'))).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.HH_CLIENT_SECRET;
      else process.env.HH_CLIENT_SECRET = saved;
    }
  });

  it('a tool that leaves a process behind holding its output: the answer comes when the tool ends, and the time limit holds', async () => {
    const pids = join(bin, 'pids');
    tool('spawner', `sleep 10 & echo $! >> ${pids}; echo started`);
    tool('stuck-spawner', `sleep 10 & echo $! >> ${pids}; sleep 10`);
    try {
      let started = Date.now();
      const done = await runTool('spawner', [], { timeoutMs: 20_000 });
      expect(Date.now() - started, 'not held by the process it left').toBeLessThan(5000);
      expect(done).toMatchObject({ status: 'ok', exitCode: 0, stdout: 'started\n' });

      started = Date.now();
      const stuck = await runTool('stuck-spawner', [], { timeoutMs: 300 });
      expect(Date.now() - started, 'the time limit holds').toBeLessThan(8000);
      expect(stuck.status).toBe('failed');
      expect(stuck.stderr).toContain('did not finish within 0.3 s and was stopped');
    } finally {
      for (const pid of readFileSync(pids, 'utf8').trim().split('\n')) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
  });
});

describe('the environment of every child (issue 14, item 12)', () => {
  it('is ours without the secret settings: the list in host-tools.ts is exactly the settings marked secret', async () => {
    const { SETTINGS } = await import('../../../src/config/config');
    const { SECRET_VARIABLES } = await import('../../../src/system/host-tools');
    const secret = Object.entries(SETTINGS).filter(([, spec]) => 'secret' in spec && spec.secret).map(([name]) => name);
    expect([...SECRET_VARIABLES].sort()).toEqual(secret.sort());
  });

  it('a real tool sees PATH and the rest, never HH_CLIENT_SECRET nor any other HH_* setting', async () => {
    tool('printenv-tool', `tr '\\0' '\\n' < /proc/$$/environ`);
    process.env.HH_CLIENT_SECRET = 'not-for-children-0123456789';
    process.env.HH_CLIENT_ID = 'id-for-everyone';
    try {
      const run = await runTool('printenv-tool', []);
      expect(run.status).toBe('ok');
      const env = run.stdout.split('\n');
      // The host's tools need none of hh-oauth's settings (the hook, which may, keeps the non-secret ones).
      expect(env).not.toContain('HH_CLIENT_ID=id-for-everyone');
      expect(env).toContain(`PATH=${process.env.PATH}`);
      expect(env).toContain('LC_ALL=C');
      expect(run.stdout).not.toContain('HH_CLIENT_SECRET');
      expect(run.stdout).not.toContain('not-for-children');
    } finally {
      delete process.env.HH_CLIENT_SECRET;
      delete process.env.HH_CLIENT_ID;
    }
  });
});

describe('firstLine: the line of a tool\'s output that says what failed', () => {
  const failed = (stderr: string, stdout = '') => ({ command: 'systemctl enable --now x.timer', status: 'failed' as const, exitCode: 1, stdout, stderr });

  it('passes over what systemctl did first (the symlinks it made) to the cause', () => {
    const stderr = [
      'Created symlink /etc/systemd/system/timers.target.wants/hh-oauth-refresh.timer -> /etc/systemd/system/hh-oauth-refresh.timer.',
      'Created symlink /etc/systemd/system/timers.target.wants/hh-oauth-expiry.timer -> /etc/systemd/system/hh-oauth-expiry.timer.',
      'System has not been booted with systemd as init system (PID 1). Can\'t operate.',
      'Failed to connect to bus: Host is down',
    ].join('\n');
    expect(firstLine(failed(stderr))).toBe('System has not been booted with systemd as init system (PID 1). Can\'t operate.');
    expect(firstLine(failed('Removed "/etc/systemd/system/timers.target.wants/x.timer".\nFailed to stop x.timer: Access denied\n'))).toBe('Failed to stop x.timer: Access denied');
    expect(firstLine(failed('Synchronizing state of nginx.service with SysV service script with /lib/systemd/systemd-sysv-install.\nExecuting: /lib/systemd/systemd-sysv-install enable nginx\nFailed to reload nginx.service: Unit nginx.service not found.'))).toBe('Failed to reload nginx.service: Unit nginx.service not found.');
  });

  it('keeps a progress line when it is all there is, and says the exit code when nothing was printed', () => {
    expect(firstLine(failed('Created symlink a -> b.\n'))).toBe('Created symlink a -> b.');
    expect(firstLine(failed(''))).toBe('exit code 1');
  });
});
