import { mkdtempSync, rmSync, unlinkSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireLock } from '../../../src/lock/lock';

/**
 * A lock's temp file is named after its process's pid (`token.json.lock.<pid>.<hex>.tmp`),
 * and the debris sweep (token/debris.ts) removes one whose pid is not running. A pid means
 * a process only in its own PID namespace: a run in another container that shares the
 * token directory (a volume) sees a live waiter's pid as gone, and removes its temp file
 * between its creation and the link(2) that makes it the lock. The waiter must take that
 * as one more try, not as a broken store (exit 7).
 */
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Removes the first lock temp file that appears in dir, at once, as a sweep from another PID namespace would. */
function sweepFirstTemp(dir: string): { swept: () => number; stop: () => void } {
  let swept = 0;
  const watcher = watch(dir, (_event, name) => {
    if (swept > 0 || !name || !/\.lock\.\d+\.[0-9a-f]+\.tmp$/.test(name)) return;
    try {
      unlinkSync(join(dir, name));
      swept++;
    } catch {
      // Already linked and removed by its owner: too late for this try.
    }
  });
  return { swept: () => swept, stop: () => watcher.close() };
}

describe('a lock temp file removed by another PID namespace\'s debris sweep', () => {
  it('is one more try for the lock, not exit 7', async () => {
    let hits = 0;
    for (let trial = 0; trial < 10; trial++) {
      const dir = mkdtempSync(join(tmpdir(), 'hh-locktemp-'));
      dirs.push(dir);
      const sweeper = sweepFirstTemp(dir);
      try {
        const lock = await acquireLock(join(dir, 'token.json.lock'), 3000);
        await lock.release();
      } finally {
        sweeper.stop();
      }
      hits += sweeper.swept();
    }
    // The sweep did catch temp files mid-creation (else this test proves nothing).
    expect(hits).toBeGreaterThan(0);
  });
});
