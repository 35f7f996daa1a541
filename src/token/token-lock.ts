import { lstatSync } from 'node:fs';
import { dirname } from 'node:path';
import { acquireLock } from '../lock/lock';
import { removeDebris } from './debris';
import { ensureDir } from './directory';
import { keptPairPath, settleKeptPair } from './kept-pair';
import { storeOwner } from './ownership';
import { readToken, type StoredToken } from './read';
import { assertTrustedDir, describeUser } from './trusted-dir';

/**
 * Runs fn while holding the token file's lock (`<file>.lock`, lock/lock.ts), after what
 * killed runs left is settled: a kept pair put in place (kept-pair.ts), debris removed
 * (debris.ts). Every change to the token file happens inside one of these, and only in a
 * directory that others cannot write (trusted-dir.ts). The lock, like every file created
 * here, belongs to the store's owner (ownership.ts): a lock left by a root run that was
 * killed is one the service user can read and judge.
 */
export async function withTokenLock<T>(path: string, timeoutSeconds: number, fn: () => Promise<T>): Promise<T> {
  const dir = dirname(path);
  await ensureDir(dir);
  assertTrustedDir(dir, path, lstatSync(path, { throwIfNoEntry: false })?.uid);
  const owner = storeOwner(dir);
  const lock = await acquireLock(`${path}.lock`, timeoutSeconds * 1000, { owner: { uid: owner.uid, gid: owner.gid }, describeUser });
  try {
    await settleKeptPair(path, owner.writers, owner);
    await removeDebris(path);
    return await fn();
  } finally {
    await lock.release();
  }
}

/**
 * readToken, but a missing file may be a first login whose run was killed just before
 * its rename: when its pair is kept (kept-pair.ts), put it in place under the lock and
 * read again. Only a missing file pays for the check (one hash, one stat).
 */
export async function readTokenOrKept(path: string, lockTimeoutSeconds: number): Promise<StoredToken | null> {
  const token = await readToken(path);
  // lstat, not exists: a kept-pair name that is a link (dangling or not) must be looked at too.
  if (token || !lstatSync(await keptPairPath(path), { throwIfNoEntry: false })) return token;
  return withTokenLock(path, lockTimeoutSeconds, () => readToken(path));
}
