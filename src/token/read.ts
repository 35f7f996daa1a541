import { closeSync, constants, fchmodSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { errnoCode, HhOauthError, storeError } from '../errors';
import { log } from '../output';
import { accessHint } from './hints';
import { parseTokenFile, type TokenRecord } from './record';

/**
 * The read path: the token file as it is, without the lock. Writes are atomic renames
 * (token/write.ts), so a reader sees the old file or the new one, never half of either.
 * This module is all that the hot path (dist/main.cjs) loads of token/: nothing here may
 * reach the lock or the write side.
 */
export interface StoredToken extends TokenRecord {
  path: string;
  mode: number;
  uid: number;
  gid: number;
}

export async function readToken(path: string, opts: { tighten?: boolean } = {}): Promise<StoredToken | null> {
  // Synchronous calls: this small read is all that most runs do, and the async API would
  // start fs/promises and Node's thread pool for it (README, Performance).
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') throw storeError(`${path} is a symbolic link; refusing to follow it`, 'point HH_TOKEN_FILE at the real file');
    throw storeError(`cannot read ${path} (${code ?? 'error'})`, accessHint(code), err);
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw storeError(`${path} is not a regular file`, 'move it away, or point HH_TOKEN_FILE at a file');
    let text: string;
    try {
      text = readFileSync(fd, 'utf8');
    } catch (err) {
      throw storeError(`cannot read ${path} (${errnoCode(err) ?? 'error'})`, accessHint(errnoCode(err)), err);
    }
    const record = parseTokenFile(text, info.mtime, path);
    const mode = info.mode & 0o777;
    if (mode & 0o137) tightenMode(fd, path, mode, info.uid, opts.tighten ?? true);
    return { ...record, path, mode: mode & 0o640, uid: info.uid, gid: info.gid };
  } finally {
    closeSync(fd);
  }
}

function tightenMode(fd: number, path: string, mode: number, uid: number, tighten: boolean): void {
  const wanted = mode & 0o640;
  const show = (m: number) => `0${m.toString(8)}`;
  // Through the open descriptor (not the path, which may have changed), and claimed only when it worked (e.g. not on a read-only mount).
  if (tighten && uid === process.getuid?.() && fchmodQuietly(fd, wanted)) {
    log.warn(`${path} had mode ${show(mode)}, which lets others read the token; tightened to ${show(wanted)}`);
  } else {
    log.warn(`${path} has mode ${show(mode)}, which lets others read the token; run \`chmod ${show(wanted)} ${path}\``);
  }
}

function fchmodQuietly(fd: number, mode: number): boolean {
  try {
    fchmodSync(fd, mode);
    return true;
  } catch {
    return false;
  }
}

export interface RawFile {
  text: string;
  mtime: Date;
  mode: number;
  uid: number;
  gid: number;
}

/** Reads another small file of ours (the app token) with the token file's care: no symlinks, regular files only. */
export async function readRawFile(path: string): Promise<RawFile | null> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') throw storeError(`${path} is a symbolic link; refusing to follow it`, 'point the setting at the real file');
    throw storeError(`cannot read ${path} (${code ?? 'error'})`, accessHint(code), err);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw storeError(`${path} is not a regular file`, 'move it away');
    const text = await handle.readFile('utf8');
    return { text, mtime: info.mtime, mode: info.mode & 0o777, uid: info.uid, gid: info.gid };
  } catch (err) {
    if (err instanceof HhOauthError) throw err;
    throw storeError(`cannot read ${path} (${errnoCode(err) ?? 'error'})`, accessHint(errnoCode(err)), err);
  } finally {
    await handle.close();
  }
}
