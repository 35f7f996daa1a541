import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HhOauthError } from '../../../src/errors';
import { keptPairPath, settleKeptPair } from '../../../src/token/kept-pair';
import { canUseLocalUsers, localUser, OTHER_USER, requires, SERVICE_USER, type LocalUser, useTempDirs } from '../../helpers';

/**
 * settleKeptPair adopts a kept pair only as hh-oauth writes one: a regular file, not a
 * link, owned by one of the store's writers, writable by no one else. Anything else stops
 * the run (exit 7) naming the file, its owner and the fix; nothing is removed or renamed.
 */
const tempDir = useTempDirs('hh-kept-');
let other: LocalUser;
let service: LocalUser;
beforeAll(() => {
  if (!canUseLocalUsers) return;
  other = localUser(OTHER_USER);
  service = localUser(SERVICE_USER);
});

let path: string;
let kept: string;
const PAIR = JSON.stringify({ access_token: 'A2', refresh_token: 'R2' });
beforeEach(async () => {
  const dir = tempDir();
  path = join(dir, 'token.json');
  writeFileSync(path, JSON.stringify({ access_token: 'A1', refresh_token: 'R1' }), { mode: 0o600 });
  kept = await keptPairPath(path);
});

async function refused(writers: number[]): Promise<HhOauthError> {
  const err = await settleKeptPair(path, writers).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(HhOauthError);
  expect((err as HhOauthError).exitCode).toBe(7);
  expect((err as HhOauthError).message).toContain(kept);
  expect((err as HhOauthError).suggestion).toContain(`rm ${kept}`);
  expect(JSON.parse(readFileSync(path, 'utf8')).refresh_token, 'the token file is untouched').toBe('R1');
  return err as HhOauthError;
}

describe('settleKeptPair', () => {
  it('finds a pair under the name earlier versions gave it (node:crypto\'s SHA-256 of the bytes it replaces)', async () => {
    const bytes = readFileSync(path);
    const earlier = join(dirname(path), `.${basename(path)}.${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}.tmp`);
    expect(kept).toBe(earlier);
    writeFileSync(earlier, PAIR, { mode: 0o600 });
    await settleKeptPair(path, [0]);
    expect(JSON.parse(readFileSync(path, 'utf8')).refresh_token).toBe('R2');
  });

  it('ours, complete: put in place', async () => {
    writeFileSync(kept, PAIR, { mode: 0o600 });
    await settleKeptPair(path, [0]);
    expect(JSON.parse(readFileSync(path, 'utf8')).refresh_token).toBe('R2');
    expect(existsSync(kept)).toBe(false);
  });

  it('ours, incomplete (claimed blanks only): removed, the file kept', async () => {
    writeFileSync(kept, ' '.repeat(4096), { mode: 0o600 });
    await settleKeptPair(path, [0]);
    expect(existsSync(kept)).toBe(false);
    expect(JSON.parse(readFileSync(path, 'utf8')).refresh_token).toBe('R1');
  });

  it('the directory owner\'s (0640, the token group\'s): put in place', async (ctx) => {
    requires(ctx, 'root and useradd (a real second user)', canUseLocalUsers);
    writeFileSync(kept, PAIR, { mode: 0o640 });
    chownSync(kept, service.uid, service.gid);
    await settleKeptPair(path, [0, service.uid]);
    expect(JSON.parse(readFileSync(path, 'utf8')).refresh_token).toBe('R2');
  });

  it('another user\'s: refused, naming her', async (ctx) => {
    requires(ctx, 'root and useradd (a real second user)', canUseLocalUsers);
    writeFileSync(kept, PAIR, { mode: 0o600 });
    chownSync(kept, other.uid, other.gid);
    const err = await refused([0]);
    expect(err.message).toMatch(new RegExp(`belongs to ${OTHER_USER} \\(uid ${other.uid}\\), who may not write this token store \\(only root may\\)`));
    expect(existsSync(kept)).toBe(true);
  });

  it.each([['0620', 0o620], ['0602', 0o602], ['0666', 0o666]])('writable by group or others (%s): refused', async (_name, mode) => {
    writeFileSync(kept, PAIR);
    chmodSync(kept, mode);
    const err = await refused([0]);
    expect(err.message).toMatch(/can be written by group or others/);
    expect(existsSync(kept)).toBe(true);
  });

  it('a symbolic link (even to a pair of ours): refused, not followed', async () => {
    writeFileSync(`${path}.elsewhere`, PAIR, { mode: 0o600 });
    symlinkSync(`${path}.elsewhere`, kept);
    const err = await refused([0]);
    expect(err.message).toMatch(/is a symbolic link, owned by root/);
  });

  it('a FIFO: refused at once (no open that waits for a writer)', async () => {
    expect(spawnSync('mkfifo', [kept]).status).toBe(0);
    const err = await refused([0]);
    expect(err.message).toMatch(/is not a regular file \(a FIFO\)/);
  });

  it('larger than a token file can be: refused, not read', async () => {
    writeFileSync(kept, PAIR, { mode: 0o600 });
    expect(spawnSync('truncate', ['-s', '1G', kept]).status).toBe(0);
    const err = await refused([0]);
    expect(err.message).toMatch(/is larger than 8 MiB \(1\.0 GiB\)/);
  });
});
