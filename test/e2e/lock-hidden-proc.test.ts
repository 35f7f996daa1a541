import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  canUseLocalUsers, findTool, homeFor, jsonOut, localGroup, localUser, nobodyCanRunCli, requires, runCli,
  SERVICE_USER, sleep, storeGrant, TOKEN_GROUP, tokenPosts, useHarness, waitForExpiry, type LocalUser,
} from '../helpers';

/**
 * The unit's ProtectProc=invisible and ProcSubset=pid: the service sees no process of root's
 * in /proc (no start time, no boot id). Played for real: the service's run is the service
 * user in a mount namespace whose /proc is mounted with hidepid=invisible,subset=pid (per-mount
 * procfs options, as systemd mounts it). The lock's liveness test is kill(pid, 0), which
 * /proc's options do not touch: a dead root holder is ESRCH, a live one EPERM.
 */
const EXPIRES_IN = 1;
const h = useHarness({ expiresIn: EXPIRES_IN });

/** unshare(1), and a kernel that mounts a procfs of its own with hidepid=invisible (≥ 5.8). */
function canHideProc(): boolean {
  if (!findTool('unshare')) return false;
  const probe = spawnSync('unshare', ['--mount', '--fork', '--', 'sh', '-c', 'mount -t proc -o hidepid=invisible,subset=pid proc /proc && grep -q hidepid=invisible /proc/self/mountinfo'], { encoding: 'utf8' });
  return probe.status === 0;
}
const usable = canUseLocalUsers && nobodyCanRunCli() && canHideProc();
const NEEDS = 'root, useradd, setpriv, unshare and a kernel with per-mount procfs options (≥ 5.8)';

let service: LocalUser;
let tokenGid: number;
beforeAll(() => {
  if (!usable) return;
  tokenGid = localGroup(TOKEN_GROUP);
  service = localUser(SERVICE_USER, [TOKEN_GROUP]);
});

/** As the unit runs the service: its user and Group=, and a /proc that hides every other user's processes. */
const hiddenProc = () => [
  'unshare', '--mount', '--fork', '--', 'sh', '-c', 'mount -t proc -o hidepid=invisible,subset=pid proc /proc && exec "$@"', 'sh',
  ...service.wrap({ gid: tokenGid }),
];
const asService = (extra: Record<string, string> = {}) => ({ env: h.env({ ...homeFor(service, h.dir), HH_TOKEN_GROUP: TOKEN_GROUP, ...extra }), wrap: hiddenProc() });

/** The state directory as install-units makes it, with a stored pair of the service user's, due. */
async function serviceStore(): Promise<void> {
  chmodSync(h.dir, 0o755);
  const state = join(h.dir, 'state');
  mkdirSync(state, { recursive: true });
  chownSync(state, service.uid, tokenGid);
  chmodSync(state, 0o750);
  await storeGrant(h, h.tokenFile);
  chownSync(h.tokenFile, service.uid, tokenGid);
  chmodSync(h.tokenFile, 0o640);
  await waitForExpiry(EXPIRES_IN);
}

/** Root's `refresh --force`, stuck inside the lock on hh.ru's hanging answer; resolves once it holds the lock. */
async function rootHoldsLock(httpTimeout: string): Promise<{ done: ReturnType<typeof runCli>; pid: number }> {
  const posts = tokenPosts(h);
  const done = h.run(['refresh', '--force', '--json'], { env: { HH_HTTP_TIMEOUT: httpTimeout, HH_TOKEN_GROUP: undefined } });
  for (let i = 0; i < 400 && tokenPosts(h) === posts; i++) await sleep(25);
  const lock = `${h.tokenFile}.lock`;
  expect(existsSync(lock), 'root holds the lock').toBe(true);
  return { done, pid: (JSON.parse(readFileSync(lock, 'utf8')) as { pid: number }).pid };
}

describe('the lock, seen by a service that cannot see root\'s processes', () => {
  it('the hidden /proc is real: the service cannot see root\'s process, yet kill(pid, 0) tells it lives', async (ctx) => {
    requires(ctx, NEEDS, usable);
    const probe = spawnSync(hiddenProc()[0]!, [...hiddenProc().slice(1), 'sh', '-c', `test -e /proc/${process.pid}; echo seen=$?; kill -0 ${process.pid} 2>&1; echo kill=$?`], { encoding: 'utf8' });
    expect(probe.stdout).toMatch(/seen=1/);
    expect(probe.stdout).toMatch(/Operation not permitted/);
  });

  it('a root run SIGKILLed while holding the lock does not block the service: it recovers the lock at once, not after HH_LOCK_TIMEOUT', async (ctx) => {
    requires(ctx, NEEDS, usable);
    await serviceStore();
    h.sandbox.fault({ kind: 'hang', path: '/token' });
    const { done, pid } = await rootHoldsLock('60');
    process.kill(pid, 'SIGKILL');
    expect((await done).signal).toBe('SIGKILL');
    h.sandbox.fault(null);

    const started = Date.now();
    const out = await runCli(['refresh', '--force', '--json'], asService({ HH_LOCK_TIMEOUT: '60' }));
    const took = Date.now() - started;
    expect(out.code, out.stderr).toBe(0);
    expect(jsonOut(out).status).toBe('refreshed');
    expect(out.stderr).toMatch(/recovered a stale lock .*pid \d+ is no longer running/);
    expect(took, 'recovered long before HH_LOCK_TIMEOUT').toBeLessThan(10_000);
    expect(existsSync(`${h.tokenFile}.lock`)).toBe(false);
  });

  it('a live root holder is respected: the service waits for it, never breaks its lock, and then refreshes', async (ctx) => {
    requires(ctx, NEEDS, usable);
    await serviceStore();
    h.sandbox.fault({ kind: 'hang', path: '/token', times: 1 });
    const { done } = await rootHoldsLock('3');
    const started = Date.now();
    const out = await runCli(['refresh', '--force', '--json'], asService({ HH_LOCK_TIMEOUT: '30' }));
    const waited = Date.now() - started;
    // Root gave up on hh.ru (exit 6) and let go of the lock; only then did the service go on.
    expect((await done).code).toBe(6);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).not.toMatch(/stale lock/);
    expect(waited, 'the service waited for root').toBeGreaterThan(1_000);
    expect(jsonOut(out).status).toBe('refreshed');
  });

  it('a live root holder and a short HH_LOCK_TIMEOUT: the service times out naming the holder; the lock stays root\'s run\'s', async (ctx) => {
    requires(ctx, NEEDS, usable);
    await serviceStore();
    h.sandbox.fault({ kind: 'hang', path: '/token', times: 1 });
    const { done, pid } = await rootHoldsLock('4');
    const out = await runCli(['refresh', '--force', '--json'], asService({ HH_LOCK_TIMEOUT: '1' }));
    expect(out.code, out.stderr).toBe(7);
    expect(jsonOut(out).error.message).toContain(`held by pid ${pid}`);
    expect((JSON.parse(readFileSync(`${h.tokenFile}.lock`, 'utf8')) as { pid: number }).pid).toBe(pid);
    expect((await done).code).toBe(6);
  });
});


