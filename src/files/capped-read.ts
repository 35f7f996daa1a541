import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { errnoCode } from '../errors';
import { formatBytes } from './read-limits';

/**
 * Reading a small file of ours that someone else may have replaced: only a regular file,
 * never through a symbolic link, never more than its limit (read-limits.ts). Synchronous:
 * the hot path reads the token file with it (see token/read.ts), and every use is small.
 *
 * - O_NOFOLLOW: a link (to /dev/zero, to another user's file) is refused, not followed.
 * - O_NONBLOCK: opening a FIFO for reading waits for a writer, for ever; with it the open
 *   returns at once and fstat tells what it is. It changes nothing for a regular file.
 * - O_NOCTTY: a terminal device put there does not become our controlling terminal.
 * - fstat before reading, and a read loop that stops past the limit: a file that is
 *   larger, or that grows while it is read, is refused without being read whole.
 */
export interface CappedFile {
  ok: true;
  /** Open only while whileOpen runs. */
  fd: number;
  info: Stats;
  bytes: Buffer;
}

export type Refusal =
  | { ok: false; why: 'missing'; problem: string }
  | { ok: false; why: 'link'; problem: string }
  | { ok: false; why: 'not-regular'; problem: string; info: Stats }
  | { ok: false; why: 'too-large'; problem: string; info: Stats }
  | { ok: false; why: 'error'; problem: string; code: string; cause: unknown };

const FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;

/**
 * The file's bytes, or why not, with `problem` worded to follow its path ("is a symbolic
 * link", "is not a regular file (a FIFO)", "is larger than 8 MiB (2.0 GiB)"). whileOpen
 * runs with the descriptor still open (e.g. to fchmod what was read); what it throws goes up.
 */
export function readCapped(path: string, limit: number, whileOpen?: (file: CappedFile) => void): CappedFile | Refusal {
  let fd: number;
  try {
    fd = openSync(path, FLAGS);
  } catch (err) {
    const code = errnoCode(err) ?? 'error';
    if (code === 'ENOENT') return { ok: false, why: 'missing', problem: 'does not exist' };
    if (code === 'ELOOP') return { ok: false, why: 'link', problem: 'is a symbolic link' };
    return { ok: false, why: 'error', problem: `cannot be read (${code})`, code, cause: err };
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) return { ok: false, why: 'not-regular', problem: `is not a regular file (${kindOf(info)})`, info };
    if (info.size > limit) return { ok: false, why: 'too-large', problem: `is larger than ${formatBytes(limit)} (${formatBytes(info.size)})`, info };
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      // Up to one byte past the limit: enough to tell a file that grew past it.
      const chunk = Buffer.allocUnsafe(Math.min(Math.max(info.size - total + 1, 4096), limit + 1 - total));
      let n: number;
      try {
        n = readSync(fd, chunk, 0, chunk.length, null);
      } catch (err) {
        const code = errnoCode(err) ?? 'error';
        return { ok: false, why: 'error', problem: `cannot be read (${code})`, code, cause: err };
      }
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > limit) return { ok: false, why: 'too-large', problem: `is larger than ${formatBytes(limit)} (it grew while being read)`, info };
    }
    const file: CappedFile = { ok: true, fd, info, bytes: Buffer.concat(chunks, total) };
    whileOpen?.(file);
    return file;
  } finally {
    closeSync(fd);
  }
}

function kindOf(info: Stats): string {
  if (info.isFIFO()) return 'a FIFO';
  if (info.isDirectory()) return 'a directory';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  return 'not a file';
}
