import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { acquireLock } from '../lock/lock';
import { removeDebris } from './debris';
import { ensureDir } from './directory';
import { keptPairPath, settleKeptPair } from './kept-pair';
import { readToken, type StoredToken } from './read';

/**
 * Runs fn while holding the token file's lock (`<file>.lock`, lock/lock.ts), after what
 * killed runs left is settled: a kept pair put in place (kept-pair.ts), debris removed
 * (debris.ts). Every change to the token file happens inside one of these.
 */
export async function withTokenLock<T>(path: string, timeoutSeconds: number, fn: () => Promise<T>): Promise<T> {
  await ensureDir(dirname(path));
  const lock = await acquireLock(`${path}.lock`, timeoutSeconds * 1000);
  try {
    await settleKeptPair(path);
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
  if (token || !existsSync(await keptPairPath(path))) return token;
  return withTokenLock(path, lockTimeoutSeconds, () => readToken(path));
}
