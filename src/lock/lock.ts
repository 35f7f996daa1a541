import { lstatSync } from 'node:fs';
import { link, open, unlink, type QuickHandle } from '../files/quick-fs';
import { dirname } from 'node:path';
import { readCapped } from '../files/capped-read';
import { READ_LIMITS } from '../files/read-limits';
import { errnoCode, storeError } from '../errors';
import { log } from '../output';
import { elsewhere, judgeOwner, parseOwner, type Owner } from './owner';
import { bootId, pidNamespace, pidNamespaceGone, processAlive, processStartTime } from './process';
import { randomHex } from './random-hex';

/**
 * A cross-process exclusive lock: a file beside the token file holding the owner's
 * pid, start time, host, PID namespace and boot id (lock-owner.ts). It is created with
 * its content in one step (write a private temp file, then link(2) it into place, which
 * fails if the lock exists), so no reader ever sees an empty lock. A lock whose owner is
 * provably dead is broken under a second, short-lived lock so that two waiters never
 * both break it.
 *
 * Only a regular file of at most READ_LIMITS.lock bytes is read as a lock: a FIFO there
 * would block the open for ever, a link to /dev/zero would be read without end. Such a
 * file is refused at once (exit 7); every other wait is bounded by the timeout.
 */
export interface Lock {
  release(): Promise<void>;
}

export interface LockOptions {
  /** Who the lock file belongs to (root writing for the state directory's owner); applied by root only. */
  owner?: { uid: number; gid?: number };
  /** A user's name for messages: lock/ reads no account database itself. */
  describeUser?: (uid: number) => string;
}

const BREAKER_STALE_MS = 10_000;

export async function acquireLock(path: string, timeoutMs: number, opts: LockOptions = {}): Promise<Lock> {
  // node:os is loaded here rather than at start-up: a run that finds the token valid never locks.
  const host = (await import('node:os')).hostname();
  const me: Owner = { pid: process.pid, start: processStartTime(process.pid), host, ns: pidNamespace(), boot: bootId() };
  const content = JSON.stringify(me);
  const deadline = Date.now() + timeoutMs;
  let delay = 20;
  for (;;) {
    if (await tryCreate(path, content, opts)) {
      return { release: () => releaseIfOurs(path, content) };
    }
    const holder = readOwner(path, me);
    // Breaking a stale lock can wait on another breaker; HH_LOCK_TIMEOUT bounds that too.
    if (holder.kind === 'stale' && Date.now() < deadline) await breakStale(path, holder, content, me, opts);
    else {
      if (Date.now() >= deadline) {
        const who =
          holder.kind === 'held' ? ` (held by pid ${holder.owner.pid} on ${holder.owner.host}${elsewhere(holder.owner, me)})`
          : holder.kind === 'stale' ? ` (a stale lock: ${holder.why}; another process is recovering it)`
          : '';
        throw storeError(
          `timed out after ${Math.round(timeoutMs / 1000)} s waiting for the lock ${path}${who}`,
          holder.kind === 'held' && (holder.owner.host !== me.host || elsewhere(holder.owner, me) !== '')
            // Its owner cannot be checked from here (another machine, another container).
            ? `another hh-oauth is still working on this token file; retry later, or raise HH_LOCK_TIMEOUT. If that machine or container is gone, remove ${path} by hand`
            : 'another hh-oauth is still working on this token file; retry later, or raise HH_LOCK_TIMEOUT',
        );
      }
      await sleep(delay + Math.random() * delay);
      delay = Math.min(delay * 2, 250);
    }
  }
}

async function tryCreate(path: string, content: string, opts: LockOptions): Promise<boolean> {
  const temp = `${path}.${process.pid}.${await randomHex(6)}.tmp`;
  let handle: QuickHandle | undefined;
  try {
    handle = await open(temp, 'wx', 0o600);
    await giveTo(handle, opts.owner);
    await handle.writeFile(content);
  } catch (err) {
    if (handle) await unlink(temp).catch(() => undefined);
    throw storeError(`cannot create the lock beside the token file: ${path} (${errnoCode(err) ?? 'error'})`, lockHint(err), err);
  } finally {
    await handle?.close().catch(() => undefined);
  }
  try {
    await link(temp, path);
    return true;
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') return false;
    // Our temp file is gone before it became the lock: the debris sweep of a run in another PID
    // namespace (a container sharing this directory) took its pid for a dead one. One more try.
    if (errnoCode(err) === 'ENOENT' && !lstatSync(temp, { throwIfNoEntry: false }) && lstatSync(dirname(path), { throwIfNoEntry: false })) return false;
    throw storeError(`cannot create the lock ${path} (${errnoCode(err) ?? 'error'})`, lockHint(err), err);
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/** Root gives the lock to the state directory's owner, so that the service can read a lock root left behind. */
async function giveTo(handle: QuickHandle, owner: LockOptions['owner']): Promise<void> {
  if (!owner || process.getuid?.() !== 0) return;
  const st = await handle.stat();
  // Best effort (root without CAP_CHOWN, an unmapped owner in a rootless container): the lock is then root's, as it always was.
  if (st.uid !== owner.uid || (owner.gid !== undefined && st.gid !== owner.gid)) await handle.chown(owner.uid, owner.gid ?? st.gid).catch(() => undefined);
}

function lockHint(err: unknown): string {
  const code = errnoCode(err);
  if (code === 'EACCES' || code === 'EPERM') return 'run as the user that owns the token directory (e.g. `sudo -u hh-oauth hh-oauth …`)';
  if (code === 'EROFS') return 'the token directory is on a read-only filesystem; point HH_TOKEN_FILE at a writable one';
  if (code === 'ENOSPC') return 'the disk holding the token file is full; free some space';
  return 'check that the token directory exists and is writable by this user';
}

/** A lock file as read: `key` tells this file and content from any later one (a new lock, even with equal content, is another inode). */
interface LockFile {
  key: string;
  raw: string | undefined;
  uid: number;
}

function readLockFile(path: string): LockFile | undefined {
  const read = readCapped(path, READ_LIMITS.lock);
  if (read.ok) return { key: `${read.info.ino}:${read.bytes.toString('utf8')}`, raw: read.bytes.toString('utf8'), uid: read.info.uid };
  switch (read.why) {
    case 'missing':
      return undefined;
    case 'too-large':
      // Not an owner record hh-oauth wrote: judged like unreadable content.
      return { key: `${read.info.ino}:${read.info.size}:too-large`, raw: undefined, uid: read.info.uid };
    case 'link':
    case 'not-regular':
      throw storeError(`the lock ${path} ${read.problem}; hh-oauth never makes one, and will not read it`, `remove it (\`rm ${path}\`) and run again`);
    case 'error':
      throw storeError(`cannot read the lock ${path} (${read.code})`, lockHint(read.cause), read.cause);
  }
}

type Holder =
  | { kind: 'free' }
  | { kind: 'held'; owner: Owner }
  | { kind: 'stale'; file: LockFile; why: string };

function readOwner(path: string, me: Owner): Holder {
  const file = readLockFile(path);
  if (!file) return { kind: 'free' };
  const owner = file.raw === undefined ? undefined : parseOwner(file.raw);
  if (!owner) return { kind: 'stale', file, why: file.raw === undefined ? `unreadable content (larger than ${READ_LIMITS.lock} bytes)` : 'unreadable content' };
  const verdict = judgeOwner(owner, me, processAlive, pidNamespaceGone);
  return verdict.stale ? { kind: 'stale', file, why: verdict.why } : { kind: 'held', owner };
}

async function breakStale(path: string, holder: Extract<Holder, { kind: 'stale' }>, content: string, me: Owner, opts: LockOptions): Promise<void> {
  const breaker = `${path}.break`;
  // Created like the lock (our pid inside, in one step), so that a breaker whose owner died can be told apart.
  if (!(await tryCreate(breaker, content, opts))) {
    // A breaker left by a process killed mid-break would block everyone: drop it once its owner is gone (or it is old).
    const other = readOwner(breaker, me);
    const age = Date.now() - (lstatSync(breaker, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    if (other.kind === 'stale') await removeIfUnchanged(breaker, other.file, other.why, opts);
    else if (other.kind === 'held' && age > BREAKER_STALE_MS) {
      const file = readLockFile(breaker);
      if (file) await removeIfUnchanged(breaker, file, `older than ${BREAKER_STALE_MS / 1000} s`, opts);
    }
    await sleep(10);
    return;
  }
  try {
    if (await removeIfUnchanged(path, holder.file, holder.why, opts)) log.warn(`recovered a stale lock ${path} (${holder.why})`);
  } finally {
    await releaseIfOurs(breaker, content);
  }
}

/**
 * Removes a stale lock (or breaker) if it is still the file that was judged. One that this
 * user may not remove (another user's, in a sticky directory) is a store problem to fix by
 * hand: exit 7, naming its owner, rather than a wait until the timeout or an exit 1.
 */
async function removeIfUnchanged(path: string, judged: LockFile, why: string, opts: LockOptions): Promise<boolean> {
  if (readLockFile(path)?.key !== judged.key) return false;
  try {
    await unlink(path);
    return true;
  } catch (err) {
    const code = errnoCode(err) ?? 'error';
    if (code === 'ENOENT') return false;
    const dir = dirname(path);
    const sticky = ((lstatSync(dir, { throwIfNoEntry: false })?.mode ?? 0) & 0o1000) !== 0;
    const owner = opts.describeUser?.(judged.uid) ?? `uid ${judged.uid}`;
    const because = sticky
      ? `its directory ${dir} is sticky, so only that user, the directory's owner or root may remove it`
      : `this user may not change its directory ${dir}`;
    throw storeError(
      `cannot remove the stale lock ${path} (${why}) (${code}): it belongs to ${owner}, and ${because}; nothing was sent to hh.ru`,
      `remove it as that user or as root (\`sudo rm ${path}\`), then run again; better, keep the token file in a directory of its own (HH_TOKEN_FILE)`,
      err,
    );
  }
}

async function releaseIfOurs(path: string, content: string): Promise<void> {
  let current: string | undefined;
  try {
    current = readLockFile(path)?.raw;
  } catch {
    return;
  }
  if (current === content) await unlink(path).catch(() => undefined);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
