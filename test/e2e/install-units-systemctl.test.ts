import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bareEnv, isRoot, jsonOut, runCli, runsHere, skipUnless, useTempDirs } from '../helpers';

/**
 * install-units against the real systemctl of a machine where systemd is not PID 1 (these
 * CI machines): `systemctl enable --now` creates the symlinks ("Created symlink …", which
 * worked) and then fails to start the timers ("System has not been booted with systemd…",
 * the cause). The run writes into /etc/systemd/system inside its own mount namespace, over a
 * tmpfs there, so that nothing on this machine changes.
 */
const workspace = useTempDirs('hh-systemctl-');
const booted = existsSync('/run/systemd/system');
const skip = skipUnless(
  isRoot && runsHere('systemctl', ['--version']) && runsHere('unshare', ['--version']) && !booted,
  booted
    ? 'systemd runs here as PID 1, so a real systemctl would act on this machine: the failing-systemctl test is skipped'
    : 'needs root, systemctl and unshare (a private mount namespace over /etc/systemd/system)',
);
// A tmpfs over the units' directory, visible to this process tree only.
const PRIVATE_UNITS = ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs tmpfs /etc/systemd/system && exec "$@"', 'sh'];
const FILES = ['/etc/systemd/system/hh-oauth-refresh.service', '/etc/systemd/system/hh-oauth-refresh.timer', '/etc/systemd/system/hh-oauth-expiry.timer'];

const occurrences = (text: string, word: string) => text.split(word).length - 1;

describe.skipIf(skip)('install-units when systemctl fails for real', () => {
  it('quotes the line that says what failed, not the "Created symlink" that worked, and lists each file once', async () => {
    const dir = workspace();
    const args = ['install-units', '--user', 'nobody', '--no-nginx'];
    const out = await runCli(args, { env: bareEnv(dir), wrap: PRIVATE_UNITS });
    expect(out.code, out.stderr).toBe(0);
    // What systemctl said, as the operator would see it with no hh-oauth in between.
    expect(out.stderr).toContain('warning: systemctl daemon-reload failed: System has not been booted with systemd as init system (PID 1)');
    expect(out.stderr).toContain('warning: systemctl enable --now hh-oauth-refresh.timer hh-oauth-expiry.timer failed: System has not been booted with systemd');
    expect(out.stderr).not.toContain('Created symlink');
    expect(out.stderr).not.toMatch(/\.; /);
    // A terminal shows stdout and stderr together: each file once there.
    for (const file of FILES) expect(occurrences(out.stdout + out.stderr, file), file).toBe(1);
    expect(out.stdout.trimEnd().split('\n')).toEqual(FILES.map((f) => `created   ${f}`));

    const json = await runCli([...args, '--json'], { env: bareEnv(dir), wrap: PRIVATE_UNITS });
    expect(json.code, json.stderr).toBe(0);
    const steps = jsonOut(json).steps as Array<{ command: string; status: string; detail?: string }>;
    expect(steps.map((s) => [s.command, s.status])).toEqual([
      ['systemctl daemon-reload', 'failed'],
      ['systemctl enable --now hh-oauth-refresh.timer hh-oauth-expiry.timer', 'failed'],
    ]);
    for (const step of steps) expect(step.detail).toMatch(/^System has not been booted with systemd/);
  });
});
