import { fchmodSync } from 'node:fs';
import { dirname } from 'node:path';
import { readCapped, type CappedFile, type Refusal } from '../files/capped-read';
import { READ_LIMITS } from '../files/read-limits';
import { storeError, type HhOauthError } from '../errors';
import { log } from '../output';
import { accessHint } from './hints';
import { parseTokenFile, type TokenRecord } from './record';
import { assertTrustedDir } from './trusted-dir';

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
  let token: StoredToken | undefined;
  const read = readCapped(path, READ_LIMITS.tokenFile, (file) => {
    assertTrustedDir(dirname(path), path, file.info.uid);
    const record = parseTokenFile(file.bytes.toString('utf8'), file.info.mtime, path);
    const mode = file.info.mode & 0o777;
    if (mode & 0o137) tightenMode(file, path, mode, opts.tighten ?? true);
    token = { ...record, path, mode: mode & 0o640, uid: file.info.uid, gid: file.info.gid };
  });
  if (!read.ok) {
    if (read.why === 'missing') return null;
    throw refusedRead(path, read, 'point HH_TOKEN_FILE at');
  }
  return token!;
}

/** The store error for a token-like file that readCapped refused; `pointAt` names the setting for a link. */
export function refusedRead(path: string, refusal: Exclude<Refusal, { why: 'missing' }>, pointAt: string): HhOauthError {
  switch (refusal.why) {
    case 'link':
      return storeError(`${path} is a symbolic link; refusing to follow it`, `${pointAt} the real file`);
    case 'not-regular':
      return storeError(`${path} ${refusal.problem}`, `move it away, or ${pointAt} a file`);
    case 'too-large':
      return storeError(`${path} ${refusal.problem}, far more than hh-oauth ever writes there; it was not read`, `move it away, or ${pointAt} the real file`);
    case 'error':
      return storeError(`cannot read ${path} (${refusal.code})`, accessHint(refusal.code), refusal.cause);
  }
}

export function tightenMode(file: CappedFile, path: string, mode: number, tighten: boolean): void {
  const wanted = mode & 0o640;
  const show = (m: number) => `0${m.toString(8)}`;
  // Through the open descriptor (not the path, which may have changed), and claimed only when it worked (e.g. not on a read-only mount).
  if (tighten && file.info.uid === process.getuid?.() && fchmodQuietly(file.fd, wanted)) {
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

/** Reads another small file of ours (the app token) with the token file's care: no symlinks, regular files only, capped, in a trusted directory. */
export async function readRawFile(path: string): Promise<RawFile | null> {
  const read = readCapped(path, READ_LIMITS.tokenFile, (file) => assertTrustedDir(dirname(path), path, file.info.uid));
  if (!read.ok) {
    if (read.why === 'missing') return null;
    throw refusedRead(path, read, 'point the setting at');
  }
  const { info } = read;
  return { text: read.bytes.toString('utf8'), mtime: info.mtime, mode: info.mode & 0o777, uid: info.uid, gid: info.gid };
}
