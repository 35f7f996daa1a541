import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { processStartTime } from '../../src/lock/process';
import { findTool, isRoot, jsonOut, runCli, skipUnless, sleep, tokenPosts, useHarness } from '../helpers';

/**
 * A container with the host's hostname (docker --network host, k8s hostNetwork) but its
 * own PID namespace, sharing the token directory: its pids mean nothing on the host, so
 * a lock it holds must be waited for, never "recovered" (that would spend the same
 * refresh token twice, or delete the holder's claimed temp file).
 */
const h = useHarness();
const OUR_NS = readlinkSync('/proc/self/ns/pid');

const unshare = findTool('unshare');
const inNewPidNs = unshare ? [unshare, '--pid', '--fork', '--mount-proc'] : [];
const canUnshare = isRoot && !!unshare && spawnSync(inNewPidNs[0]!, [...inNewPidNs.slice(1), 'true']).status === 0;
// Our PID namespace, with /proc mounted the way the unit's ProcSubset=pid mounts it: no boot id.
const likeTheUnit = unshare ? [unshare, '--mount', 'sh', '-c', 'mount -t proc -o subset=pid proc /proc && exec "$0" "$@"'] : [];
const noUnshare = skipUnless(canUnshare, 'the PID-namespace lock test needs root and a working `unshare --pid --fork --mount-proc`');

/** Starts `refresh --force` (wrapped in `wrap`) while hh.ru hangs, and returns once it holds the lock and has asked. */
async function holderInsideLock(wrap: string[] | undefined, httpTimeoutS: number, onSpawn?: (child: ChildProcess) => void) {
  const lock = `${h.tokenFile}.lock`;
  h.sandbox.fault({ kind: 'hang', path: '/token', times: 1 });
  const posts = tokenPosts(h);
  const run = runCli(['refresh', '--force', '--json'], { env: h.env({ HH_HTTP_TIMEOUT: String(httpTimeoutS) }), wrap, onSpawn });
  for (let i = 0; i < 400 && tokenPosts(h) === posts; i++) await sleep(25);
  expect(tokenPosts(h), 'the holder reached hh.ru').toBe(posts + 1);
  return { run, lock, posts: posts + 1, owner: JSON.parse(readFileSync(lock, 'utf8')) };
}

describe.skipIf(noUnshare)('a lock held from another PID namespace on the same host', () => {
  it('is waited for, not broken: exit 7 while it is held, success once the holder lets go', async () => {
    await h.login();
    const holder = await holderInsideLock(inNewPidNs, 4);
    expect(holder.owner).toMatchObject({ pid: 1, host: hostname() });
    expect(holder.owner.ns).not.toBe(OUR_NS);

    const blocked = await h.run(['refresh', '--force', '--json'], { env: { HH_LOCK_TIMEOUT: '1' } });
    expect(blocked.stderr).not.toContain('recovered a stale lock');
    expect(blocked.code, blocked.stderr).toBe(7);
    expect(jsonOut(blocked).error.message).toContain(`(held by pid 1 on ${hostname()} in another PID namespace (${holder.owner.ns}))`);
    expect(jsonOut(blocked).error.suggestion).toContain(`If that machine or container is gone, remove ${holder.lock} by hand`);
    expect(tokenPosts(h), 'nothing sent while the lock was held').toBe(holder.posts);
    expect(readFileSync(`${h.tokenFile}.lock`, 'utf8')).toBe(JSON.stringify(holder.owner));

    // Started while the holder still hangs on hh.ru: it waits for the release, then takes its turn.
    const waiter = h.run(['refresh', '--force', '--json'], { env: { HH_LOCK_TIMEOUT: '15' } });
    const first = await holder.run;
    expect(first.code, first.stderr).toBe(6); // the holder's request timed out: it let go of the lock
    const second = await waiter;
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).not.toContain('recovered a stale lock');
    expect(tokenPosts(h)).toBe(holder.posts + 1);
    expect(existsSync(holder.lock)).toBe(false);
  });

  it('held by a container that was killed is recovered once no process is left in its namespace', async () => {
    await h.login();
    let unsharePid = 0;
    const holder = await holderInsideLock(inNewPidNs, 60, (child) => (unsharePid = child.pid ?? 0));
    expect(holder.owner.ns).not.toBe(OUR_NS);
    // The namespace's first process (pid 1 inside) takes everything in it down with it.
    const init = Number(readFileSync(`/proc/${unsharePid}/task/${unsharePid}/children`, 'utf8').trim().split(' ')[0]);
    process.kill(init, 'SIGKILL');
    await holder.run;
    h.sandbox.fault(null);

    const out = await h.run(['refresh', '--force', '--json'], { env: { HH_LOCK_TIMEOUT: '5' } });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toContain(`(no process is left in its PID namespace ${holder.owner.ns})`);
    expect(existsSync(holder.lock)).toBe(false);
  });

  it('held by a killed process of our own namespace is still recovered', async () => {
    await h.login();
    const holder = await holderInsideLock(undefined, 60);
    expect(holder.owner.ns).toBe(OUR_NS);
    process.kill(holder.owner.pid, 'SIGKILL');
    expect((await holder.run).signal).toBe('SIGKILL');
    h.sandbox.fault(null);

    const out = await h.run(['refresh', '--force', '--json'], { env: { HH_LOCK_TIMEOUT: '5' } });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toContain(`(pid ${holder.owner.pid} is no longer running)`);
    expect(existsSync(holder.lock)).toBe(false);
  });

  it('held by a killed run of the systemd unit (which cannot read the boot id) is still recovered', async () => {
    await h.login();
    const holder = await holderInsideLock(likeTheUnit, 60);
    expect(holder.owner.ns).toBe(OUR_NS);
    expect(holder.owner.boot).toBeUndefined();
    process.kill(holder.owner.pid, 'SIGKILL');
    expect((await holder.run).signal).toBe('SIGKILL');
    h.sandbox.fault(null);

    const out = await h.run(['refresh', '--force', '--json'], { env: { HH_LOCK_TIMEOUT: '5' } });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toContain(`(pid ${holder.owner.pid} is no longer running)`);
  });
});

describe('a lock from an earlier boot of this machine', () => {
  it('is recovered even though its pid is alive now (pids restart at every boot)', async () => {
    await h.login();
    const lock = `${h.tokenFile}.lock`;
    const owner = { pid: process.pid, start: processStartTime(process.pid), host: hostname(), ns: OUR_NS, boot: 'an-earlier-boot' };
    writeFileSync(lock, JSON.stringify(owner), { mode: 0o600 });
    const out = await h.run(['refresh', '--force', '--json'], { env: { HH_LOCK_TIMEOUT: '5' } });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toContain(`(pid ${process.pid} ran before this machine last booted)`);
    expect(existsSync(lock)).toBe(false);
  });
});
