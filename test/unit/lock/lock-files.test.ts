import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HhOauthError } from '../../../src/errors';
import { acquireLock } from '../../../src/lock/lock';
import { canUseLocalUsers, deadProcess, isRoot, localUser, requires, SERVICE_USER, type LocalUser } from '../../helpers';

/**
 * The lock file is read only when it is a regular file of at most 4 KiB: anything else
 * there ends the wait at once (exit 7) instead of blocking (a FIFO) or reading without
 * end (a link to /dev/zero). A stale lock that cannot be removed is exit 7 naming its
 * owner, not an unexpected error. Root gives the lock to the owner it is told.
 */
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
let lock: string;
beforeEach(() => {
  const dir = mkdtempSync(join(tmpdir(), 'hh-lockfile-'));
  dirs.push(dir);
  lock = join(dir, 'token.json.lock');
});
let service: LocalUser;
beforeAll(() => {
  if (canUseLocalUsers) service = localUser(SERVICE_USER);
});

async function refusedWithin(ms: number, timeoutMs = 5000): Promise<HhOauthError> {
  const started = Date.now();
  const err = await acquireLock(lock, timeoutMs).then(
    async (held) => {
      await held.release();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(Date.now() - started).toBeLessThan(ms);
  expect(err).toBeInstanceOf(HhOauthError);
  expect((err as HhOauthError).exitCode).toBe(7);
  return err as HhOauthError;
}

async function deadOwner(): Promise<string> {
  const { pid, start } = await deadProcess();
  return JSON.stringify({ pid, start, host: hostname() });
}

describe('what stands where the lock should be', () => {
  it('a FIFO: exit 7 at once, long before the timeout', async () => {
    expect(spawnSync('mkfifo', [lock]).status).toBe(0);
    const err = await refusedWithin(1000);
    expect(err.message).toBe(`the lock ${lock} is not a regular file (a FIFO); hh-oauth never makes one, and will not read it`);
    expect(err.suggestion).toContain(`rm ${lock}`);
  });

  it('a link to /dev/zero: exit 7 at once, nothing read', async () => {
    symlinkSync('/dev/zero', lock);
    const err = await refusedWithin(1000);
    expect(err.message).toMatch(/is a symbolic link/);
  });

  it('a breaker that is a FIFO, beside a stale lock: exit 7 at once', async () => {
    writeFileSync(lock, await deadOwner(), { mode: 0o600 });
    expect(spawnSync('mkfifo', [`${lock}.break`]).status).toBe(0);
    const err = await refusedWithin(1000);
    expect(err.message).toContain(`${lock}.break is not a regular file (a FIFO)`);
  });

  it('a regular file of 64 KiB of junk: not an owner record, so stale; broken and taken', async () => {
    writeFileSync(lock, 'x'.repeat(64 * 1024), { mode: 0o600 });
    const held = await acquireLock(lock, 2000);
    expect(statSync(lock).size).toBeLessThan(4096);
    await held.release();
    expect(existsSync(lock)).toBe(false);
  });
});

describe('a stale lock that cannot be removed', () => {
  it('(immutable here; another user\'s in a sticky directory end to end): exit 7 naming its owner and `sudo rm`, not exit 1', async (ctx) => {
    requires(ctx, 'root and chattr', isRoot);
    writeFileSync(lock, await deadOwner(), { mode: 0o600 });
    const immutable = spawnSync('chattr', ['+i', lock]);
    requires(ctx, `chattr +i on ${lock} (${immutable.stderr})`, immutable.status === 0);
    try {
      const err = await refusedWithin(3000, 2000);
      expect(err.message).toMatch(new RegExp(`^cannot remove the stale lock ${lock.replace(/[.]/g, '\\.')} \\(pid \\d+ is no longer running\\) \\(EPERM\\): it belongs to uid 0`));
      expect(err.suggestion).toContain(`sudo rm ${lock}`);
      // Its breaker was let go: nothing else is left behind.
      expect(readdirSync(join(lock, '..'))).toEqual(['token.json.lock']);
    } finally {
      spawnSync('chattr', ['-i', lock]);
    }
  });
});

describe('the owner of a lock root creates', () => {
  it('is the one it is told (the state directory\'s owner), so that the service can read and judge it', async (ctx) => {
    requires(ctx, 'root and useradd (a real second user)', canUseLocalUsers);
    const held = await acquireLock(lock, 2000, { owner: { uid: service.uid, gid: service.gid } });
    try {
      expect(statSync(lock)).toMatchObject({ uid: service.uid, gid: service.gid });
      expect(statSync(lock).mode & 0o777).toBe(0o600);
    } finally {
      await held.release();
    }
    expect(existsSync(lock)).toBe(false);
  });
});
