import { link, readFile, stat, unlink, writeFile } from 'node:fs/promises';
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
 */
export interface Lock {
  release(): Promise<void>;
}

const BREAKER_STALE_MS = 10_000;

export async function acquireLock(path: string, timeoutMs: number): Promise<Lock> {
  // node:os is loaded here rather than at start-up: a run that finds the token valid never locks.
  const host = (await import('node:os')).hostname();
  const me: Owner = { pid: process.pid, start: processStartTime(process.pid), host, ns: pidNamespace(), boot: bootId() };
  const content = JSON.stringify(me);
  const deadline = Date.now() + timeoutMs;
  let delay = 20;
  for (;;) {
    if (await tryCreate(path, content)) {
      return { release: () => releaseIfOurs(path, content) };
    }
    const holder = await readOwner(path, me);
    // Breaking a stale lock can wait on another breaker; HH_LOCK_TIMEOUT bounds that too.
    if (holder.kind === 'stale' && Date.now() < deadline) await breakStale(path, holder.raw, holder.why, content, me);
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

async function tryCreate(path: string, content: string): Promise<boolean> {
  const temp = `${path}.${process.pid}.${await randomHex(6)}.tmp`;
  try {
    await writeFile(temp, content, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    throw storeError(`cannot create the lock beside the token file: ${path} (${errnoCode(err) ?? 'error'})`, lockHint(err), err);
  }
  try {
    await link(temp, path);
    return true;
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') return false;
    throw storeError(`cannot create the lock ${path} (${errnoCode(err) ?? 'error'})`, lockHint(err), err);
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

function lockHint(err: unknown): string {
  const code = errnoCode(err);
  if (code === 'EACCES' || code === 'EPERM') return 'run as the user that owns the token directory (e.g. `sudo -u hh-oauth hh-oauth …`)';
  if (code === 'EROFS') return 'the token directory is on a read-only filesystem; point HH_TOKEN_FILE at a writable one';
  if (code === 'ENOSPC') return 'the disk holding the token file is full; free some space';
  return 'check that the token directory exists and is writable by this user';
}

type Holder =
  | { kind: 'free' }
  | { kind: 'held'; owner: Owner }
  | { kind: 'stale'; raw: string; why: string };

async function readOwner(path: string, me: Owner): Promise<Holder> {
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return { kind: 'free' };
    throw storeError(`cannot read the lock ${path} (${errnoCode(err) ?? 'error'})`, lockHint(err), err);
  }
  const owner = parseOwner(raw);
  if (!owner) return { kind: 'stale', raw, why: 'unreadable content' };
  const verdict = judgeOwner(owner, me, processAlive, pidNamespaceGone);
  return verdict.stale ? { kind: 'stale', raw, why: verdict.why } : { kind: 'held', owner };
}

async function breakStale(path: string, raw: string, why: string, content: string, me: Owner): Promise<void> {
  const breaker = `${path}.break`;
  // Created like the lock (our pid inside, in one step), so that a breaker whose owner died can be told apart.
  if (!(await tryCreate(breaker, content))) {
    // A breaker left by a process killed mid-break would block everyone: drop it once its owner is gone (or it is old).
    const holder = await readOwner(breaker, me);
    const age = await stat(breaker).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (holder.kind === 'stale') await releaseIfOurs(breaker, holder.raw);
    else if (age > BREAKER_STALE_MS) await unlink(breaker).catch(() => undefined);
    await sleep(10);
    return;
  }
  try {
    const again = await readFile(path, 'utf8').catch(() => undefined);
    if (again === raw) {
      await unlink(path);
      log.warn(`recovered a stale lock ${path} (${why})`);
    }
  } finally {
    await releaseIfOurs(breaker, content);
  }
}

async function releaseIfOurs(path: string, content: string): Promise<void> {
  const current = await readFile(path, 'utf8').catch(() => undefined);
  if (current === content) await unlink(path).catch(() => undefined);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
