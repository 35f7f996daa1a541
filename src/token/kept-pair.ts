import { fchmodSync, fchownSync, lstatSync, renameSync } from 'node:fs';
import { unlink } from '../files/quick-fs';
import { basename, dirname, join } from 'node:path';
import { errnoCode, storeError } from '../errors';
import { log } from '../output';
import { syncDir } from './directory';
import { readCapped } from '../files/capped-read';
import { READ_LIMITS } from '../files/read-limits';
import { accessHint, renameHint } from './hints';
import { refusedRead } from './read';
import type { StoreOwner } from './ownership';
import { describeUser, userArg } from './trusted-dir';
import { sha256Hex } from '../files/sha256';

/**
 * Where a write puts its new content before the rename over the token file: a name tied
 * to the exact content it replaces (a hash of the file's current bytes, or of nothing
 * when there is no file). Writers hold the lock, so under the lock this one name is all
 * there is to look at, and content found complete there was written to replace what the
 * file holds now. A run killed after its write (or whose rename failed) leaves its new
 * pair there, with the old refresh token already spent: the next locked run puts it in
 * place (settleKeptPair). No pid and no clock is consulted: containers reuse pids, clocks step.
 */
export async function keptPairPath(path: string): Promise<string> {
  const read = readCapped(path, READ_LIMITS.tokenFile);
  let bytes: Buffer;
  if (read.ok) bytes = read.bytes;
  // A directory holds no content (a rename over it fails later, and is reported there).
  else if (read.why === 'missing' || (read.why === 'not-regular' && read.info.isDirectory())) bytes = Buffer.alloc(0);
  // A FIFO would block, a link or a huge file is not ours to hash: the read path refuses them the same way.
  else throw refusedRead(path, read, 'point HH_TOKEN_FILE at');
  return join(dirname(path), `.${basename(path)}.${sha256Hex(bytes).slice(0, 16)}.tmp`);
}

/** A write that finished: one JSON object (the claimed space after it is blanks, which JSON.parse allows). */
export function isCompleteWrite(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

/**
 * Puts a kept pair in place, or removes an incomplete one. Under the lock (token-lock.ts),
 * before anything else. Its name is predictable (with no token file, it is the hash of
 * nothing), so it is adopted only as hh-oauth writes it: a regular file, not a link,
 * owned by one of `writers` (this user, root, the directory's owner), writable by no one
 * else. Anything else stops the run: a real kept pair has replaced the file's refresh
 * token at hh.ru, so passing it over would spend a superseded token. A root-owned one that
 * root adopts for the directory's owner (left by an earlier version, or by root without
 * CAP_CHOWN) is given to the store's owner first, as a new file would be (ownership.ts).
 */
export async function settleKeptPair(path: string, writers: number[], owner?: StoreOwner): Promise<void> {
  const kept = await keptPairPath(path);
  // The hand-over goes through the descriptor that was read: the directory's owner may swap
  // the name for a link (to /etc/shadow) at any moment, and root would chown its target.
  const read = readCapped(kept, READ_LIMITS.tokenFile, (file) => {
    if (owner?.forOwner && file.info.uid === 0 && !(file.info.mode & 0o022) && isCompleteWrite(file.bytes.toString('utf8'))) handOver(file.fd, file.info.nlink, kept, owner);
  });
  if (!read.ok && read.why === 'missing') return;
  if (!read.ok && read.why === 'error') {
    // Not passed over: a complete pair there has replaced the file's refresh token at hh.ru,
    // and the debris sweep after this would remove it.
    throw storeError(
      `cannot read ${kept} (${read.code}), which may hold a newer token pair written by a run that stopped before storing it; nothing was sent to hh.ru`,
      `${accessHint(read.code)}; then run hh-oauth again, which moves a complete kept pair into place`,
      read.cause,
    );
  }
  if (!read.ok) {
    const uid = read.why === 'link' ? lstatSync(kept, { throwIfNoEntry: false })?.uid : read.info.uid;
    throw untrusted(kept, `${kept} ${read.problem}${uid === undefined ? '' : `, owned by ${describeUser(uid)}`}`, writers);
  }
  const { info } = read;
  if (!writers.includes(info.uid)) {
    const may = writers.map(describeUser).join(', ');
    throw untrusted(kept, `${kept} belongs to ${describeUser(info.uid)}, who may not write this token store (only ${may} may)`, writers);
  }
  if (info.mode & 0o022) {
    throw untrusted(kept, `${kept} can be written by group or others (mode 0${(info.mode & 0o777).toString(8)}, owner ${describeUser(info.uid)})`, writers);
  }
  if (!isCompleteWrite(read.bytes.toString('utf8'))) {
    await unlink(kept).catch(() => undefined);
    return;
  }
  try {
    renameSync(kept, path);
  } catch (err) {
    // Going on would spend the file's refresh token, which the kept pair has replaced at hh.ru.
    const code = errnoCode(err) ?? 'error';
    throw storeError(
      `a newer token pair, written by a run that stopped before storing it, is kept in ${kept}, but it cannot replace ${path} (${code})`,
      `${renameHint(code)}; then run hh-oauth again, which moves the kept pair into place (or \`mv ${kept} ${path}\`)`,
      err,
    );
  }
  await syncDir(dirname(path));
  log.warn('recovered the token pair that a stopped run had written but not yet stored');
}

/**
 * Best effort: the pair must go in place whatever its owner; the service then needs a chown,
 * which the warning names. Never a file with a second name: that name is not the store's.
 */
function handOver(fd: number, links: number, kept: string, owner: StoreOwner): void {
  const stays = (why: string) => log.warn(`cannot give ${kept} to ${describeUser(owner.uid)} (${why}); it stays root's: \`chown ${userArg(owner.uid)} ${tokenFileOf(kept)}\``);
  if (links !== 1) return stays(`it has ${links} names`);
  try {
    fchownSync(fd, owner.uid, owner.gid ?? -1);
    fchmodSync(fd, owner.fileMode);
  } catch (err) {
    stays(errnoCode(err) ?? 'error');
  }
}
const tokenFileOf = (kept: string) => join(dirname(kept), basename(kept).replace(/^\.(.*)\.[0-9a-f]{16}\.tmp$/, '$1'));

/** A file under the kept-pair name that hh-oauth did not write: exit 7, naming it, its owner and the fix. */
function untrusted(kept: string, what: string, writers: number[]): Error {
  const owner = writers.find((uid) => uid !== 0) ?? 0;
  return storeError(
    `${what}: hh-oauth keeps a newer token pair under that name, but never in a file like this one, so it is not adopted; nothing was sent to hh.ru`,
    `if you did not put it there, remove it (\`rm ${kept}\`, as its owner or root) and run again; if it is a pair you moved there yourself, make it a regular file of the store's owner that only it may write (\`chown ${userArg(owner)} ${kept}\`, \`chmod 600 ${kept}\`)`,
  );
}
