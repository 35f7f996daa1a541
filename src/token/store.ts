import { closeSync, constants, existsSync, fchmodSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, realpathSync, renameSync, writeSync } from 'node:fs';
import { copyFile, link, mkdir, open, opendir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { configError, errnoCode, HhOauthError, storeError } from '../errors';
import { acquireLock } from '../lock/lock';
import { log } from '../output';
import { processAlive } from '../lock/process';
import { isCompleteWrite, keptPairPath } from './kept-pair';
import { holdSignals } from '../lifecycle/signal-guard';
import { groupId } from '../system/accounts';
import { parseTokenFile, type TokenRecord } from './record';

/**
 * The only code that touches the token file. The file holds the only copy of a
 * single-use refresh token, so: every write is a same-directory temp file,
 * fsynced, renamed over the old one, then the directory is fsynced; a damaged
 * file is never overwritten, only moved aside in the open.
 */
export interface StoredToken extends TokenRecord {
  path: string;
  mode: number;
  uid: number;
  gid: number;
}

/**
 * Space claimed before a grant is spent, so a full disk fails before hh.ru burns the refresh
 * token. One block (a stored pair is ~400 bytes): commit() then truncates within it, which
 * frees nothing; truncating 16 KiB down took up to 4 ms under load, inside the crash window.
 */
const RESERVE_BYTES = 4096;

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

function accessHint(code: string | undefined): string {
  if (code === 'EACCES' || code === 'EPERM') return 'run as the user that owns the token file (e.g. `sudo -u hh-oauth hh-oauth …`), or fix its permissions';
  if (code === 'EISDIR') return 'a directory stands where the token file should be; move it away or set HH_TOKEN_FILE';
  return 'check HH_TOKEN_FILE and the file system it lives on';
}

/** Runs fn while holding the token file's lock, after clearing debris left by killed runs. */
export async function withTokenLock<T>(path: string, timeoutSeconds: number, fn: () => Promise<T>): Promise<T> {
  await ensureDir(dirname(path));
  const lock = await acquireLock(`${path}.lock`, timeoutSeconds * 1000);
  try {
    await settleKeptPair(path);
    await removeDebris(path);
    return await fn();
  } finally {
    await lock.release();
    // Signals held by a PendingWrite are raised only now, so that a stop leaves no lock behind.
    for (const release of heldSignals.get(path)?.splice(0) ?? []) release();
  }
}

/**
 * readToken, but a missing file may be a first login whose run was killed just before
 * its rename: when its pair is kept (kept-pair.ts), put it in place under the lock and
 * read again. Only a missing file pays for the check (one hash, one stat).
 */
export async function readTokenOrKept(path: string, lockTimeoutSeconds: number): Promise<StoredToken | null> {
  const token = await readToken(path);
  if (token || !existsSync(await keptPairPath(path))) return token;
  return withTokenLock(path, lockTimeoutSeconds, () => readToken(path));
}

/** Puts a kept pair (kept-pair.ts) in place, or removes an incomplete one. Under the lock. */
async function settleKeptPair(path: string): Promise<void> {
  const kept = await keptPairPath(path);
  let text: string;
  try {
    text = readFileSync(kept, 'utf8');
  } catch {
    return;
  }
  if (!isCompleteWrite(text)) {
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

/** Per token file: the signal holds of its PendingWrites, released with the lock. */
const heldSignals = new Map<string, Array<() => void>>();

async function ensureDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw storeError(`cannot create the token directory ${dir} (${errnoCode(err) ?? 'error'})`, accessHint(errnoCode(err)), err);
  }
}

// Temp files: `.NAME.<16 hex>.tmp` (kept-pair.ts), `.NAME.<pid>.<hex>.tmp` from earlier versions, and the lock's own.
const TEMP = /^\.(.+)\.(?:[0-9a-f]{16}|\d+\.[0-9a-f]+)\.tmp$|^(.+)\.lock\.(\d+)\.[0-9a-f]+\.tmp$/;

/**
 * Temp-file names per directory, listed once per process. Only tidiness depends on it
 * (the kept pair has a name of its own), and listing the directory on every lock would
 * make `refresh --all` over thousands of profiles quadratic.
 */
const tempsByDir = new Map<string, Promise<string[]>>();

async function listTemps(dir: string): Promise<string[]> {
  const found: string[] = [];
  try {
    for await (const entry of await opendir(dir)) if (TEMP.test(entry.name)) found.push(entry.name);
  } catch {
    // An unreadable directory fails later, where the error can be reported properly.
  }
  return found;
}

/**
 * Under the lock, after settleKeptPair: any other temp file of this token file was written
 * against content the file no longer holds, by a writer that no longer holds the lock. A
 * lock's temp file belongs to a waiter, which holds nothing: removed once its pid is gone.
 */
async function removeDebris(path: string): Promise<void> {
  const dir = dirname(path);
  const base = basename(path);
  let temps = tempsByDir.get(dir);
  if (!temps) tempsByDir.set(dir, (temps = listTemps(dir)));
  for (const name of await temps) {
    const m = TEMP.exec(name);
    if (m?.[1] === base || (m?.[2] === base && !processAlive(Number(m[3])))) await unlink(join(dir, name)).catch(() => undefined);
  }
}

/**
 * A write in two halves: open() claims the temp file and its disk space before any
 * grant is spent; commit() then only overwrites claimed bytes and renames. This
 * keeps the window in which a crash loses a freshly issued pair as short as it can be.
 */
export class PendingWrite {
  private constructor(
    readonly path: string,
    private readonly temp: string,
    private handle: FileHandle | undefined,
  ) {}

  static async open(path: string): Promise<PendingWrite> {
    const dir = dirname(path);
    await ensureDir(dir);
    await assertReplaceable(path);
    const temp = await keptPairPath(path);
    // Held before the grant can be sent; released by withTokenLock once the lock is let go.
    const release = holdSignals();
    let handle: FileHandle | undefined;
    try {
      handle = await open(temp, 'wx', 0o600);
      await matchOwnership(handle, path);
      await applyTokenGroup(handle);
      await handle.write(Buffer.alloc(RESERVE_BYTES, 0x20), 0, RESERVE_BYTES, 0);
      await handle.sync();
    } catch (err) {
      release();
      await handle?.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
      if (err instanceof HhOauthError) throw err;
      throw storeError(`cannot write beside ${path} (${errnoCode(err) ?? 'error'})`, writeHint(errnoCode(err)), err);
    }
    let holds = heldSignals.get(path);
    if (!holds) heldSignals.set(path, (holds = []));
    holds.push(release);
    return new PendingWrite(path, temp, handle);
  }

  async commit(data: Record<string, unknown>): Promise<void> {
    const handle = this.handle;
    if (!handle) throw new Error('PendingWrite already finished');
    const bytes = Buffer.from(JSON.stringify(data, null, 2) + '\n');
    // From hh.ru's answer until the pair is in the temp file, a crash loses it (a run killed
    // after that leaves it for the next run to put in place). Synchronous calls keep this
    // stretch to the syscalls themselves: no thread-pool round trips, no other callbacks
    // run in between (measured by test/crash.test.ts).
    try {
      for (let done = 0; done < bytes.length; ) done += writeSync(handle.fd, bytes, done, bytes.length - done, done);
      ftruncateSync(handle.fd, bytes.length);
      fsyncSync(handle.fd);
    } catch (err) {
      await this.abort();
      const code = errnoCode(err) ?? 'error';
      throw storeError(
        `hh.ru issued a new token pair, but writing it beside ${this.path} failed (${code}); the pair is lost and the old one is spent`,
        `fix the cause (${causeHint(code)}), then authorize again: \`hh-oauth login\`, or \`hh-oauth authorize-url\` and \`hh-oauth exchange -\``,
        err,
      );
    }
    try {
      renameSync(this.temp, this.path);
    } catch (err) {
      // The new pair is complete and on disk: keep it. The next locked run puts it in place.
      this.handle = undefined;
      await handle.close().catch(() => undefined);
      const code = errnoCode(err) ?? 'error';
      throw storeError(
        `hh.ru issued a new token pair, but it cannot replace ${this.path} (${code}); the new pair is kept in ${this.temp}`,
        `${renameHint(code)}; then run hh-oauth again, which moves the kept pair into place (or \`mv ${this.temp} ${this.path}\`). The old pair is spent`,
        err,
      );
    }
    this.handle = undefined;
    await handle.close().catch(() => undefined);
    await syncDir(dirname(this.path));
  }

  async abort(): Promise<void> {
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
    await unlink(this.temp).catch(() => undefined);
  }
}

/**
 * rename(2) over a file in a sticky directory (like /tmp) needs us to own the file or the
 * directory. Checked before any grant is spent: failing at the rename would lose the new pair.
 */
async function assertReplaceable(path: string): Promise<void> {
  const [dir, file] = await Promise.all([stat(dirname(path)).catch(() => undefined), stat(path).catch(() => undefined)]);
  if (!dir || !file) return;
  // Not st_dev: on overlayfs a file and its directory can report different devices.
  // A file bind-mounted on its own (docker -v ./token.json:…) is a mount point: rename(2) over it fails with EBUSY.
  if (isMountPoint(path)) {
    throw storeError(
      `cannot replace ${path}: it is a mount point (a file mounted on its own?), and only a file inside a mounted directory can be replaced atomically; nothing was sent to hh.ru`,
      'mount the directory that holds the token file instead (e.g. `-v ./state:/var/lib/hh-token`), or point HH_TOKEN_FILE at a file inside a mounted directory',
    );
  }
  const uid = process.getuid?.();
  if (uid === undefined || uid === 0 || !(dir.mode & 0o1000) || file.uid === uid || dir.uid === uid) return;
  throw storeError(
    `cannot replace ${path}: it belongs to uid ${file.uid}, and its directory is sticky (like /tmp), so uid ${uid} may not replace it; nothing was sent to hh.ru`,
    'run as the user that owns the token file (e.g. `sudo -u <owner> hh-oauth …`), or keep the token file in a directory of its own',
  );
}

/** A replacement keeps the old file's owner, group and (0600/0640) mode, so a bot reading it keeps access. */
async function matchOwnership(handle: FileHandle, path: string): Promise<void> {
  const old = await stat(path).catch(() => undefined);
  if (!old?.isFile()) return;
  if (process.getuid?.() === 0 && (old.uid !== 0 || old.gid !== 0)) await handle.chown(old.uid, old.gid);
  else if (old.gid !== process.getgid?.()) await handle.chown(-1, old.gid).catch(() => log.warn(`cannot keep group ${old.gid} on ${path}`));
  await handle.chmod(old.mode & 0o640 || 0o600);
}

/**
 * HH_TOKEN_GROUP (the unit sets it for `install-units --token-group`): the file goes
 * to that group with mode 0640, so a bot in the group can read the token. Checked in
 * open(), before any grant is spent. chown only when needed: the unit already runs
 * with Group= set to it, and its system call filter refuses chown.
 */
async function applyTokenGroup(handle: FileHandle): Promise<void> {
  const name = process.env.HH_TOKEN_GROUP;
  if (!name) return;
  const gid = groupId(name);
  if (gid === undefined) throw configError(`HH_TOKEN_GROUP names the group "${name}", which does not exist`, `create it (groupadd --system ${name}) or unset HH_TOKEN_GROUP`);
  if ((await handle.stat()).gid !== gid) {
    await handle.chown(-1, gid).catch((err: unknown) => {
      throw storeError(`cannot give the token file to the group ${name} (${errnoCode(err) ?? 'error'})`, `the user writing it must belong to ${name} (the unit sets Group=${name})`, err);
    });
  }
  await handle.chmod(0o640);
}

/** Whether path is where something is mounted (a bind mount of a single file keeps st_dev when both sides share a filesystem). */
function isMountPoint(path: string): boolean {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return false;
  }
  return mountPoints().has(real);
}

/** Read once per process: `refresh --all` checks every profile, and mounts do not change under a run. */
let knownMountPoints: Set<string> | undefined;

function mountPoints(): Set<string> {
  if (knownMountPoints) return knownMountPoints;
  let mounts = '';
  try {
    mounts = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    // No /proc: nothing is known to be a mount point.
  }
  // Field 5 is the mount point, with space, tab, newline and backslash written as octal escapes.
  const unescape = (field: string) => field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
  knownMountPoints = new Set(mounts.split('\n').map((line) => line.split(' ')[4]).filter((field) => field !== undefined).map(unescape));
  return knownMountPoints;
}

function renameHint(code: string): string {
  if (code === 'EPERM') return 'the token file may be immutable (`lsattr`; `chattr -i` it) or its directory may not allow it';
  if (code === 'EBUSY') return 'the token file is a mount point; mount its directory instead';
  return causeHint(code);
}

function writeHint(code: string | undefined): string {
  if (code === 'ENOSPC' || code === 'EDQUOT') return 'the disk holding the token file is full; free some space and run again (nothing was sent to hh.ru)';
  return causeHint(code);
}

/** What to fix, without claiming anything about hh.ru. */
function causeHint(code: string | undefined): string {
  if (code === 'ENOSPC' || code === 'EDQUOT') return 'the disk holding the token file is full; free some space';
  if (code === 'EROFS') return 'the token file is on a read-only filesystem; remount it read-write or point HH_TOKEN_FILE elsewhere';
  return accessHint(code);
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY).catch(() => undefined);
  await handle?.sync().catch(() => undefined);
  await handle?.close();
}

/** A damaged token file kept under a second name until the new pair has replaced it. */
export interface Quarantined {
  aside: string;
  /** The replacement did not happen: drop the second name, the file is where it was. */
  cancel(): Promise<void>;
  /** The replacement happened: say where the damaged content went. */
  announce(): void;
}

/**
 * Keeps a damaged token file's content aside (never deletes it) before the grant that
 * replaces it is spent: a hard link (or a copy), so that once hh.ru has answered, the
 * atomic rename over the old name is the only step left.
 */
export async function quarantine(path: string): Promise<Quarantined> {
  const aside = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  try {
    await link(path, aside).catch(() => copyFile(path, aside, constants.COPYFILE_EXCL));
  } catch (err) {
    throw storeError(`cannot keep the damaged ${path} aside (${errnoCode(err) ?? 'error'}); nothing was sent to hh.ru`, writeHint(errnoCode(err)), err);
  }
  return {
    aside,
    cancel: () => unlink(aside).catch(() => undefined),
    announce: () => log.warn(`moved the damaged token file to ${aside}`),
  };
}

export type DiscardOutcome = { action: 'removed' } | { action: 'kept'; keptAs: string } | { action: 'replaced' } | { action: 'missing' };

/**
 * Removes the token file after its pair was revoked, or with keep renames it to
 * `<path>.revoked-<time>`. Under the lock, and only while the file still holds
 * the revoked refresh token: a pair stored meanwhile (another exchange) is kept.
 */
export async function discardToken(path: string, timeoutSeconds: number, revokedRefreshToken: string, opts: { keep?: boolean } = {}): Promise<DiscardOutcome> {
  return withTokenLock(path, timeoutSeconds, async () => {
    const current = await readToken(path, { tighten: false });
    if (!current) return { action: 'missing' };
    if (current.refreshToken !== revokedRefreshToken) return { action: 'replaced' };
    const keptAs = `${path}.revoked-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    try {
      if (opts.keep) await rename(path, keptAs);
      else await unlink(path);
    } catch (err) {
      throw storeError(`cannot ${opts.keep ? 'rename' : 'remove'} ${path} (${errnoCode(err) ?? 'error'})`, writeHint(errnoCode(err)), err);
    }
    await syncDir(dirname(path));
    return opts.keep ? { action: 'kept', keptAs } : { action: 'removed' };
  });
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
