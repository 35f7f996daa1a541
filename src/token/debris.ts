import { readdir, unlink } from '../files/quick-fs';
import { basename, dirname, join } from 'node:path';
import { processAlive } from '../lock/process';

/**
 * Temp files that killed runs leave beside the token file. Only tidiness depends on this
 * module: a pair that a killed run wrote is kept under a name of its own (kept-pair.ts),
 * which is settled before debris is removed.
 */

// Temp files: `.NAME.<16 hex>.tmp` (kept-pair.ts), `.NAME.<pid>.<hex>.tmp` from earlier versions, and the lock's
// and its breaker's own (`NAME.lock.<pid>.<hex>.tmp`, `NAME.lock.break.<pid>.<hex>.tmp`, lock/lock.ts).
const TEMP = /^\.(.+)\.(?:[0-9a-f]{16}|\d+\.[0-9a-f]+)\.tmp$|^(.+)\.lock(?:\.break)?\.(\d+)\.[0-9a-f]+\.tmp$/;

/**
 * Temp-file names per directory, listed once per process: listing the directory on every
 * lock would make `refresh --all` over thousands of profiles quadratic.
 */
const tempsByDir = new Map<string, Promise<string[]>>();

async function listTemps(dir: string): Promise<string[]> {
  const found: string[] = [];
  try {
    for (const name of await readdir(dir)) if (TEMP.test(name)) found.push(name);
  } catch {
    // An unreadable directory fails later, where the error can be reported properly.
  }
  return found;
}

/**
 * Under the lock, after settleKeptPair: any other temp file of this token file was written
 * against content the file no longer holds, by a writer that no longer holds the lock. A
 * lock's temp file belongs to a waiter, which holds nothing: removed once its pid is gone.
 */
export async function removeDebris(path: string): Promise<void> {
  const dir = dirname(path);
  const base = basename(path);
  let temps = tempsByDir.get(dir);
  if (!temps) tempsByDir.set(dir, (temps = listTemps(dir)));
  for (const name of await temps) {
    const m = TEMP.exec(name);
    if (m?.[1] === base || (m?.[2] === base && !processAlive(Number(m[3])))) await unlink(join(dir, name)).catch(() => undefined);
  }
}
