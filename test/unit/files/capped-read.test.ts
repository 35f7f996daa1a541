import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { readCapped } from '../../../src/files/capped-read';
import { formatBytes, READ_LIMITS } from '../../../src/files/read-limits';
import { readToken } from '../../../src/token/read';
import { TokenWrite } from '../../../src/token/write';

/**
 * readCapped: only a regular file, never through a link, never more than its limit, and
 * never an open that waits (a FIFO). And the token file's limit holds what the writer
 * stores: the largest answer the HTTP client accepts is read back.
 */
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hh-capped-'));
  dirs.push(dir);
});

describe('readCapped', () => {
  it('a regular file within the limit: its bytes', () => {
    writeFileSync(join(dir, 'f'), 'hello');
    const read = readCapped(join(dir, 'f'), 5);
    expect(read.ok && read.bytes.toString()).toBe('hello');
  });

  it('one byte past the limit: refused by its size, without reading it', () => {
    writeFileSync(join(dir, 'f'), 'hello!');
    expect(readCapped(join(dir, 'f'), 5)).toMatchObject({ ok: false, why: 'too-large', problem: 'is larger than 5 bytes (6 bytes)' });
  });

  it('a 4 GiB sparse file: refused at once', () => {
    writeFileSync(join(dir, 'big'), '{}');
    expect(spawnSync('truncate', ['-s', '4G', join(dir, 'big')]).status).toBe(0);
    const started = Date.now();
    expect(readCapped(join(dir, 'big'), READ_LIMITS.tokenFile)).toMatchObject({ ok: false, why: 'too-large', problem: 'is larger than 8 MiB (4.0 GiB)' });
    expect(Date.now() - started).toBeLessThan(100);
  });

  it('a FIFO: refused at once, although no one will ever write to it', () => {
    expect(spawnSync('mkfifo', [join(dir, 'fifo')]).status).toBe(0);
    expect(readCapped(join(dir, 'fifo'), 4096)).toMatchObject({ ok: false, why: 'not-regular', problem: 'is not a regular file (a FIFO)' });
  });

  it('a link, to /dev/zero or to a regular file: refused, not followed', () => {
    symlinkSync('/dev/zero', join(dir, 'zero'));
    writeFileSync(join(dir, 'real'), 'x');
    symlinkSync(join(dir, 'real'), join(dir, 'link'));
    expect(readCapped(join(dir, 'zero'), 4096)).toMatchObject({ ok: false, why: 'link' });
    expect(readCapped(join(dir, 'link'), 4096)).toMatchObject({ ok: false, why: 'link' });
  });

  it('a device, a directory: refused by kind', () => {
    mkdirSync(join(dir, 'd'));
    expect(readCapped('/dev/zero', 4096)).toMatchObject({ ok: false, why: 'not-regular', problem: 'is not a regular file (a character device)' });
    expect(readCapped(join(dir, 'd'), 4096)).toMatchObject({ ok: false, why: 'not-regular', problem: 'is not a regular file (a directory)' });
  });

  it('missing: said so, not an error', () => {
    expect(readCapped(join(dir, 'none'), 4096)).toMatchObject({ ok: false, why: 'missing' });
  });

  it('formats sizes for messages', () => {
    expect([formatBytes(READ_LIMITS.tokenFile), formatBytes(READ_LIMITS.lock), formatBytes(2 * 1024 ** 3), formatBytes(12)]).toEqual(['8 MiB', '4 KiB', '2.0 GiB', '12 bytes']);
  });
});

describe('whatever the writer stores, the reader accepts', () => {
  /** The worst 1 MiB answer for re-encoding: numbers written 1E20 come back with 21 digits. */
  function worstAnswer(bytes: number): Record<string, unknown> {
    const head = '{"access_token":"A","refresh_token":"R","expires_in":60,"x":[';
    const count = Math.floor((bytes - head.length - 2) / 5);
    return JSON.parse(`${head}${Array(count).fill('1E20').join(',')}]}`) as Record<string, unknown>;
  }

  it.each([
    ['the largest answer the HTTP client reads (1 MiB)', 1024 * 1024],
    ['an answer whose pretty form exceeds the limit (stored compact)', 1.6 * 1024 * 1024],
  ])('%s', async (_name, size) => {
    const path = join(dir, 'token.json');
    const answer = worstAnswer(size);
    await TokenWrite.run(path, 5, (write) => write.spend(async () => answer, (a) => ({ ...a, expires_at: new Date(Date.now() + 60_000).toISOString() })));
    const token = await readToken(path);
    expect(token?.refreshToken).toBe('R');
    expect((token?.data.x as unknown[]).length).toBe((answer.x as unknown[]).length);
  });
});
