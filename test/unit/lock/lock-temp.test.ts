import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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

/**
 * Removes the first lock temp file that appears in dir, as a sweep from another PID namespace
 * would: from another process, as fast as it can list the directory (the lock's own calls are
 * synchronous, src/files/quick-fs.ts, so nothing in this process runs between them).
 */
const SWEEPER = `
const { readdirSync, unlinkSync } = require('node:fs');
const dir = process.argv[1];
process.stdout.write('ready\\n');
for (;;) {
  for (const name of readdirSync(dir)) {
    if (!/\\.lock\\.\\d+\\.[0-9a-f]+\\.tmp$/.test(name)) continue;
    try { unlinkSync(dir + '/' + name); process.stdout.write('swept\\n'); process.exit(0); } catch {}
  }
}`;

async function sweepFirstTemp(dir: string): Promise<{ swept: () => Promise<number>; stop: () => void }> {
  const child = spawn(process.execPath, ['-e', SWEEPER, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await new Promise<void>((resolve) => child.stdout.on('data', () => out.includes('ready') && resolve()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    swept: async () => {
      child.kill('SIGKILL');
      await exited;
      return out.includes('swept') ? 1 : 0;
    },
    stop: () => child.kill('SIGKILL'),
  };
}

describe('a lock temp file removed by another PID namespace\'s debris sweep', () => {
  it('is one more try for the lock, not exit 7', { timeout: 90_000 }, async () => {
    let hits = 0;
    // The window is a few synchronous calls wide: how many trials it takes to land in it
    // depends on the machine's load, so the trials go on until it has been hit (or 60 s).
    const deadline = Date.now() + 60_000;
    for (let trial = 0; trial < 1000 && hits < 3 && (hits === 0 || trial < 40) && Date.now() < deadline; trial++) {
      const dir = mkdtempSync(join(tmpdir(), 'hh-locktemp-'));
      dirs.push(dir);
      const sweeper = await sweepFirstTemp(dir);
      try {
        const lock = await acquireLock(join(dir, 'token.json.lock'), 3000);
        await lock.release();
      } finally {
        hits += await sweeper.swept();
        sweeper.stop();
      }
    }
    // The sweep did catch temp files mid-creation (else this test proves nothing).
    expect(hits).toBeGreaterThan(0);
  });
});
